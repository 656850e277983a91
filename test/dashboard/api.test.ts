import { describe, expect, it } from 'vitest';
import { openDashboard, seed } from './fixture.js';
import { http, squash } from './http-client.js';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

describe('dashboard pages', () => {
  it('serves every page with 200, the strict CSP and no-sniff headers', async () => {
    const { queue, browser } = await openDashboard();
    const s = await seed(queue);
    const paths = [
      '/',
      '/batches',
      `/batches/${s.batchId}`,
      '/batches/import-1',
      `/batches/${s.batchId}?status=failed&key=bad`,
      '/queues/images',
      '/queues/images?status=completed&order=desc',
      '/jobs',
      '/jobs?key=bad',
      `/jobs/${s.failedId}`,
      `/jobs/${s.failedId}/retry`,
      `/jobs/${s.pendingId}/cancel`,
      `/batches/${s.batchId}/retry`,
      `/batches/${s.batchId}/cancel`,
      '/queues/images/retry',
    ];
    for (const path of paths) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(200);
      expect(page.headers['content-type'], path).toBe('text/html; charset=utf-8');
      expect(page.headers['content-security-policy'], path).toBe(CSP);
      expect(page.headers['x-content-type-options'], path).toBe('nosniff');
      expect(page.headers['referrer-policy'], path).toBe('same-origin');
      expect(page.body, path).not.toMatch(/<script>|style="/);
    }
    const css = await browser.get('/assets/dashboard.css');
    expect([css.status, css.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
    const js = await browser.get('/assets/dashboard.js');
    expect([js.status, js.headers['content-type']]).toEqual([
      200,
      'text/javascript; charset=utf-8',
    ]);
  });

  it('shows counts, the batch bar and the job details the operator needs', async () => {
    const { queue, browser } = await openDashboard();
    const s = await seed(queue);
    const overview = squash((await browser.get('/')).body);
    expect(overview).toMatch(
      /<td class="num" data-status="completed"><a href="\/queues\/images\?status=completed">2<\/a><\/td>/,
    );
    expect(overview).toMatch(/data-completed="2" data-failed="1"/); // the chart's totals for the last hour
    expect(overview).toMatch(/Workers seen in the last hour \(1\)/);
    const batch = squash((await browser.get(`/batches/${s.batchId}`)).body);
    expect(batch).toMatch(
      /role="progressbar"[^>]*aria-valuemax="3"[^>]*aria-valuenow="3"[^>]*data-completed="2" data-failed="1"/,
    );
    expect(batch).toContain('Retry 1 failed jobs…');
    const job = (await browser.get(`/jobs/${s.failedId}`)).body;
    expect(job).toContain('listing page returned 500');
    expect(job).toMatch(
      /<summary>stack<\/summary>\s*<pre>Error: listing page returned 500\n\s+at /,
    );
    expect(job).toContain('&quot;address&quot;: &quot;bad&quot;');
    expect(squash(job)).toContain('Batch</dt><dd><a href="/batches/');
    const done = (await browser.get(`/jobs/${s.completedId}`)).body;
    expect(done).toContain('<pre class="result">{\n  &quot;images&quot;: 3\n}</pre>');
  });

  it('pages through a list with a cursor, filters by status and searches by key', async () => {
    const { queue, browser } = await openDashboard();
    await queue.enqueueMany(
      Array.from({ length: 120 }, (_, i) => ({
        queue: 'bulk',
        payload: i,
        options: { key: `addr-${i}` },
      })),
    );
    const seen: string[] = [];
    let path: string | null = '/queues/bulk';
    while (path) {
      const page = await browser.get(path);
      expect(page.status).toBe(200);
      seen.push(...[...page.body.matchAll(/<tr data-job-id="(\d+)">/g)].map((m) => m[1]!));
      const next = /<a rel="next" href="([^"]+)">/.exec(page.body);
      path = next ? next[1]!.replace(/&amp;/g, '&') : null;
    }
    expect(seen).toHaveLength(120);
    expect(new Set(seen).size).toBe(120);
    const found = (await browser.get('/queues/bulk?key=addr-7')).body;
    expect([...found.matchAll(/<tr data-job-id=/g)]).toHaveLength(1);
    expect(squash((await browser.get('/queues/bulk?status=failed')).body)).toContain(
      'No jobs with status failed',
    );
  });

  it('answers bad ids, statuses and cursors on pages with a 4xx page that says what is wrong', async () => {
    const { queue, browser } = await openDashboard();
    await seed(queue);
    const cases: Array<[string, number, string]> = [
      ['/jobs/abc', 400, 'Expected &#96;id&#96; to be a job id'],
      ['/jobs/999999', 404, 'No job with id 999999'],
      ['/batches/nope', 404, 'No batch with id or name &quot;nope&quot;'],
      ['/queues/images?status=lost', 400, 'Expected &#96;status&#96; to be one of'],
      ['/jobs?after=xyz', 400, 'the cursor from the previous page'],
      ['/jobs?order=sideways', 400, 'to be asc or desc'],
      ['/jobs/%E0%A4%A/retry', 400, 'Malformed percent-encoding'],
      ['/no/such/page', 404, 'no such page'],
    ];
    for (const [path, status, message] of cases) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(status);
      expect(page.body, path).toContain(message);
    }
    expect((await http(`${browser.origin}/`, { method: 'PUT' })).status).toBe(405);
    expect((await http(`${browser.origin}/`, { method: 'HEAD' })).status).toBe(200);
  });
});

