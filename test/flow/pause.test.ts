/**
 * Pause and resume with a real worker, on both stores: a paused queue gets no new claims while
 * the same worker keeps running another queue, a job already running finishes, and resume lets
 * the waiting job run. Also the API's checks of limits.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { requirePostgres } from '../postgres/pg-helpers.js';
import { waitUntil } from '../store/conformance-helpers.js';
import { FLOW_DBS } from './flow-helpers.js';

beforeAll(requirePostgres);

for (const target of FLOW_DBS) {
  describe(`pause and resume: ${target.name}`, () => {
    it('stops claiming from a paused queue, lets the running job finish, and resumes', async () => {
      const { db, drop } = await target.create();
      const queue = await JobQueue.open({ db });
      try {
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        const started: string[] = [];
        const executor = queue.work(
          ['media', 'other'],
          async (job) => {
            started.push(`${job.queue}:${(job.payload as { n: number }).n}`);
            if ((job.payload as { n: number }).n === 1) await released;
          },
          { concurrency: 4, pollInterval: 50 },
        );
        await queue.enqueue('media', { n: 1 });
        await waitUntil(() => started.includes('media:1'), 'the first job started');
        expect((await queue.pause('media')).paused).toBe(true);
        await queue.enqueue('media', { n: 2 });
        // The worker is alive and claiming with free slots: the claim that took this job of another
        // queue, enqueued after media:2, would have taken media:2 too had the pause not held it.
        await queue.enqueue('other', { n: 3 });
        await waitUntil(
          async () => (await queue.stats()).queues.other?.counts.completed === 1,
          'the other queue ran',
        );
        expect(started).not.toContain('media:2');
        expect((await queue.stats()).queues.media!.counts.pending).toBe(1);
        // The job that was running when the queue was paused finishes.
        release();
        await waitUntil(
          async () => (await queue.stats()).queues.media?.counts.completed === 1,
          'the running job finished',
        );
        expect((await queue.queueConfig('media')).paused).toBe(true);
        await queue.resume('media');
        await waitUntil(
          async () => (await queue.stats()).queues.media?.counts.completed === 2,
          'the waiting job ran after resume',
        );
        expect(started).toEqual(['media:1', 'other:3', 'media:2']);
        await executor.stop();
      } finally {
        await queue.close();
        await drop();
      }
    });

    it('stores limits and refuses bad ones with a message naming them', async () => {
      const { db, drop } = await target.create();
      const queue = await JobQueue.open({ db });
      try {
        const config = await queue.configureQueue('api', {
          perKeyConcurrency: 2,
          rate: '10/1s',
          perKeyRate: { limit: 3, interval: '1m' },
        });
        expect(config).toMatchObject({
          queue: 'api',
          paused: false,
          perKeyConcurrency: 2,
          rate: { limit: 10, intervalMs: 1_000 },
          perKeyRate: { limit: 3, intervalMs: 60_000 },
        });
        // Fields left out keep their value; null clears one.
        await queue.configureQueue('api', { rate: null });
        expect(await queue.queueConfig('api')).toMatchObject({ perKeyConcurrency: 2, rate: null });
        expect(await queue.queueConfig('never-configured')).toMatchObject({
          paused: false,
          perKeyConcurrency: null,
        });
        await expect(queue.configureQueue('api', { rate: '5' })).rejects.toThrow(
          'Expected `rate` to be N/duration such as 10/1s or 100/5m, got "5"',
        );
        await expect(queue.configureQueue('api', { rate: 'x/1s' })).rejects.toThrow(
          /count in `rate`/,
        );
        await expect(queue.configureQueue('api', { rate: '5/soon' })).rejects.toThrow(
          /interval in `rate`/,
        );
        await expect(queue.configureQueue('api', { perKeyConcurrency: 0 })).rejects.toThrow(
          'Expected `perKeyConcurrency` to be a whole number from 1 to 100000, got 0',
        );
        await expect(queue.enqueue('api', {}, { concurrencyKey: '' })).rejects.toThrow(
          /`concurrencyKey`/,
        );
        await expect(queue.onBatchComplete('no-such-batch', { queue: 'x' })).rejects.toThrow(
          /No batch/,
        );
      } finally {
        await queue.close();
        await drop();
      }
    });
  });
}

for (const target of FLOW_DBS) {
  describe(`per-key limit in one process: ${target.name}`, () => {
    it('claims the next job of a saturated key as soon as one ends, not a poll interval later', async () => {
      const { db, drop } = await target.create();
      const queue = await JobQueue.open({ db });
      try {
        await queue.configureQueue('one-host', { perKeyConcurrency: 1 });
        await queue.enqueueMany(
          Array.from({ length: 6 }, (_, n) => ({
            queue: 'one-host',
            payload: { n },
            options: { concurrencyKey: 'h' },
          })),
        );
        let running = 0;
        let most = 0;
        const started = Date.now();
        // A 10 s poll interval: without the wake-up after each end, 6 jobs would take 50 s.
        const executor = queue.work(
          'one-host',
          async () => {
            most = Math.max(most, ++running);
            await new Promise((resolve) => setImmediate(resolve));
            running--;
          },
          { concurrency: 5, pollInterval: '10s', exitWhenEmpty: true },
        );
        await waitUntil(
          async () => (await queue.stats()).queues['one-host']?.counts.completed === 6,
          'all six ran',
          20_000,
        );
        expect(Date.now() - started).toBeLessThan(8_000);
        expect(most).toBe(1);
        await executor.stop();
      } finally {
        await queue.close();
        await drop();
      }
    });
  });
}
