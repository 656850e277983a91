/**
 * Dashboard security under a scan of every route: the routes are discovered by crawling every
 * link from `/` (plus the JSON API and /metrics), with script and HTML planted in every field
 * that can be displayed. For each route: a wrong Host gets 421; without the token (when one is
 * set) 401 or the login page, with none of the planted data; GETs change nothing; each action
 * refuses a cross-origin POST and a POST without a CSRF token; no planted markup survives
 * unescaped into any page.
 */
import { Parser } from 'htmlparser2';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { JobQueue } from '../../src/index.js';
import { startDashboard } from '../../src/dashboard/server.js';
import { openTestQueue } from '../helpers/queue.js';
import { http } from '../dashboard/http-client.js';

const MARK = 'pwn3d';
const EVIL = `<script>alert('${MARK}')</script><img src=x onerror=alert('${MARK}')>"'><svg onload=alert('${MARK}')>`;

/** Jobs whose queue, key, batch, payload, error, progress message and result all carry markup. */
async function plant(queue: JobQueue): Promise<void> {
  const queueName = `q${EVIL}`;
  await queue.enqueueMany(
    ['ok', 'bad'].map((kind) => ({
      queue: queueName,
      payload: { kind, note: EVIL, [EVIL]: EVIL },
      options: { key: `${kind}${EVIL}`, batch: `batch${EVIL}`, maxAttempts: 1 },
    })),
  );
  // One waiting job (due in an hour) on another queue, so the worker below can exit when empty.
  await queue.enqueue(
    `wait${EVIL}`,
    { note: EVIL },
    { key: `wait${EVIL}`, batch: `later${EVIL}`, delay: '1h' },
  );
  const worker = queue.work(
    queueName,
    async (job, ctx) => {
      ctx.progress(1, 2, EVIL);
      if ((job.payload as { kind: string }).kind === 'bad') throw new Error(EVIL);
      return { html: EVIL };
    },
    { exitWhenEmpty: true, pollInterval: 20, progressThrottle: 0 },
  );
  await worker.done;
}

interface Element {
  name: string;
  attributes: Record<string, string>;
  text: string;
}

function parse(page: string): Element[] {
  const found: Element[] = [];
  const open: Element[] = [];
  const parser = new Parser({
    onopentag: (name, attributes) => {
      const element = { name, attributes, text: '' };
      found.push(element);
      open.push(element);
    },
    ontext: (text) => {
      for (const element of open) element.text += text;
    },
    onclosetag: () => void open.pop(),
  });
  parser.write(page);
  parser.end();
  return found;
}

/** Same-origin GET links of a page, as paths. */
function links(elements: Element[]): string[] {
  return elements
    .filter((e) => e.name === 'a' && e.attributes.href?.startsWith('/'))
    .map((e) => e.attributes.href!.replace(/&amp;/g, '&'));
}

/** What the stored state looks like, to prove GETs change nothing. */
async function snapshot(queue: JobQueue): Promise<string> {
  const jobs = [];
  for await (const job of queue.listAll({}))
    jobs.push([job.id, job.status, job.attempts, job.updatedAt.getTime()]);
  return JSON.stringify(jobs);
}

async function crawl(
  origin: string,
  headers: Record<string, string> = {},
): Promise<Map<string, { status: number; type: string; body: string }>> {
  const seen = new Map<string, { status: number; type: string; body: string }>();
  const queue = [
    '/',
    '/jobs',
    '/batches',
    '/api/overview',
    '/api/batches',
    '/api/jobs',
    '/metrics',
  ];
  while (queue.length > 0 && seen.size < 150) {
    const path = queue.shift()!;
    if (seen.has(path)) continue;
    const reply = await http(origin + path, { headers });
    const type = String(reply.headers['content-type'] ?? '');
    seen.set(path, { status: reply.status, type, body: reply.body });
    if (type.startsWith('text/html'))
      for (const link of links(parse(reply.body))) if (!seen.has(link)) queue.push(link);
    if (path === '/api/jobs' && reply.status === 200) {
      for (const job of (
        JSON.parse(reply.body) as { items: Array<{ id: string; batchId: string | null }> }
      ).items) {
        queue.push(`/api/jobs/${job.id}`);
        if (job.batchId) queue.push(`/api/batches/${job.batchId}`);
      }
    }
  }
  return seen;
}