describe('dashboard JSON API', () => {
  it('returns the overview, batches, job lists with cursors, and a job with its attempts', async () => {
    const { queue, browser } = await openDashboard();
    const s = await seed(queue);
    const overview = JSON.parse((await browser.get('/api/overview')).body);
    expect(overview.queues.images.counts).toEqual({
      pending: 0,
      running: 0,
      retrying: 0,
      completed: 2,
      failed: 1,
      cancelled: 0,
    });
    expect(overview.queues.email.counts.pending).toBe(1);
    expect(overview.throughput.bucketMs).toBe(60_000);
    expect(
      overview.throughput.buckets.reduce(
        (n: number, b: { completed: number }) => n + b.completed,
        0,
      ),
    ).toBe(2);
    expect(overview.workers).toHaveLength(1);

    const batches = JSON.parse((await browser.get('/api/batches')).body).batches;
    expect(batches).toMatchObject([
      { id: s.batchId, name: 'import-1', total: 3, counts: { completed: 2, failed: 1 } },
    ]);
    const one = JSON.parse((await browser.get('/api/batches/import-1')).body).batch;
    expect(one.id).toBe(s.batchId);

    const first = JSON.parse((await browser.get('/api/jobs?queue=images&limit=2')).body);
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBe(first.items[1].id);
    const second = JSON.parse(
      (await browser.get(`/api/jobs?queue=images&limit=2&after=${first.nextCursor}`)).body,
    );
    expect(second.items.map((j: { key: string }) => j.key)).toEqual(['bad']);
    expect(second.nextCursor).toBeNull();
    const failed = JSON.parse((await browser.get('/api/jobs?batch=import-1&status=failed')).body);
    expect(failed.items.map((j: { id: string }) => j.id)).toEqual([s.failedId]);
    const byKey = JSON.parse((await browser.get('/api/jobs?key=good-2')).body);
    expect(byKey.items).toHaveLength(1);

    const job = JSON.parse((await browser.get(`/api/jobs/${s.failedId}`)).body);
    expect(job.job).toMatchObject({
      id: s.failedId,
      status: 'failed',
      key: 'bad',
      payload: { address: 'bad' },
    });
    expect(job.attempts).toMatchObject([
      { attempt: 1, outcome: 'failed', error: 'Error: listing page returned 500' },
    ]);
    expect(job.attempts[0].stack).toContain('listing page returned 500');
  });

  it('answers bad ids and parameters with a 4xx and a JSON message naming them', async () => {
    const { queue, browser } = await openDashboard();
    await seed(queue);
    const cases: Array<[string, number, RegExp]> = [
      ['/api/jobs/abc', 400, /Expected `id` to be a job id \(a positive whole number\), got "abc"/],
      ['/api/jobs/0', 400, /Expected `id` to be a job id/],
      ['/api/jobs/424242', 404, /No job with id 424242/],
      [
        '/api/jobs?status=done',
        400,
        /Expected `status` to be one of pending, running, retrying, completed, failed, cancelled, got "done"/,
      ],
      ['/api/jobs?after=-3', 400, /cursor/],
      ['/api/jobs?after=1%3B%20drop', 400, /cursor/],
      ['/api/jobs?limit=0', 400, /Expected `limit` to be a whole number from 1 to 1000, got 0/],
      [
        '/api/jobs?limit=ten',
        400,
        /Expected `limit` to be a whole number from 1 to 1000, got "ten"/,
      ],
      ['/api/jobs?limit=5000', 400, /limit/],
      ['/api/jobs?order=up', 400, /Expected `order` to be asc or desc/],
      [
        '/api/jobs?status=failed&status=completed',
        400,
        /Parameter `status` is given more than once/,
      ],
      ['/api/jobs?colour=red', 400, /Unknown parameter `colour`; expected `queue`, `batch`/],
      ['/api/jobs?batch=nope', 404, /No batch with id or name "nope"/],
      ['/api/batches/nope', 404, /No batch with id or name "nope"/],
      ['/api/overview?since=1h', 400, /Unknown parameter `since`/],
      ['/api/nothing', 404, /no such API route/],
    ];
    for (const [path, status, message] of cases) {
      const reply = await browser.get(path);
      expect(reply.status, path).toBe(status);
      expect(reply.headers['content-type'], path).toBe('application/json; charset=utf-8');
      const body = JSON.parse(reply.body);
      expect(body.status, path).toBe(status);
      expect(body.error, path).toMatch(message);
    }
  });
});
