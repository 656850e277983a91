/** Conformance, part five: finishAndClaim (one commit ends jobs and claims more) and release. */
import { describe, expect, it } from 'vitest';
import { claimOne, end, enqueueOne, type SuiteContext } from './conformance-helpers.js';

const claimParams = { queues: ['q'], workerId: 'w1', leaseMs: 30_000 };

export function defineRefillConformance(ctx: SuiteContext): void {
  describe('finishAndClaim and release', () => {
    it('ends jobs and claims the next ones in claim order, reporting fenced ends as not applied', async () => {
      const store = ctx.store();
      if (!store.finishAndClaim) throw new Error('both drivers implement finishAndClaim');
      const first = await enqueueOne(store, { payload: '{"n":1}' });
      const second = await enqueueOne(store, { payload: '{"n":2}' });
      const third = await enqueueOne(store, { payload: '{"n":3}', priority: 5 });
      const a = await claimOne(store);
      const b = await claimOne(store);
      expect([a.id, b.id]).toEqual([third.job.id, first.job.id]);
      const { applied, claimed } = await store.finishAndClaim({
        ends: [end(a), end(b, { token: 'not-the-token' })],
        claim: { ...claimParams, limit: 5 },
      });
      expect(applied).toEqual([true, false]);
      // Only one job was left ready (of the others, one is completed and one still running).
      expect(claimed.map((job) => [job.id, job.status])).toEqual([[second.job.id, 'running']]);
      expect((await store.getJob(a.id))!.status).toBe('completed');
      expect((await store.getJob(b.id))!.status).toBe('running');
      expect(await store.listAttempts(claimed[0]!.id)).toMatchObject([
        { attempt: 1, outcome: 'running', workerId: 'w1' },
      ]);
    });

    it('claims a retry its own ends made due, in the same call or the next claim', async () => {
      const store = ctx.store();
      if (!store.finishAndClaim) throw new Error('both drivers implement finishAndClaim');
      await enqueueOne(store);
      const job = await claimOne(store);
      const { applied, claimed } = await store.finishAndClaim({
        ends: [
          end(job, {
            status: 'retrying',
            attemptOutcome: 'failed',
            runAt: new Date(Date.now() - 1_000),
            error: { message: 'flaky', stack: null },
          }),
        ],
        claim: { ...claimParams, limit: 1 },
      });
      expect(applied).toEqual([true]);
      // SQLite's claim sees the ends of its own transaction; PostgreSQL's one statement reads the
      // snapshot from before them. Either way the retry is claimed, once, as attempt 2.
      const again = claimed.length > 0 ? claimed : await store.claim({ ...claimParams, limit: 1 });
      expect(again.map((c) => [c.id, c.attempts])).toEqual([[job.id, 2]]);
      expect(again[0]!.leaseToken).not.toBe(job.leaseToken);
      expect(await store.claim({ ...claimParams, limit: 1 })).toEqual([]);
    });

    it('with ends only or a claim only, behaves as finish or claim', async () => {
      const store = ctx.store();
      if (!store.finishAndClaim) throw new Error('both drivers implement finishAndClaim');
      await enqueueOne(store);
      await enqueueOne(store);
      const job = await claimOne(store);
      expect(
        await store.finishAndClaim({ ends: [end(job)], claim: { ...claimParams, limit: 0 } }),
      ).toEqual({ applied: [true], claimed: [] });
      const { applied, claimed } = await store.finishAndClaim({
        ends: [],
        claim: { ...claimParams, limit: 3 },
      });
      expect(applied).toEqual([]);
      expect(claimed).toHaveLength(1);
    });

    it('releases a claimed job that never started: pending again, nothing counted, no attempt kept', async () => {
      const store = ctx.store();
      const { job: queued } = await enqueueOne(store);
      const job = await claimOne(store);
      const [applied] = await store.finish({
        ends: [
          end(job, {
            status: 'pending',
            attemptOutcome: 'interrupted',
            release: true,
            result: undefined,
          }),
        ],
      });
      expect(applied).toBe(true);
      const stored = await store.getJob(queued.id);
      expect(stored).toMatchObject({
        status: 'pending',
        attempts: 0,
        startedAt: null,
        workerId: null,
      });
      expect(await store.listAttempts(queued.id)).toEqual([]);
      // It is claimed again as attempt 1.
      const again = await claimOne(store);
      expect([again.id, again.attempts]).toEqual([queued.id, 1]);
      expect(await store.listAttempts(queued.id)).toMatchObject([
        { attempt: 1, outcome: 'running' },
      ]);
    });
  });
}