describe('dashboard security scan', () => {
  it('every discovered route: planted markup never executes, GETs change nothing, a wrong Host gets 421', async () => {
    const { queue } = await openTestQueue();
    await plant(queue);
    const dashboard = await startDashboard(queue, { port: 0 });
    onTestFinished(() => dashboard.close());
    const origin = `http://127.0.0.1:${dashboard.port}`;

    const before = await snapshot(queue);
    const pages = await crawl(origin);
    expect(await snapshot(queue)).toBe(before);
    const paths = [...pages.keys()];
    process.stdout.write(`dashboard scan: ${paths.length} routes\n`);
    expect(paths.length).toBeGreaterThan(15);
    expect(paths.some((p) => /^\/jobs\/\d+$/.test(p))).toBe(true);
    expect(paths.some((p) => /^\/batches\/[^/]+$/.test(p))).toBe(true);
    expect(paths.some((p) => /^\/queues\//.test(p))).toBe(true);

    for (const [path, page] of pages) {
      expect(page.status, path).toBeLessThan(400);
      if (page.type.startsWith('text/html')) {
        for (const element of parse(page.body)) {
          if (element.name === 'script')
            expect(element.text, `${path}: a <script> with planted text`).not.toContain(MARK);
          for (const [name, value] of Object.entries(element.attributes)) {
            expect(
              name.startsWith('on') && value.includes(MARK),
              `${path}: ${element.name} ${name}=${value}`,
            ).toBe(false);
            expect(/^\s*javascript:/i.test(value), `${path}: ${name}=${value}`).toBe(false);
          }
          expect(
            ['svg', 'img'].includes(element.name) &&
              JSON.stringify(element.attributes).includes(MARK),
            `${path}: planted <${element.name}>`,
          ).toBe(false);
        }
      } else {
        // JSON and metrics are not rendered as HTML by a browser that respects nosniff.
        expect(page.type, path).toMatch(/^(application\/json|text\/plain)/);
      }
      const wrongHost = await http(origin + path, { headers: { host: 'evil.example' } });
      expect(wrongHost.status, `${path} with a wrong Host`).toBe(421);
      expect(wrongHost.body).not.toContain(MARK);
    }
    expect(await snapshot(queue)).toBe(before);
  }, 120_000);

  it('with a token: no route shows data without it; every action refuses cross-origin and CSRF-less POSTs', async () => {
    const { queue } = await openTestQueue();
    await plant(queue);
    const token = 'scan-token-0123456789abcdef';
    const dashboard = await startDashboard(queue, { port: 0, token });
    onTestFinished(() => dashboard.close());
    const origin = `http://127.0.0.1:${dashboard.port}`;
    const pages = await crawl(origin, { authorization: `Bearer ${token}` });
    expect(pages.size).toBeGreaterThan(15);
    const before = await snapshot(queue);
    for (const path of pages.keys()) {
      const anonymous = await http(origin + path);
      expect([401, 303, 302], `${path} without the token`).toContain(anonymous.status);
      expect(anonymous.body, path).not.toContain(MARK);
    }
    // Every action form of every page, POSTed cross-origin and without a CSRF token.
    const actions = new Set<string>();
    for (const page of pages.values()) {
      for (const element of parse(page.body))
        if (element.name === 'form' && element.attributes.method?.toLowerCase() === 'post')
          actions.add(element.attributes.action!);
    }
    expect(actions.size).toBeGreaterThan(2);
    for (const action of actions) {
      const auth = {
        authorization: `Bearer ${token}`,
        'content-type': 'application/x-www-form-urlencoded',
      };
      const cross = await http(origin + action, {
        method: 'POST',
        headers: { ...auth, origin: 'http://evil.example' },
        body: 'confirm=yes',
      });
      expect(cross.status, `${action} cross-origin`).toBe(403);
      const noCsrf = await http(origin + action, {
        method: 'POST',
        headers: { ...auth, origin },
        body: 'confirm=yes',
      });
      expect(noCsrf.status, `${action} without CSRF`).toBe(403);
    }
    expect(await snapshot(queue)).toBe(before);
  }, 120_000);
});
