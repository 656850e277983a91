/**
 * The store conformance suite: every Store (SQLite, PostgreSQL) must pass it unchanged.
 * It uses only the Store interface. Each test gets a fresh, empty store from the factory.
 *
 * Usage, in test/store/<driver>.test.ts:
 *   defineStoreConformance('sqlite', async () => ({ store, openAnother, cleanup }));
 * `openAnother()` opens another connection (another Store object) on the same database, as a
 * second process would; the suite closes those itself. `cleanup()` closes `store` and removes
 * the database.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NewJob, Store } from '../../src/store/store.js';
import { defineAdminConformance } from './conformance-admin.js';
import { defineFlowConformance } from './conformance-flow.js';
import { defineLeaseConformance } from './conformance-leases.js';
import { defineRefillConformance } from './conformance-refill.js';
import {
  claimOne,
  end,
  enqueueOne,
  newJob,
  type StoreFactory,
  type StoreFixture,
  type SuiteContext,
} from './conformance-helpers.js';

export type { StoreFactory, StoreFixture } from './conformance-helpers.js';

export function defineStoreConformance(name: string, factory: StoreFactory): void {
  describe(`Store conformance: ${name}`, () => {
    let fixture: StoreFixture;
    let others: Store[] = [];
    beforeEach(async () => {
      fixture = await factory();
      others = [];
    });
    afterEach(async () => {
      await Promise.all(others.map((other) => other.close()));
      await fixture.cleanup();
    });
    const ctx: SuiteContext = {
      store: () => fixture.store,
      another: async () => {
        const other = await fixture.openAnother();
        others.push(other);
        return other;
      },
    };

    describe('enqueue', () => {
      it('round-trips a job through enqueue and getJob', async () => {
        const store = ctx.store();
        const before = (await store.now()).getTime();
        const runAt = new Date(before + 60_000);
        const { job, existing } = await enqueueOne(store, {
          queue: 'mail',
          key: 'k-1',
          payload: '{"to":"a@b.c","n":[1,2]}',
          priority: 7,
          runAt,
          maxAttempts: 4,
          timeoutMs: 1500,
        });
        expect(existing).toBe(false);
        expect(job.id).toMatch(/^[1-9]\d*$/);
        const stored = await store.getJob(job.id);
        expect(stored).toEqual(job);
        expect(stored).toMatchObject({
          queue: 'mail',
          key: 'k-1',
          payload: { to: 'a@b.c', n: [1, 2] },
          status: 'pending',
          priority: 7,
          attempts: 0,
          maxAttempts: 4,
          timeoutMs: 1500,
          batchId: null,
          progress: null,
          result: null,
          lastError: null,
          cancelRequested: false,
          workerId: null,
          leaseExpiresAt: null,
          startedAt: null,
          finishedAt: null,
        });
        expect(stored!.runAt.getTime()).toBe(runAt.getTime());
        expect(stored!.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
        expect(await store.getJob(String(Number(job.id) + 1000))).toBeNull();
      });

      it('enqueues several jobs in order, due now when no runAt is given', async () => {
        const store = ctx.store();
        const before = (await store.now()).getTime();
        const results = await store.enqueue({
          jobs: [newJob(), newJob({ payload: '"b"' }), newJob({ payload: '3' })],
        });
        const ids = results.map((r) => Number(r.job.id));
        expect(ids).toEqual([...ids].sort((a, b) => a - b));
        expect(new Set(ids).size).toBe(3);
        expect(results.map((r) => r.job.payload)).toEqual([{ n: 1 }, 'b', 3]);
        const after = (await store.now()).getTime();
        for (const { job } of results) {
          expect(job.runAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
          expect(job.runAt.getTime()).toBeLessThanOrEqual(after);
        }
      });

      it('returns the active job for a key in the same queue, and only there', async () => {
        const store = ctx.store();
        const first = await enqueueOne(store, { key: 'addr-1' });
        const again = await enqueueOne(store, { key: 'addr-1', payload: '"other"' });
        expect(again.existing).toBe(true);
        expect(again.job.id).toBe(first.job.id);
        expect(again.job.payload).toEqual({ n: 1 });
        const otherQueue = await enqueueOne(store, { key: 'addr-1', queue: 'other' });
        expect(otherQueue.existing).toBe(false);
        // Running is still active.
        await claimOne(store);
        expect((await enqueueOne(store, { key: 'addr-1' })).job.id).toBe(first.job.id);
        // Within one call, the second job with the key sees the first.
        const pair = await store.enqueue({
          jobs: [newJob({ key: 'addr-2' }), newJob({ key: 'addr-2' })],
        });
        expect(pair.map((r) => r.existing)).toEqual([false, true]);
        expect(pair[1]!.job.id).toBe(pair[0]!.job.id);
      });

      it('allows a new job for a key once the old one is terminal, except within the same batch', async () => {
        const store = ctx.store();
        const first = await enqueueOne(store, { key: 'addr-1', batchName: 'import-1' });
        const claimed = await claimOne(store);
        expect(await store.finish({ ends: [end(claimed)] })).toEqual([true]);
        const sameBatch = await enqueueOne(store, { key: 'addr-1', batchName: 'import-1' });
        expect(sameBatch.existing).toBe(true);
        expect(sameBatch.job.id).toBe(first.job.id);
        expect(sameBatch.job.status).toBe('completed');
        const fresh = await enqueueOne(store, { key: 'addr-1' });
        expect(fresh.existing).toBe(false);
        expect(fresh.job.id).not.toBe(first.job.id);
        const otherBatch = await enqueueOne(store, { key: 'addr-9', batchName: 'import-2' });
        expect(otherBatch.existing).toBe(false);
      });

      it('creates a batch on first use and finds it by id or name', async () => {
        const store = ctx.store();
        const a = await enqueueOne(store, { batchName: 'csv-1', queue: 'images' });
        const b = await enqueueOne(store, { batchName: 'csv-1', queue: 'images' });
        expect(a.job.batchId).toBeTruthy();
        expect(b.job.batchId).toBe(a.job.batchId);
        const byName = await store.getBatch('csv-1');
        expect(byName).toMatchObject({ id: a.job.batchId, name: 'csv-1', queue: 'images' });
        expect(byName!.createdAt).toBeInstanceOf(Date);
        expect(await store.getBatch(a.job.batchId!)).toEqual(byName);
        expect(await store.getBatch('no-such-batch')).toBeNull();
      });

      it('enqueues a stream in one transaction, counting keys already present', async () => {
        const store = ctx.store();
        await enqueueOne(store, { key: 'row-0' });
        async function* chunks() {
          yield [newJob({ key: 'row-0' }), newJob({ key: 'row-1' })];
          await new Promise((resolve) => setTimeout(resolve, 1));
          yield [newJob({ key: 'row-1' }), newJob({ key: 'row-2' }), newJob()];
        }
        expect(await store.enqueueStream({ chunks: chunks() })).toEqual({
          inserted: 3,
          existing: 2,
        });
        const jobs = await store.listJobs({ limit: 100 });
        expect(jobs.map((job) => job.key)).toEqual(['row-0', 'row-1', 'row-2', null]);
      });

      it('keeps nothing of a stream whose source throws, and rethrows its error', async () => {
        const store = ctx.store();
        async function* chunks() {
          yield [newJob({ key: 'a' }), newJob({ key: 'b', batchName: 'half' })];
          yield [newJob({ key: 'c' })];
          throw new Error('line 7: unclosed quote');
        }
        await expect(store.enqueueStream({ chunks: chunks() })).rejects.toThrow(
          'line 7: unclosed quote',
        );
        expect(await store.listJobs({ limit: 10 })).toEqual([]);
        expect(await store.countByQueueAndStatus()).toEqual([]);
        // The store is still usable afterwards (no transaction left open).
        expect((await enqueueOne(store, { key: 'a' })).existing).toBe(false);
        const other = await ctx.another();
        expect((await enqueueOne(other, { key: 'z' })).existing).toBe(false);
      });
    });

    describe('claim', () => {
      it('claims retrying before pending, then higher priority, then FIFO; never a job not yet due', async () => {
        const store = ctx.store();
        const retried = await enqueueOne(store, { priority: -5, payload: '"R"' });
        const first = await claimOne(store);
        expect(first.id).toBe(retried.job.id);
        expect(
          await store.finish({
            ends: [
              end(first, {
                status: 'retrying',
                attemptOutcome: 'retrying',
                runAt: await store.now(),
                error: { message: 'flaky', stack: null },
              }),
            ],
          }),
        ).toEqual([true]);
        const later = new Date((await store.now()).getTime() + 3_600_000);
        const results = await store.enqueue({
          jobs: [
            newJob({ payload: '"A"' }),
            newJob({ payload: '"B"', priority: 5 }),
            newJob({ payload: '"C"' }),
            newJob({ payload: '"D"', priority: 100, runAt: later }),
            newJob({ payload: '"E"', priority: 5 }),
          ],
        });
        expect(results).toHaveLength(5);
        const claimed = await store.claim({
          queues: ['q'],
          limit: 10,
          workerId: 'w1',
          leaseMs: 30_000,
        });
        expect(claimed.map((job) => job.payload)).toEqual(['R', 'B', 'E', 'A', 'C']);
        expect(
          await store.claim({ queues: ['q'], limit: 10, workerId: 'w1', leaseMs: 30_000 }),
        ).toEqual([]);
      });

      it('claims at most `limit` jobs, across several queues in claim order, and only from the queues named', async () => {
        const store = ctx.store();
        await store.enqueue({
          jobs: [
            newJob({ queue: 'a' }),
            newJob({ queue: 'a' }),
            newJob({ queue: 'b', priority: 9 }),
            newJob({ queue: 'b' }),
            newJob({ queue: 'c', priority: 50 }),
          ],
        });
        const first = await store.claim({
          queues: ['a', 'b'],
          limit: 2,
          workerId: 'w1',
          leaseMs: 30_000,
        });
        expect(first.map((job) => [job.queue, job.priority])).toEqual([
          ['b', 9],
          ['a', 0],
        ]);
        const rest = await store.claim({
          queues: ['a', 'b'],
          limit: 10,
          workerId: 'w1',
          leaseMs: 30_000,
        });
        expect(rest.map((job) => job.queue)).toEqual(['a', 'b']);
        expect(
          await store.claim({ queues: ['a', 'b'], limit: 10, workerId: 'w1', leaseMs: 30_000 }),
        ).toEqual([]);
        expect((await store.listJobs({ queue: 'c', limit: 10 }))[0]!.status).toBe('pending');
      });

      it('marks a claimed job running under a fresh lease and records the attempt', async () => {
        const store = ctx.store();
        const { job } = await enqueueOne(store);
        const before = (await store.now()).getTime();
        const claimed = await claimOne(store, 30_000, 'q', 'worker-A');
        expect(claimed).toMatchObject({
          id: job.id,
          status: 'running',
          attempts: 1,
          workerId: 'worker-A',
          roundStart: 0,
        });
        expect(claimed.leaseToken).toEqual(expect.any(String));
        expect(claimed.leaseToken.length).toBeGreaterThanOrEqual(8);
        expect(claimed.leaseExpiresAt!.getTime()).toBeGreaterThanOrEqual(before + 30_000 - 1000);
        expect(claimed.startedAt).toBeInstanceOf(Date);
        expect(await store.getJob(job.id)).toMatchObject({
          status: 'running',
          attempts: 1,
          workerId: 'worker-A',
        });
        const attempts = await store.listAttempts(job.id);
        expect(attempts).toHaveLength(1);
        expect(attempts[0]).toMatchObject({
          jobId: job.id,
          attempt: 1,
          workerId: 'worker-A',
          outcome: 'running',
          finishedAt: null,
        });
      });

      it('never claims one job twice among concurrent claimers on separate connections', async () => {
        const store = ctx.store();
        const total = 500;
        const jobs: NewJob[] = Array.from({ length: total }, (_, i) =>
          newJob({ payload: String(i), priority: i % 3 }),
        );
        await store.enqueue({ jobs });
        const claimers = [store, await ctx.another(), await ctx.another(), await ctx.another()];
        const seen = new Map<string, string>();
        const duplicates: string[] = [];
        await Promise.all(
          claimers.map(async (claimer, index) => {
            const workerId = `w${index}`;
            for (;;) {
              const claimed = await claimer.claim({
                queues: ['q'],
                limit: 7,
                workerId,
                leaseMs: 30_000,
              });
              if (claimed.length === 0) return;
              for (const job of claimed) {
                if (seen.has(job.id)) duplicates.push(job.id);
                seen.set(job.id, workerId);
              }
              // Finish half of them so claims and writes interleave.
              const ends = claimed.filter((_, i) => i % 2 === 0).map((job) => end(job));
              if (ends.length) expect(await claimer.finish({ ends })).toEqual(ends.map(() => true));
            }
          }),
        );
        expect(duplicates).toEqual([]);
        expect(seen.size).toBe(total);
        expect(new Set(seen.values()).size).toBeGreaterThan(1);
        const attempts = await Promise.all(
          [...seen.keys()].slice(0, 50).map((id) => store.listAttempts(id)),
        );
        for (const list of attempts) expect(list).toHaveLength(1);
      });
    });

    defineLeaseConformance(ctx);
    defineRefillConformance(ctx);
    defineAdminConformance(ctx);
    defineFlowConformance(ctx);
  });
}
