/**
 * Flow control across real worker processes, on both stores: per-key concurrency under
 * 4 processes × concurrency 10 sampled continuously, a rate measured over sliding windows,
 * and a batch whose last two jobs end at the same moment in two processes.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { tempDir } from '../helpers/tmp.js';
import { requirePostgres } from '../postgres/pg-helpers.js';
import { waitUntil } from '../store/conformance-helpers.js';
import { FLOW_DBS, maxOverlapByKey, readEvents, startFlowWorker } from './flow-helpers.js';

beforeAll(requirePostgres);

for (const target of FLOW_DBS) {
  describe(`flow control across processes: ${target.name}`, () => {
    it('never runs more than perKeyConcurrency jobs of a key: 4 processes × concurrency 10, sampled continuously', async () => {
      const { db, drop } = await target.create();
      const queue = await JobQueue.open({ db });
      try {
        const LIMIT = 3;
        const KEYS = 4;
        await queue.configureQueue('flow', { perKeyConcurrency: LIMIT });
        // Keyed jobs first in FIFO order, unkeyed last: those must still run alongside.
        const items = Array.from({ length: 400 }, (_, i) => {
          const key = i < 360 ? `host-${i % KEYS}` : null;
          return {
            queue: 'flow',
            payload: { i, key },
            options: key ? { concurrencyKey: key } : {},
          };
        });
        await queue.enqueueMany(items);
        const events = join(tempDir(), 'events.log');
        const workers = Array.from({ length: 4 }, () =>
          startFlowWorker({
            db,
            queue: 'flow',
            concurrency: 10,
            events,
            handlerMs: 15,
            exitWhenEmpty: true,
          }),
        );
        let sampled = 0;
        const observed = new Map<string, number>();
        let finished = false;
        const exits = Promise.all(workers.map((worker) => worker.exited)).finally(
          () => (finished = true),
        );
        while (!finished) {
          for (const { key, running } of await queue.store.runningByKey!({ queue: 'flow' })) {
            observed.set(key, Math.max(observed.get(key) ?? 0, running));
          }
          sampled += 1;
          // SQLite reads are synchronous: let the child processes' exit events in.
          await new Promise((resolve) => setImmediate(resolve));
        }
        const codes = await exits;
        expect(codes, workers.map((worker) => worker.stderr()).join('')).toEqual([0, 0, 0, 0]);
        expect((await queue.stats()).queues.flow!.counts.completed).toBe(400);
        expect(sampled).toBeGreaterThan(20);
        // The store's view, sampled while the workers ran: the limit was reached, never passed.
        expect(Math.max(...observed.values())).toBe(LIMIT);
        // The handlers' own view, from start/end times across the 4 processes.
        const log = readEvents(events);
        const overlap = maxOverlapByKey(log);
        expect(overlap.size).toBe(KEYS);
        for (const max of overlap.values()) expect(max).toBeLessThanOrEqual(LIMIT);
        expect(new Set(log.map((event) => event.pid)).size).toBeGreaterThan(1);
        // Unkeyed jobs were not held back behind the saturated keys: some started before the last keyed one.
        const starts = log.filter((event) => event.e === 'start');
        const firstUnkeyed = Math.min(...starts.filter((e) => e.key === null).map((e) => e.t));
        const lastKeyed = Math.max(...starts.filter((e) => e.key !== null).map((e) => e.t));
        expect(firstUnkeyed).toBeLessThan(lastKeyed);
      } finally {
        await queue.close();
        await drop();
      }
    });

    it('starts at most N jobs in any window of the interval across 2 processes', async () => {
      const { db, drop } = await target.create();
      const queue = await JobQueue.open({ db });
      try {
        await queue.configureQueue('rated', { rate: '5/400ms' });
        await queue.enqueueMany(
          Array.from({ length: 20 }, (_, i) => ({ queue: 'rated', payload: { i } })),
        );
        const events = join(tempDir(), 'events.log');
        const workers = Array.from({ length: 2 }, () =>
          startFlowWorker({ db, queue: 'rated', concurrency: 10, events, exitWhenEmpty: true }),
        );
        const codes = await Promise.all(workers.map((worker) => worker.exited));
        expect(codes, workers.map((worker) => worker.stderr()).join('')).toEqual([0, 0]);
        // Start times as the store recorded them (its clock decides the window).
        const starts: number[] = [];
        for await (const job of queue.listAll({ queue: 'rated' })) {
          expect(job.status).toBe('completed');
          for (const attempt of await queue.attempts(job.id))
            starts.push(attempt.startedAt.getTime());
        }
        starts.sort((a, b) => a - b);
        expect(starts).toHaveLength(20);
        let most = 0;
        for (let i = 0; i < starts.length; i++) {
          const inWindow = starts.filter((t) => t >= starts[i]! && t < starts[i]! + 400).length;
          most = Math.max(most, inWindow);
        }
        expect(most).toBe(5);
        // 20 starts at 5 per 400 ms need at least 3 full windows.
        expect(starts[19]! - starts[0]!).toBeGreaterThanOrEqual(1_200);
      } finally {
        await queue.close();
        await drop();
      }
    });

    it('enqueues exactly one follow-up when the last two jobs of a batch end at once in two processes', async () => {
      const { db, drop } = await target.create();
      const queue = await JobQueue.open({ db });
      const dir = tempDir();
      const events = join(dir, 'events.log');
      const barrier = join(dir, 'barrier');
      mkdirSync(barrier);
      const workers = Array.from({ length: 2 }, () =>
        startFlowWorker({ db, queue: 'pair', concurrency: 1, events, barrier }),
      );
      try {
        await queue.enqueueMany([
          { queue: 'pair', payload: { n: 1 }, options: { batch: 'pair-run' } },
          { queue: 'pair', payload: { n: 2 }, options: { batch: 'pair-run' } },
        ]);
        expect(
          await queue.onBatchComplete('pair-run', { queue: 'summary', payload: { report: true } }),
        ).toEqual({
          firedJobId: null,
        });
        await waitUntil(
          async () => (await queue.stats()).queues.pair?.counts.completed === 2,
          'both jobs of the batch completed',
          30_000,
        );
        const log = readEvents(events);
        // Both ran at once, one in each process.
        expect(new Set(log.map((event) => event.pid)).size).toBe(2);
        const ends = log.filter((event) => event.e === 'end').map((event) => event.t);
        expect(Math.abs(ends[0]! - ends[1]!)).toBeLessThan(200);
        const followUps = (await queue.list({ queue: 'summary' })).items;
        expect(followUps).toHaveLength(1);
        expect(followUps[0]!.payload).toMatchObject({
          batch: { name: 'pair-run' },
          counts: { total: 2, completed: 2, failed: 0, cancelled: 0 },
          payload: { report: true },
        });
      } finally {
        for (const worker of workers) worker.child.kill('SIGTERM');
        await Promise.all(workers.map((worker) => worker.exited));
        await queue.close();
        await drop();
      }
    });
  });
}
