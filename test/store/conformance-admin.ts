/** Conformance, part two: attempt ends and history, cancel, retry, purge, listings and stats. */
import { describe, expect, it } from 'vitest';
import {
  claimOne,
  end,
  enqueueOne,
  newJob,
  waitUntil,
  type SuiteContext,
} from './conformance-helpers.js';

export function defineAdminConformance(ctx: SuiteContext): void {
  describe('attempt ends and history', () => {
    it('records a failure with its error and stack, on the job and on the attempt', async () => {
      const store = ctx.store();
      await enqueueOne(store);
      const claimed = await claimOne(store);
      const error = {
        message: 'HTTP 404 for https://example.test/a',
        stack: 'Error: HTTP 404\n    at fetch (x.js:1:1)',
      };
      expect(
        await store.finish({
          ends: [end(claimed, { status: 'failed', attemptOutcome: 'failed', error })],
        }),
      ).toEqual([true]);
      const job = await store.getJob(claimed.id);
      expect(job).toMatchObject({
        status: 'failed',
        lastError: error.message,
        workerId: null,
        leaseExpiresAt: null,
      });
      expect(job!.finishedAt).toBeInstanceOf(Date);
      const [attempt] = await store.listAttempts(claimed.id);
      expect(attempt).toMatchObject({
        attempt: 1,
        outcome: 'failed',
        error: error.message,
        stack: error.stack,
      });
      expect(attempt!.finishedAt).toBeInstanceOf(Date);
    });

    it('applies several ends in one call and says which applied', async () => {
      const store = ctx.store();
      await store.enqueue({ jobs: [newJob(), newJob(), newJob()] });
      const claimed = await store.claim({
        queues: ['q'],
        limit: 3,
        workerId: 'w1',
        leaseMs: 30_000,
      });
      const applied = await store.finish({
        ends: [
          end(claimed[0]!, { result: '1' }),
          { ...end(claimed[1]!), token: 'not-the-token' },
          end(claimed[2]!, {
            status: 'cancelled',
            attemptOutcome: 'cancelled',
            error: { message: 'Job was cancelled', stack: null },
          }),
        ],
      });
      expect(applied).toEqual([true, false, true]);
      const statuses = await Promise.all(
        claimed.map(async (job) => (await store.getJob(job.id))!.status),
      );
      expect(statuses).toEqual(['completed', 'running', 'cancelled']);
    });

    it('does not count a handed-back attempt: attempts goes back down and the next claim reuses the number', async () => {
      const store = ctx.store();
      await enqueueOne(store);
      const first = await claimOne(store, 30_000, 'q', 'stopping');
      const handBack = end(first, {
        status: 'pending',
        attemptOutcome: 'interrupted',
        error: { message: 'Worker is shutting down', stack: null },
      });
      delete handBack.result;
      expect(await store.finish({ ends: [handBack] })).toEqual([true]);
      expect(await store.getJob(first.id)).toMatchObject({
        status: 'pending',
        attempts: 0,
        workerId: null,
        leaseExpiresAt: null,
        finishedAt: null,
      });
      const second = await claimOne(store, 30_000, 'q', 'restarted');
      expect(second.id).toBe(first.id);
      expect(second.attempts).toBe(1);
      expect(await store.finish({ ends: [end(second, { result: '"ok"' })] })).toEqual([true]);
      const attempts = await store.listAttempts(first.id);
      expect(attempts.map((a) => [a.attempt, a.workerId, a.outcome])).toEqual([
        [1, 'stopping', 'interrupted'],
        [1, 'restarted', 'completed'],
      ]);
      expect((await store.getJob(first.id))!.startedAt!.getTime()).toBe(first.startedAt!.getTime());
    });

    it('makes a retrying job due at the time given', async () => {
      const store = ctx.store();
      await enqueueOne(store);
      const claimed = await claimOne(store);
      const runAt = new Date((await store.now()).getTime() + 3_600_000);
      await store.finish({
        ends: [
          end(claimed, {
            status: 'retrying',
            attemptOutcome: 'retrying',
            runAt,
            error: { message: 'HTTP 503', stack: null },
          }),
        ],
      });
      expect(await store.getJob(claimed.id)).toMatchObject({
        status: 'retrying',
        lastError: 'HTTP 503',
        attempts: 1,
      });
      expect((await store.getJob(claimed.id))!.runAt.getTime()).toBe(runAt.getTime());
      expect(
        await store.claim({ queues: ['q'], limit: 5, workerId: 'w1', leaseMs: 30_000 }),
      ).toEqual([]);
    });
  });

  describe('cancel', () => {
    it('cancels a waiting job at once and asks a running one to stop', async () => {
      const store = ctx.store();
      const waiting = await enqueueOne(store);
      const outcome = await store.cancel({ jobId: waiting.job.id });
      expect(outcome).toEqual({ cancelled: [waiting.job.id], requested: [] });
      expect(await store.getJob(waiting.job.id)).toMatchObject({ status: 'cancelled' });
      expect((await store.getJob(waiting.job.id))!.finishedAt).toBeInstanceOf(Date);

      await enqueueOne(store);
      const running = await claimOne(store);
      expect(await store.cancel({ jobId: running.id })).toEqual({
        cancelled: [],
        requested: [running.id],
      });
      expect(await store.getJob(running.id)).toMatchObject({
        status: 'running',
        cancelRequested: true,
      });
      const beat = await store.heartbeat({
        leases: [{ jobId: running.id, token: running.leaseToken }],
        leaseMs: 30_000,
      });
      expect(beat).toEqual({ lost: [], cancelRequested: [running.id] });
      // A finished job is left alone.
      await store.finish({
        ends: [end(running, { status: 'cancelled', attemptOutcome: 'cancelled' })],
      });
      expect(await store.cancel({ jobId: running.id })).toEqual({ cancelled: [], requested: [] });
    });

    it('cancels a whole batch and nothing outside it', async () => {
      const store = ctx.store();
      const results = await store.enqueue({
        jobs: [
          newJob({ batchName: 'b' }),
          newJob({ batchName: 'b' }),
          newJob({ batchName: 'b' }),
          newJob(),
        ],
      });
      const running = await claimOne(store);
      expect(running.id).toBe(results[0]!.job.id);
      const outcome = await store.cancel({ batchId: results[0]!.job.batchId! });
      expect(outcome.requested).toEqual([running.id]);
      expect([...outcome.cancelled].sort()).toEqual(
        [results[1]!.job.id, results[2]!.job.id].sort(),
      );
      expect((await store.getJob(results[3]!.job.id))!.status).toBe('pending');
    });
  });

  describe('retry', () => {
    async function failOne(
      queue = 'q',
      key: string | null = null,
      batchName: string | null = null,
    ) {
      const store = ctx.store();
      const { job } = await enqueueOne(store, { queue, key, batchName, maxAttempts: 1 });
      const claimed = await claimOne(store, 30_000, queue);
      expect(claimed.id).toBe(job.id);
      await store.finish({
        ends: [
          end(claimed, {
            status: 'failed',
            attemptOutcome: 'failed',
            error: { message: 'boom', stack: null },
          }),
        ],
      });
      return job.id;
    }

    it('puts a failed job back to pending with a new round of attempts', async () => {
      const store = ctx.store();
      const id = await failOne();
      expect(await store.retry({ jobId: id })).toEqual({ retried: [id], skipped: [] });
      const job = await store.getJob(id);
      expect(job).toMatchObject({
        status: 'pending',
        attempts: 1,
        finishedAt: null,
        cancelRequested: false,
      });
      const claimed = await claimOne(store);
      expect(claimed).toMatchObject({ id, attempts: 2, roundStart: 1 });
      // Only failed or cancelled jobs are retried (a double click makes one attempt).
      expect(await store.retry({ jobId: id })).toEqual({ retried: [], skipped: [] });
    });

    it('retries a cancelled job by id, and every failed job of a queue or batch', async () => {
      const store = ctx.store();
      const cancelled = await enqueueOne(store, { queue: 'y' });
      await store.cancel({ jobId: cancelled.job.id });
      expect((await store.retry({ jobId: cancelled.job.id })).retried).toEqual([cancelled.job.id]);
      const a = await failOne('bulk');
      const b = await failOne('bulk');
      const other = await failOne('elsewhere');
      const inBatch = await failOne('x', null, 'nightly');
      const bulk = await store.retry({ queue: 'bulk' });
      expect([...bulk.retried].sort()).toEqual([a, b].sort());
      expect((await store.getJob(other))!.status).toBe('failed');
      const batch = await store.getBatch('nightly');
      expect(await store.retry({ batchId: batch!.id })).toEqual({
        retried: [inBatch],
        skipped: [],
      });
    });

    it('skips a job whose key has another active job in its queue', async () => {
      const store = ctx.store();
      const id = await failOne('q', 'addr-1');
      const replacement = await enqueueOne(store, { key: 'addr-1' });
      expect(replacement.existing).toBe(false);
      expect(await store.retry({ jobId: id })).toEqual({ retried: [], skipped: [id] });
      expect(await store.retry({ queue: 'q' })).toEqual({ retried: [], skipped: [id] });
      expect((await store.getJob(id))!.status).toBe('failed');
    });
  });

  describe('purge', () => {
    it('deletes finished jobs of the given statuses with their history, and never reuses their ids', async () => {
      const store = ctx.store();
      await store.enqueue({ jobs: [newJob(), newJob(), newJob()] });
      const [waiting, failed, done] = await store.claim({
        queues: ['q'],
        limit: 3,
        workerId: 'w1',
        leaseMs: 30_000,
      });
      await store.finish({
        ends: [
          { ...end(waiting!), status: 'pending', attemptOutcome: 'interrupted' },
          end(failed!, { status: 'failed', attemptOutcome: 'failed' }),
          end(done!),
        ],
      });
      const finishedAt = (await store.getJob(done!.id))!.finishedAt!.getTime();
      expect(
        await store.purge({ finishedBefore: new Date(finishedAt), statuses: ['completed'] }),
      ).toBe(0);
      await waitUntil(
        async () => (await store.now()).getTime() > finishedAt,
        'the clock moved past the finish',
      );
      expect(
        await store.purge({ finishedBefore: await store.now(), statuses: ['completed'] }),
      ).toBe(1);
      expect(await store.getJob(done!.id)).toBeNull();
      expect(await store.listAttempts(done!.id)).toEqual([]);
      expect((await store.getJob(failed!.id))!.status).toBe('failed');
      expect((await store.getJob(waiting!.id))!.status).toBe('pending');
      // The purged job had the highest id: a new job must not get it again.
      const next = await enqueueOne(store);
      expect(Number(next.job.id)).toBeGreaterThan(Number(done!.id));
      expect(
        await store.purge({ finishedBefore: await store.now(), statuses: ['failed', 'cancelled'] }),
      ).toBe(1);
      expect((await store.listJobs({ limit: 10 })).map((job) => job.id)).toEqual([
        waiting!.id,
        next.job.id,
      ]);
    });
  });

  describe('listings and stats', () => {
    it('lists jobs by filter with an id cursor, in either order', async () => {
      const store = ctx.store();
      const results = await store.enqueue({
        jobs: [
          newJob({ key: 'k1' }),
          newJob({ queue: 'other' }),
          newJob({ batchName: 'b1' }),
          newJob(),
          newJob({ key: 'k5' }),
        ],
      });
      const ids = results.map((r) => r.job.id);
      const all = await store.listJobs({ limit: 100 });
      expect(all.map((job) => job.id)).toEqual(ids);
      const page1 = await store.listJobs({ queue: 'q', limit: 2 });
      expect(page1.map((job) => job.id)).toEqual([ids[0], ids[2]]);
      const page2 = await store.listJobs({ queue: 'q', limit: 2, after: page1[1]!.id });
      expect(page2.map((job) => job.id)).toEqual([ids[3], ids[4]]);
      const newest = await store.listJobs({ limit: 2, order: 'desc' });
      expect(newest.map((job) => job.id)).toEqual([ids[4], ids[3]]);
      expect(
        (await store.listJobs({ limit: 10, order: 'desc', after: ids[2] })).map((job) => job.id),
      ).toEqual([ids[1], ids[0]]);
      expect((await store.listJobs({ key: 'k5', limit: 10 })).map((job) => job.id)).toEqual([
        ids[4],
      ]);
      expect(
        (await store.listJobs({ batchId: results[2]!.job.batchId!, limit: 10 })).map(
          (job) => job.id,
        ),
      ).toEqual([ids[2]]);
      await claimOne(store);
      expect((await store.listJobs({ status: 'running', limit: 10 })).map((job) => job.id)).toEqual(
        [ids[0]],
      );
    });

    it('counts per queue and status, and finds the oldest waiting job per queue', async () => {
      const store = ctx.store();
      const later = new Date((await store.now()).getTime() + 3_600_000);
      const first = await enqueueOne(store, { queue: 'a' });
      await store.enqueue({
        jobs: [
          newJob({ queue: 'a' }),
          newJob({ queue: 'a' }),
          newJob({ queue: 'b', runAt: later }),
        ],
      });
      await claimOne(store, 30_000, 'a');
      const counts = await store.countByQueueAndStatus();
      const byKey = Object.fromEntries(
        counts.map((row) => [`${row.queue}/${row.status}`, Number(row.count)]),
      );
      expect(byKey).toEqual({ 'a/pending': 2, 'a/running': 1, 'b/pending': 1 });
      const oldest = await store.oldestWaiting();
      expect(oldest.map((row) => row.queue)).toEqual(['a']);
      expect(oldest[0]!.since.getTime()).toBeGreaterThanOrEqual(first.job.runAt.getTime());
      expect(oldest[0]!.since.getTime()).toBeLessThanOrEqual((await store.now()).getTime());
    });

    it('says whether queues hold an active job: pending, running or retrying, not finished', async () => {
      const store = ctx.store();
      expect(await store.hasActiveJobs({ queues: ['idle'] })).toBe(false);
      await enqueueOne(store, { queue: 'idle', runAt: new Date(Date.now() + 3_600_000) });
      expect(await store.hasActiveJobs({ queues: ['other', 'idle'] })).toBe(true);
      const running = await enqueueOne(store, { queue: 'busy' });
      const job = await claimOne(store, 30_000, 'busy');
      expect(job.id).toBe(running.job.id);
      expect(await store.hasActiveJobs({ queues: ['busy'] })).toBe(true);
      await store.finish({
        ends: [
          end(job, {
            status: 'retrying',
            attemptOutcome: 'retrying',
            runAt: new Date(Date.now() + 3_600_000),
          }),
        ],
      });
      expect(await store.hasActiveJobs({ queues: ['busy'] })).toBe(true);
      await store.cancel({ jobId: job.id });
      expect(await store.hasActiveJobs({ queues: ['busy'] })).toBe(false);
      expect(await store.hasActiveJobs({ queues: ['busy', 'nothing'] })).toBe(false);
    });

    it('reports batches with counts per status and their first start and last finish', async () => {
      const store = ctx.store();
      await store.enqueue({
        jobs: [
          newJob({ batchName: 'csv' }),
          newJob({ batchName: 'csv' }),
          newJob({ batchName: 'csv' }),
          newJob({ batchName: 'empty-soon', queue: 'z' }),
        ],
      });
      const [a, b] = await store.claim({
        queues: ['q'],
        limit: 2,
        workerId: 'w1',
        leaseMs: 30_000,
      });
      await store.finish({ ends: [end(a!)] });
      const rows = await store.listBatches({});
      const csv = rows.find((row) => row.name === 'csv')!;
      expect(csv.queue).toBe('q');
      expect(csv.counts).toMatchObject({ completed: 1, running: 1, pending: 1 });
      expect(Object.values(csv.counts).reduce((sum, n) => sum + Number(n), 0)).toBe(3);
      expect(csv.firstStartedAt!.getTime()).toBe(
        Math.min(a!.startedAt!.getTime(), b!.startedAt!.getTime()),
      );
      expect(csv.lastFinishedAt!.getTime()).toBe(
        (await store.getJob(a!.id))!.finishedAt!.getTime(),
      );
      expect(rows.find((row) => row.name === 'empty-soon')).toMatchObject({
        queue: 'z',
        firstStartedAt: null,
        lastFinishedAt: null,
      });
      const one = await store.listBatches({ batchId: csv.id });
      expect(one.map((row) => row.name)).toEqual(['csv']);
    });

    it('reports throughput per time bucket and the workers seen', async () => {
      const store = ctx.store();
      const since = new Date((await store.now()).getTime() - 60_000);
      await store.enqueue({ jobs: [newJob(), newJob(), newJob(), newJob({ queue: 'other' })] });
      const claimed = await store.claim({
        queues: ['q'],
        limit: 3,
        workerId: 'worker-A',
        leaseMs: 30_000,
      });
      const otherJob = await claimOne(store, 30_000, 'other', 'worker-B');
      await store.finish({
        ends: [
          end(claimed[0]!),
          end(claimed[1]!, { status: 'failed', attemptOutcome: 'failed' }),
          end(claimed[2]!),
          end(otherJob),
        ],
      });
      const buckets = await store.throughput({ since, bucketMs: 3_600_000 });
      const sum = (key: 'completed' | 'failed', list = buckets) =>
        list.reduce((total, bucket) => total + Number(bucket[key]), 0);
      expect(sum('completed')).toBe(3);
      expect(sum('failed')).toBe(1);
      for (const bucket of buckets)
        expect(bucket.at.getTime()).toBeGreaterThanOrEqual(since.getTime());
      const onlyOther = await store.throughput({ since, bucketMs: 3_600_000, queue: 'other' });
      expect([sum('completed', onlyOther), sum('failed', onlyOther)]).toEqual([1, 0]);
      expect(
        await store.throughput({
          since: new Date((await store.now()).getTime() + 60_000),
          bucketMs: 60_000,
        }),
      ).toEqual([]);
      const workers = await store.workersSeen({ since });
      expect(workers.map((w) => w.workerId).sort()).toEqual(['worker-A', 'worker-B']);
      for (const worker of workers) expect(worker.lastSeen).toBeInstanceOf(Date);
    });

    it('changes the change token when another connection commits (if the store has one)', async () => {
      const store = ctx.store();
      if (!store.capabilities.changeToken) {
        expect(store.changeToken).toBeUndefined();
        return;
      }
      const other = await ctx.another();
      const before = store.changeToken!();
      expect(store.changeToken!()).toBe(before);
      await enqueueOne(other);
      expect(store.changeToken!()).not.toBe(before);
    });
  });
}
