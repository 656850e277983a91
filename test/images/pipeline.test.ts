import { describe, expect, it } from 'vitest';
import { createDefaultExtractor } from '../../src/integrations/images/default-extractor.js';
import { createImageExtractionHandler } from '../../src/integrations/images/handler.js';
import { nextEvent, openTestQueue } from '../helpers/queue.js';
import { tempDir } from '../helpers/tmp.js';
import { png } from './fixtures.js';
import { html, send, startServer } from './http-server.js';

const fast = { backoff: { min: 20, max: 50, jitter: 0 }, pollInterval: 50 };

function handler() {
  return createImageExtractionHandler(
    createDefaultExtractor({ outDir: tempDir(), allowPrivateHosts: true, hostDelayMs: 0 }),
  );
}

describe('image pipeline on a real queue', () => {
  it('retries a property after a 500 and completes it, fetching the stable image once', async () => {
    const { queue } = await openTestQueue();
    let calls = 0;
    const server = await startServer({
      '/page': html('<img src="/stable.png"><img src="/flaky.png">'),
      '/stable.png': send(png(1), 'image/png'),
      '/flaky.png': (req, res) =>
        (++calls === 1 ? send('busy', 'text/plain', 500) : send(png(2), 'image/png'))(req, res),
    });
    const { job } = await queue.enqueue(
      'images',
      { address: '1 A St', sources: [server.url('/page')] },
      { key: '1 A St' },
    );
    const completed = nextEvent(queue, 'completed');
    const worker = queue.work('images', handler(), fast);
    const [done, result] = await completed;
    await worker.stop();
    expect(done.id).toBe(job.id);
    expect(result).toMatchObject({ saved: 1, skipped: 1 });
    expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'completed', attempts: 2 });
    expect((await queue.attempts(job.id))[0]!.error).toMatch(/HTTP 500/);
    expect(server.count('/stable.png')).toBe(1);
  });

  it('waits for Retry-After on a 429 before the next attempt', async () => {
    const { queue } = await openTestQueue();
    let calls = 0;
    const server = await startServer({
      '/photo.png': (req, res) =>
        (++calls === 1
          ? send('slow down', 'text/plain', 429, { 'retry-after': '1' })
          : send(png(3), 'image/png'))(req, res),
    });
    await queue.enqueue('images', { address: '2 B St', sources: [server.url('/photo.png')] });
    const retrying = nextEvent(queue, 'retrying');
    const completed = nextEvent(queue, 'completed');
    const worker = queue.work('images', handler(), fast);
    const [, error, runAt] = await retrying;
    const failedAt = Date.now();
    expect(error.name).toBe('RetryAfter');
    // The backoff alone would retry after 20 ms; the server asked for 1 s.
    expect(runAt.getTime() - failedAt).toBeGreaterThan(800);
    await completed;
    expect(Date.now() - failedAt).toBeGreaterThan(800);
    await worker.stop();
  });

  it('fails a property whose every source failed permanently at once, with the reasons', async () => {
    const { queue } = await openTestQueue();
    const server = await startServer({
      '/fake.jpg': send('<html>not a photo</html>', 'image/jpeg'),
    });
    const { job } = await queue.enqueue('images', {
      address: '3 C St',
      sources: [server.url('/fake.jpg'), server.url('/404')],
    });
    const failed = nextEvent(queue, 'failed');
    const worker = queue.work('images', handler(), fast);
    const [failedJob, error] = await failed;
    await worker.stop();
    expect(failedJob.id).toBe(job.id);
    expect(error.name).toBe('PermanentError');
    expect(error.message).toMatch(
      /every source failed: .*fake\.jpg: not an image \(looks like HTML\); .*\/404: HTTP 404/,
    );
    expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'failed', attempts: 1 });
  });
});
