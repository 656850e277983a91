/** Conformance, part three: flow control (pause, per-key concurrency, rates), batch callbacks, schedules. */
import { describe, expect, it } from 'vitest';
import type { ClaimedJob, Store } from '../../src/store/store.js';
import { end, enqueueOne, newJob, waitUntil, type SuiteContext } from './conformance-helpers.js';

function need<K extends keyof Store>(store: Store, name: K): NonNullable<Store[K]> {
  const method = store[name];
  expect(typeof method, `store.${String(name)}`).toBe('function');
  return (method as (...args: unknown[]) => unknown).bind(store) as NonNullable<Store[K]>;
}

async function claim(
  store: Store,
  limit: number,
  queue = 'q',
  workerId = 'w1',
): Promise<ClaimedJob[]> {
  return store.claim({ queues: [queue], limit, workerId, leaseMs: 30_000 });
}

function keysOf(jobs: ClaimedJob[]): string[] {
  return jobs.map((job) => job.concurrencyKey ?? '-').sort();
}

export function defineFlowConformance(ctx: SuiteContext): void {
  describe('flow control', () => {
    it('stores a concurrency key with the job', async () => {
      const store = ctx.store();
      const { job } = await enqueueOne(store, { concurrencyKey: 'host-a' });
      expect(job.concurrencyKey).toBe('host-a');
      expect((await store.getJob(job.id))?.concurrencyKey).toBe('host-a');
      expect((await enqueueOne(store)).job.concurrencyKey).toBeNull();
    });

    it('claims nothing from a paused queue, other queues go on, and resumes', async () => {
      const store = ctx.store();
      const setQueueConfig = need(store, 'setQueueConfig');
      await store.enqueue({ jobs: [newJob(), newJob(), newJob({ queue: 'other' })] });
      const paused = await setQueueConfig({ queue: 'q', changes: { paused: true } });
      expect(paused).toMatchObject({
        queue: 'q',
        paused: true,
        perKeyConcurrency: null,
        rate: null,
      });
      expect(await claim(store, 10)).toEqual([]);
      expect(
        await store.claim({ queues: ['q', 'other'], limit: 10, workerId: 'w', leaseMs: 30_000 }),
      ).toHaveLength(1);
      expect((await need(store, 'listQueueConfigs')()).map((c) => [c.queue, c.paused])).toEqual([
        ['q', true],
      ]);
      await setQueueConfig({ queue: 'q', changes: { paused: false } });
      expect(await claim(store, 10)).toHaveLength(2);
    });

    it('keeps per-key concurrency, and a saturated key does not block other keys behind it', async () => {
      const store = ctx.store();
      await need(store, 'setQueueConfig')({ queue: 'q', changes: { perKeyConcurrency: 2 } });
      // Five of key a first in FIFO order: the claim must read past them to reach b and the unkeyed job.
      await store.enqueue({
        jobs: [
          ...Array.from({ length: 5 }, () => newJob({ concurrencyKey: 'a' })),
          ...Array.from({ length: 3 }, () => newJob({ concurrencyKey: 'b' })),
          newJob(),
        ],
      });
      const first = await claim(store, 10);
      expect(keysOf(first)).toEqual(['-', 'a', 'a', 'b', 'b']);
      expect(await claim(store, 10)).toEqual([]);
      expect(await need(store, 'runningByKey')({ queue: 'q' })).toEqual(
        expect.arrayContaining([
          { key: 'a', running: 2 },
          { key: 'b', running: 2 },
        ]),
      );
      const doneA = first.find((job) => job.concurrencyKey === 'a')!;
      expect(await store.finish({ ends: [end(doneA)] })).toEqual([true]);
      expect(keysOf(await claim(store, 10))).toEqual(['a']);
    });

    it('keeps per-key concurrency when two connections claim at once', async () => {
      const store = ctx.store();
      const other = await ctx.another();
      await need(store, 'setQueueConfig')({ queue: 'q', changes: { perKeyConcurrency: 3 } });
      await store.enqueue({
        jobs: Array.from({ length: 40 }, (_, i) => newJob({ concurrencyKey: `k${i % 2}` })),
      });
      const claims = await Promise.all(
        Array.from({ length: 8 }, (_, i) => claim(i % 2 ? other : store, 2, 'q', `w${i}`)),
      );
      const perKey = new Map<string, number>();
      for (const job of claims.flat())
        perKey.set(job.concurrencyKey!, (perKey.get(job.concurrencyKey!) ?? 0) + 1);
      expect(Object.fromEntries(perKey)).toEqual({ k0: 3, k1: 3 });
    });

    it('limits starts per interval per queue and per key; the starts in the window survive a reconnect', async () => {
      const store = ctx.store();
      const setQueueConfig = need(store, 'setQueueConfig');
      await setQueueConfig({ queue: 'q', changes: { rate: { limit: 3, intervalMs: 60_000 } } });
      await store.enqueue({ jobs: Array.from({ length: 5 }, () => newJob()) });
      const started = await claim(store, 10);
      expect(started).toHaveLength(3);
      await store.finish({ ends: started.map((job) => end(job)) });
      // Finished jobs still count: the limit is on starts. Another connection (a restarted worker) agrees.
      expect(await claim(await ctx.another(), 10)).toEqual([]);
      await setQueueConfig({
        queue: 'q',
        changes: { rate: null, perKeyRate: { limit: 1, intervalMs: 60_000 } },
      });
      await store.enqueue({
        jobs: [
          newJob({ concurrencyKey: 'a' }),
          newJob({ concurrencyKey: 'a' }),
          newJob({ concurrencyKey: 'b' }),
        ],
      });
      // The two unkeyed jobs left over, one of a, one of b.
      expect(keysOf(await claim(store, 10))).toEqual(['-', '-', 'a', 'b']);
      expect(await claim(store, 10)).toEqual([]);
    });

    it('lets jobs over the rate wait, and starts them once the window has passed', async () => {
      const store = ctx.store();
      await need(
        store,
        'setQueueConfig',
      )({ queue: 'q', changes: { rate: { limit: 2, intervalMs: 400 } } });
      await store.enqueue({ jobs: Array.from({ length: 3 }, () => newJob()) });
      const first = await claim(store, 10);
      expect(first).toHaveLength(2);
      expect(await claim(store, 10)).toEqual([]);
      const waiting = (await store.listJobs({ queue: 'q', status: 'pending', limit: 10 }))[0]!;
      expect(waiting.status).toBe('pending');
      const attempts = await store.listAttempts(first[0]!.id);
      const windowEnd = attempts[0]!.startedAt.getTime() + 400;
      await waitUntil(
        async () => (await store.now()).getTime() > windowEnd + 5,
        'the rate window has passed',
      );
      expect(await claim(store, 10)).toHaveLength(1);
    });
  });

  describe('batch callbacks', () => {
    it('enqueues one follow-up when the last two jobs finish at once on two connections', async () => {
      const store = ctx.store();
      const other = await ctx.another();
      const [a] = await store.enqueue({
        jobs: [newJob({ batchName: 'run-1' }), newJob({ batchName: 'run-1' })],
      });
      const batchId = a!.job.batchId!;
      expect(
        await need(
          store,
          'setBatchCallback',
        )({ batchId, callback: { queue: 'after', payload: '{"note":"x"}' } }),
      ).toEqual({ firedJobId: null });
      const [j1, j2] = await claim(store, 2);
      const [r1, r2] = await Promise.all([
        store.finish({ ends: [end(j1!)] }),
        other.finish({
          ends: [
            end(j2!, {
              status: 'failed',
              attemptOutcome: 'failed',
              error: { message: 'x', stack: null },
            }),
          ],
        }),
      ]);
      expect([r1, r2]).toEqual([[true], [true]]);
      const followUps = await store.listJobs({ queue: 'after', limit: 10 });
      expect(followUps).toHaveLength(1);
      expect(followUps[0]!.key).toBe(`batch-complete:${batchId}`);
      expect(followUps[0]!.payload).toEqual({
        batch: { id: batchId, name: 'run-1' },
        counts: { total: 2, completed: 1, failed: 1, cancelled: 0 },
        payload: { note: 'x' },
      });
      // Setting it again does not fire a second one.
      expect(
        await need(
          store,
          'setBatchCallback',
        )({ batchId, callback: { queue: 'after', payload: '{}' } }),
      ).toEqual({ firedJobId: followUps[0]!.id });
      expect(await store.listJobs({ queue: 'after', limit: 10 })).toHaveLength(1);
    });

    it('fires at once for a batch already complete, and when a cancel ends the batch', async () => {
      const store = ctx.store();
      const setBatchCallback = need(store, 'setBatchCallback');
      const [done] = await store.enqueue({ jobs: [newJob({ batchName: 'done' })] });
      await store.finish({ ends: [end((await claim(store, 1))[0]!)] });
      const fired = await setBatchCallback({
        batchId: done!.job.batchId!,
        callback: { queue: 'after', payload: 'null' },
      });
      expect(fired.firedJobId).toMatch(/^\d+$/);
      const [waiting] = await store.enqueue({ jobs: [newJob({ batchName: 'cancel-me' })] });
      const batchId = waiting!.job.batchId!;
      expect(
        await setBatchCallback({ batchId, callback: { queue: 'after', payload: '1' } }),
      ).toEqual({ firedJobId: null });
      await store.cancel({ batchId });
      const followUps = await store.listJobs({ queue: 'after', limit: 10 });
      expect(followUps.map((job) => (job.payload as { counts: unknown }).counts)).toEqual([
        { total: 1, completed: 1, failed: 0, cancelled: 0 },
        { total: 1, completed: 0, failed: 0, cancelled: 1 },
      ]);
    });
  });

  describe('schedules', () => {
    it('stores schedules and fires each tick once however many connections race', async () => {
      const store = ctx.store();
      const saved = await need(
        store,
        'upsertSchedule',
      )({
        name: 'nightly',
        cron: '0 3 * * *',
        tz: 'America/Phoenix',
        queue: 'reports',
        payload: '{"r":1}',
        catchUp: 'latest',
      });
      expect(saved).toMatchObject({
        name: 'nightly',
        tz: 'America/Phoenix',
        catchUp: 'latest',
        lastTick: null,
      });
      const racers = [store, await ctx.another(), await ctx.another()];
      const tick = new Date('2026-03-08T10:00:00.000Z');
      const job = newJob({ queue: 'reports', key: `schedule:nightly:${tick.toISOString()}` });
      const outcomes = await Promise.all(
        racers.map((racer) => need(racer, 'fireSchedule')({ name: 'nightly', tick, job })),
      );
      expect(outcomes.filter((o) => o.fired)).toHaveLength(1);
      expect(await store.listJobs({ queue: 'reports', limit: 10 })).toHaveLength(1);
      // An older tick never fires after a newer one.
      expect(
        (
          await need(
            store,
            'fireSchedule',
          )({ name: 'nightly', tick: new Date(tick.getTime() - 1), job })
        ).fired,
      ).toBe(false);
      const [listed] = await need(store, 'listSchedules')();
      expect(listed!.lastTick?.toISOString()).toBe(tick.toISOString());
      expect(await need(store, 'removeSchedule')('nightly')).toBe(true);
      expect(await need(store, 'removeSchedule')('nightly')).toBe(false);
      expect(await need(store, 'listSchedules')()).toEqual([]);
    });
  });
}
