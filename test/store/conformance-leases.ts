/** Conformance, part three: leases, heartbeats, fencing, and the rescuer racing a completion. */
import { describe, expect, it } from 'vitest';
import type { AttemptEnd } from '../../src/store/store.js';
import {
  claimOne,
  end,
  enqueueOne,
  waitPastLease,
  type SuiteContext,
} from './conformance-helpers.js';

export function defineLeaseConformance(ctx: SuiteContext): void {
  describe('leases and fencing', () => {
    it('renews a lease on heartbeat, so it is not found expired', async () => {
      const store = ctx.store();
      await enqueueOne(store);
      const claimed = await claimOne(store, 100);
      const renewed = await store.heartbeat({
        leases: [{ jobId: claimed.id, token: claimed.leaseToken }],
        leaseMs: 60_000,
      });
      expect(renewed).toEqual({ lost: [], cancelRequested: [] });
      await waitPastLease(store, claimed);
      expect(await store.findExpiredLeases({ limit: 10 })).toEqual([]);
      const job = await store.getJob(claimed.id);
      expect(job!.leaseExpiresAt!.getTime()).toBeGreaterThan(
        claimed.leaseExpiresAt!.getTime() + 30_000,
      );
    });

    it('finds expired leases with what the rescuer needs', async () => {
      const store = ctx.store();
      await enqueueOne(store, { maxAttempts: 2 });
      await enqueueOne(store);
      const claimed = await claimOne(store, 100);
      const held = await claimOne(store, 60_000);
      await waitPastLease(store, claimed);
      const expired = await store.findExpiredLeases({ limit: 10 });
      expect(expired).toEqual([
        {
          jobId: claimed.id,
          token: claimed.leaseToken,
          queue: 'q',
          attempts: 1,
          maxAttempts: 2,
          roundStart: 0,
        },
      ]);
      expect(expired.map((lease) => lease.jobId)).not.toContain(held.id);
    });

    it('ignores every write of a stale attempt once the job was rescued and claimed again', async () => {
      const store = ctx.store();
      await enqueueOne(store);
      const stale = await claimOne(store, 100, 'q', 'stalled');
      await waitPastLease(store, stale);
      const [lease] = await store.findExpiredLeases({ limit: 10 });
      const rescue: AttemptEnd = {
        ...lease!,
        status: 'retrying',
        attemptOutcome: 'lost',
        runAt: await store.now(),
        error: { message: 'lease expired', stack: null },
        onlyIfLeaseExpired: true,
      };
      expect(await store.finish({ ends: [rescue] })).toEqual([true]);
      expect(await store.getJob(stale.id)).toMatchObject({
        status: 'retrying',
        lastError: 'lease expired',
        workerId: null,
        leaseExpiresAt: null,
      });
      const fresh = await claimOne(store, 30_000, 'q', 'healthy');
      expect(fresh.id).toBe(stale.id);
      expect(fresh.attempts).toBe(2);
      expect(fresh.leaseToken).not.toBe(stale.leaseToken);

      const staleLease = { jobId: stale.id, token: stale.leaseToken };
      expect(await store.heartbeat({ leases: [staleLease], leaseMs: 60_000 })).toEqual({
        lost: [stale.id],
        cancelRequested: [],
      });
      await store.saveProgress({
        updates: [{ ...staleLease, progress: { current: 9, total: 9 } }],
      });
      expect(await store.finish({ ends: [end(stale, { result: '"stale"' })] })).toEqual([false]);
      expect(
        await store.finish({
          ends: [
            end(stale, {
              status: 'failed',
              attemptOutcome: 'failed',
              error: { message: 'x', stack: null },
            }),
          ],
        }),
      ).toEqual([false]);

      const job = await store.getJob(stale.id);
      expect(job).toMatchObject({
        status: 'running',
        workerId: 'healthy',
        progress: null,
        result: null,
        attempts: 2,
      });
      expect(job!.leaseExpiresAt!.getTime()).toBe(fresh.leaseExpiresAt!.getTime());
      const attempts = await store.listAttempts(stale.id);
      expect(attempts.map((a) => [a.attempt, a.workerId, a.outcome])).toEqual([
        [1, 'stalled', 'lost'],
        [2, 'healthy', 'running'],
      ]);
      expect(attempts[0]!.error).toBe('lease expired');
      expect(attempts[0]!.finishedAt).toBeInstanceOf(Date);
      // The live attempt's writes still apply.
      expect(await store.finish({ ends: [end(fresh, { result: '{"ok":true}' })] })).toEqual([true]);
      expect(await store.getJob(stale.id)).toMatchObject({
        status: 'completed',
        result: { ok: true },
      });
    });

    it('keeps a job completed when it completes between the rescuer finding it and the rescuer writing', async () => {
      const store = ctx.store();
      const rescuer = await ctx.another();
      await enqueueOne(store);
      const claimed = await claimOne(store, 100);
      await waitPastLease(store, claimed);
      const [lease] = await rescuer.findExpiredLeases({ limit: 10 });
      expect(lease!.jobId).toBe(claimed.id);
      // The slow worker finishes just now, with its (expired but not yet taken) lease.
      expect(await store.finish({ ends: [end(claimed, { result: '"done"' })] })).toEqual([true]);
      const applied = await rescuer.finish({
        ends: [
          {
            ...lease!,
            status: 'retrying',
            attemptOutcome: 'lost',
            runAt: await rescuer.now(),
            error: { message: 'lease expired', stack: null },
            onlyIfLeaseExpired: true,
          },
        ],
      });
      expect(applied).toEqual([false]);
      expect(await store.getJob(claimed.id)).toMatchObject({
        status: 'completed',
        result: 'done',
        lastError: null,
      });
      expect((await store.listAttempts(claimed.id)).map((a) => a.outcome)).toEqual(['completed']);
    });

    it('does not rescue a lease renewed between the rescuer finding it and the rescuer writing', async () => {
      const store = ctx.store();
      await enqueueOne(store);
      const claimed = await claimOne(store, 100);
      await waitPastLease(store, claimed);
      const [lease] = await store.findExpiredLeases({ limit: 10 });
      const renewed = await store.heartbeat({
        leases: [{ jobId: claimed.id, token: claimed.leaseToken }],
        leaseMs: 60_000,
      });
      expect(renewed.lost).toEqual([]);
      const applied = await store.finish({
        ends: [
          {
            ...lease!,
            status: 'retrying',
            attemptOutcome: 'lost',
            runAt: await store.now(),
            onlyIfLeaseExpired: true,
          },
        ],
      });
      expect(applied).toEqual([false]);
      expect(await store.getJob(claimed.id)).toMatchObject({ status: 'running' });
    });

    it('saves progress under a live lease', async () => {
      const store = ctx.store();
      await enqueueOne(store);
      const claimed = await claimOne(store);
      await store.saveProgress({
        updates: [
          {
            jobId: claimed.id,
            token: claimed.leaseToken,
            progress: { current: 3, total: 10, message: 'photos' },
          },
        ],
      });
      expect((await store.getJob(claimed.id))!.progress).toEqual({
        current: 3,
        total: 10,
        message: 'photos',
      });
    });
  });
}
