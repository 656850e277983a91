import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createDashboardHandler } from '../../src/dashboard/handler.js';
import { openTestQueue } from '../helpers/queue.js';
import { seed } from './fixture.js';
import { Browser, http } from './http-client.js';

describe('mounting the handler', () => {
  it('serves under a path prefix in a plain Node server and passes other requests on', async () => {
    const { queue } = await openTestQueue();
    await seed(queue);
    const handler = createDashboardHandler(queue, { basePath: '/admin/queue/' });
    onTestFinished(() => handler.close());
    const server = createServer((req, res) =>
      handler(req, res, () => {
        res.statusCode = 200;
        res.end('the app itself');
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const overview = await http(`${origin}/admin/queue/`);
    expect(overview.status).toBe(200);
    expect(overview.body).toContain('href="/admin/queue/queues/images"');
    expect(overview.body).toContain(
      '<link rel="stylesheet" href="/admin/queue/assets/dashboard.css" />',
    );
    expect((await http(`${origin}/admin/queue`)).status).toBe(200);
    expect((await http(`${origin}/admin/queue/api/overview`)).status).toBe(200);
    expect((await http(`${origin}/admin/queue/assets/dashboard.js`)).status).toBe(200);
    expect((await http(`${origin}/admin/queueX`)).body).toBe('the app itself');
    expect((await http(`${origin}/other`)).body).toBe('the app itself');
    const cookie = ([] as string[])
      .concat(overview.headers['set-cookie'] ?? [])
      .find((c) => c.startsWith('holdfast_csrf='));
    expect(cookie).toContain('Path=/admin/queue;');

    // A POST through the prefix works end to end (Express-style: the framework strips the prefix
    // from req.url and keeps req.originalUrl and req.baseUrl).
    const browser = new Browser(`${origin}/admin/queue`);
    const s = (await queue.list({ status: 'failed' })).items[0]!;
    const csrf = await browser.csrfFrom(`/jobs/${s.id}/retry`);
    const done = await browser.post(`/jobs/${s.id}/retry`, { csrf, confirm: 'yes' }, { origin });
    expect([done.status, done.headers.location]).toEqual([303, `/admin/queue/jobs/${s.id}`]);
  });

  it('takes the prefix from Express-style req.baseUrl/originalUrl when no basePath is given', async () => {
    const { queue } = await openTestQueue();
    const handler = createDashboardHandler(queue, { metrics: false });
    const server = createServer((req, res) => {
      // What Express does for app.use('/ops', handler).
      Object.assign(req, { originalUrl: req.url, baseUrl: '/ops' });
      req.url = req.url!.slice('/ops'.length) || '/';
      handler(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const page = await http(`${origin}/ops/batches`);
    expect(page.status).toBe(200);
    expect(page.body).toContain('href="/ops/batches"');
    expect((await http(`${origin}/ops/metrics`)).status).toBe(404);
  });
});
