import { describe, expect, it } from 'vitest';
import { JobTimeoutError, PermanentError, RetryAfter, ValidationError } from '../../src/index.js';
import { nextEvent, openTestQueue, waitFor } from '../helpers/queue.js';

const fast = { backoff: { min: 10, max: 50, jitter: 0 }, pollInterval: 50 };

describe('worker', () => {
  it('runs a job and stores its result, with the handler seeing the documented job fields', async () => {
    const { queue } = await openTestQueue();
    const { job } = await queue.enqueue(
      'email',
      { to: 'a@example.com' },
      { key: 'a', batch: 'b1' },
    );
    const seen: unknown[] = [];
    const completed = nextEvent(queue, 'completed');
    const worker = queue.work('email', async (info, ctx) => {
      seen.push({
        id: info.id,
        queue: info.queue,
        key: info.key,
        payload: info.payload,
        attempt: info.attempt,
        batch: info.batchId,
        aborted: ctx.signal.aborted,
      });
      return { sent: true };
    });
    const [done, result] = await completed;
    await worker.stop();
    expect(done.id).toBe(job.id);
    expect(result).toEqual({ sent: true });
    expect(seen).toEqual([
      {
        id: job.id,
        queue: 'email',
        key: 'a',
        payload: { to: 'a@example.com' },
        attempt: 1,
        batch: job.batchId,
        aborted: false,
      },
    ]);
    const stored = await queue.getOrThrow(job.id);
    expect(stored).toMatchObject({ status: 'completed', result: { sent: true }, attempts: 1 });
    expect(stored.finishedAt).toBeInstanceOf(Date);
    const attempts = await queue.attempts(job.id);
    expect(attempts).toMatchObject([
      { attempt: 1, outcome: 'completed', workerId: worker.workerId, error: null },
    ]);
  });

  it('runs ready jobs retrying first, then by priority, then FIFO', async () => {
    const { queue } = await openTestQueue();
    const order: string[] = [];
    await queue.enqueue('q', 'low-1', { priority: 0 });
    await queue.enqueue('q', 'high', { priority: 5 });
    await queue.enqueue('q', 'low-2', { priority: 0 });
    await queue.enqueue('q', 'later', { delay: '1h', priority: 99 });
    const worker = queue.work('q', async (job) => void order.push(job.payload as string), {
      concurrency: 1,
      ...fast,
    });
    await waitFor(() => order.length === 3, 'three jobs');
    await worker.stop();
    expect(order).toEqual(['high', 'low-1', 'low-2']);
  });

  it('retries with backoff until maxAttempts, recording every attempt with its error and stack', async () => {
    const { queue } = await openTestQueue();
    const { job } = await queue.enqueue('q', {}, { maxAttempts: 3 });
    const retries: Date[] = [];
    queue.on('retrying', (_job, _error, runAt) => retries.push(runAt));
    const failed = nextEvent(queue, 'failed');
    const worker = queue.work(
      'q',
      async (info) => {
        throw new Error(`attempt ${info.attempt} broke`);
      },
      fast,
    );
    const [failedJob, error] = await failed;
    await worker.stop();
    expect(failedJob.id).toBe(job.id);
    expect(error.message).toBe('attempt 3 broke');
    expect(retries).toHaveLength(2);
    const stored = await queue.getOrThrow(job.id);
    expect(stored).toMatchObject({
      status: 'failed',
      attempts: 3,
      lastError: 'Error: attempt 3 broke',
    });
    const attempts = await queue.attempts(job.id);
    expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'retrying'],
      [2, 'retrying'],
      [3, 'failed'],
    ]);
    expect(attempts[0]!.stack).toMatch(/attempt 1 broke\n\s+at /);
  });

  it('fails at once on PermanentError and retries at the time RetryAfter names', async () => {
    const { queue } = await openTestQueue();
    const { job: permanent } = await queue.enqueue('q', 'permanent');
    const { job: later } = await queue.enqueue('q', 'later');
    const retrying = nextEvent(queue, 'retrying');
    const worker = queue.work(
      'q',
      async (info) => {
        if (info.payload === 'permanent') throw new PermanentError('404 Not Found');
        throw new RetryAfter(3_600_000, 'rate limited');
      },
      fast,
    );
    const [retried, , runAt] = await retrying;
    await waitFor(
      async () => (await queue.get(permanent.id))?.status === 'failed',
      'permanent failure',
    );
    await worker.stop();
    expect(retried.id).toBe(later.id);
    expect(runAt.getTime() - Date.now()).toBeGreaterThan(3_500_000);
    expect(await queue.getOrThrow(permanent.id)).toMatchObject({
      attempts: 1,
      lastError: 'PermanentError: 404 Not Found',
    });
    expect((await queue.getOrThrow(later.id)).status).toBe('retrying');
  });

  it('aborts the signal on timeout and settles the attempt even if the handler ignores it', async () => {
    const { queue } = await openTestQueue();
    const { job } = await queue.enqueue('q', {}, { timeout: 50, maxAttempts: 1 });
    let sawAbort: unknown = null;
    const failed = nextEvent(queue, 'failed');
    const worker = queue.work(
      'q',
      (_info, ctx) => {
        ctx.signal.addEventListener('abort', () => (sawAbort = ctx.signal.reason));
        return new Promise(() => undefined); // never settles
      },
      fast,
    );
    const [, error] = await failed;
    await worker.stop({ graceMs: 0 });
    expect(error).toBeInstanceOf(JobTimeoutError);
    expect(sawAbort).toBeInstanceOf(JobTimeoutError);
    expect((await queue.getOrThrow(job.id)).status).toBe('failed');
  });

  it('cancels a pending job at once and a running one through its signal', async () => {
    const { queue } = await openTestQueue();
    const { job: waiting } = await queue.enqueue('other', {});
    const cancelledWaiting = await queue.cancel(waiting.id);
    expect(cancelledWaiting).toMatchObject({ cancelled: true, job: { status: 'cancelled' } });

    const { job } = await queue.enqueue('q', {});
    const started = nextEvent(queue, 'started');
    const worker = queue.work(
      'q',
      (_info, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
        }),
      fast,
    );
    await started;
    const cancelled = nextEvent(queue, 'cancelled');
    const outcome = await queue.cancel(job.id);
    expect(outcome.requested).toBe(true);
    await cancelled;
    await worker.stop();
    const stored = await queue.getOrThrow(job.id);
    expect(stored.status).toBe('cancelled');
    expect((await queue.attempts(job.id))[0]!.outcome).toBe('cancelled');
  });

  it('sees a cancel asked by another connection at its next heartbeat', async () => {
    const { queue, db } = await openTestQueue();
    const { JobQueue } = await import('../../src/index.js');
    const other = await JobQueue.open({ db });
    try {
      const { job } = await queue.enqueue('q', {});
      const started = nextEvent(queue, 'started');
      const worker = queue.work(
        'q',
        (_info, ctx) =>
          new Promise((_resolve, reject) => {
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason));
          }),
        { ...fast, lease: 300 },
      );
      await started;
      const cancelled = nextEvent(queue, 'cancelled');
      await other.cancel(job.id);
      await cancelled;
      await worker.stop();
      expect((await queue.getOrThrow(job.id)).status).toBe('cancelled');
    } finally {
      await other.close();
    }
  });

  it('stores throttled progress, the latest value always landing', async () => {
    const { queue } = await openTestQueue();
    const { job } = await queue.enqueue('q', {});
    const events: number[] = [];
    queue.on('progress', (_job, progress) => events.push(progress.current));
    const worker = queue.work(
      'q',
      async (_info, ctx) => {
        for (let i = 1; i <= 100; i++) ctx.progress(i, 100, `step ${i}`);
        return 'ok';
      },
      { ...fast, progressThrottle: 60_000 },
    );
    await waitFor(async () => (await queue.get(job.id))?.status === 'completed', 'completion');
    await worker.stop();
    expect(events).toHaveLength(100);
    expect((await queue.getOrThrow(job.id)).progress).toEqual({
      current: 100,
      total: 100,
      message: 'step 100',
    });
  });

  it('refuses bad progress values with a clear error to the handler', async () => {
    const { queue } = await openTestQueue();
    const { job } = await queue.enqueue('q', {}, { maxAttempts: 1 });
    const worker = queue.work('q', async (_info, ctx) => ctx.progress(Number.NaN, 10), fast);
    await waitFor(async () => (await queue.get(job.id))?.status === 'failed', 'failure');
    await worker.stop();
    expect((await queue.getOrThrow(job.id)).lastError).toMatch(
      /progress\(current, total\) to be finite/,
    );
  });

  it('fails a job whose result cannot be stored as JSON, without retrying', async () => {
    const { queue } = await openTestQueue();
    const { job } = await queue.enqueue('q', {}, { maxAttempts: 5 });
    const worker = queue.work('q', async () => ({ when: new Date() }), fast);
    await waitFor(async () => (await queue.get(job.id))?.status === 'failed', 'failure');
    await worker.stop();
    expect(await queue.getOrThrow(job.id)).toMatchObject({
      attempts: 1,
      lastError: expect.stringMatching(/result\.when is a Date/),
    });
  });

  it('on stop, lets running jobs finish within the grace period', async () => {
    const { queue } = await openTestQueue();
    const { job } = await queue.enqueue('q', {});
    const started = nextEvent(queue, 'started');
    let release!: () => void;
    const worker = queue.work(
      'q',
      () => new Promise<string>((resolve) => (release = () => resolve('finished'))),
      fast,
    );
    await started;
    const stopping = worker.stop({ graceMs: 10_000 });
    setTimeout(() => release(), 30);
    await stopping;
    expect(await queue.getOrThrow(job.id)).toMatchObject({
      status: 'completed',
      result: 'finished',
    });
  });

  it('after the grace period, aborts and hands jobs back without counting the attempt', async () => {
    const { queue } = await openTestQueue();
    const { job } = await queue.enqueue('q', {}, { maxAttempts: 1 });
    const started = nextEvent(queue, 'started');
    let reason: unknown;
    const worker = queue.work(
      'q',
      (_info, ctx) =>
        new Promise(() => {
          ctx.signal.addEventListener('abort', () => (reason = ctx.signal.reason));
        }),
      fast,
    );
    await started;
    await worker.stop({ graceMs: 20 });
    expect((reason as Error).name).toBe('ShutdownError');
    const stored = await queue.getOrThrow(job.id);
    expect(stored).toMatchObject({ status: 'pending', attempts: 0 });
    expect((await queue.attempts(job.id)).map((a) => a.outcome)).toEqual(['interrupted']);
    // A restarted worker picks it up at once, and its single allowed attempt is still there.
    const again = queue.work('q', async () => 'done', fast);
    await waitFor(
      async () => (await queue.get(job.id))?.status === 'completed',
      'completion after hand-back',
    );
    await again.stop();
    expect((await queue.attempts(job.id)).map((a) => [a.attempt, a.outcome])).toEqual([
      [1, 'interrupted'],
      [1, 'completed'],
    ]);
  });

  it('rescues a job whose lease expired and records the lost attempt', async () => {
    const { queue } = await openTestQueue();
    const { job } = await queue.enqueue('q', {});
    // A claim by a worker that then "dies": nothing renews its 100 ms lease.
    const [claimed] = await queue.store.claim({
      queues: ['q'],
      limit: 1,
      workerId: 'dead-worker',
      leaseMs: 100,
    });
    expect(claimed!.id).toBe(job.id);
    const rescued = nextEvent(queue, 'rescued');
    const worker = queue.work('q', async () => 'second try', { ...fast, lease: 200 });
    const [rescuedId, , status] = await rescued;
    await waitFor(
      async () => (await queue.get(job.id))?.status === 'completed',
      'completion after rescue',
    );
    await worker.stop();
    expect([rescuedId, status]).toEqual([job.id, 'retrying']);
    const attempts = await queue.attempts(job.id);
    expect(attempts.map((a) => [a.attempt, a.workerId, a.outcome])).toEqual([
      [1, 'dead-worker', 'lost'],
      [2, worker.workerId, 'completed'],
    ]);
    expect(attempts[0]!.error).toMatch(/lease expired/);
  });

  it('exitWhenEmpty stops once the queue holds no active job, waiting for due retries', async () => {
    const { queue } = await openTestQueue();
    let calls = 0;
    await queue.enqueue('q', {}, { maxAttempts: 2 });
    const worker = queue.work(
      'q',
      async () => {
        if (++calls === 1) throw new Error('first fails');
      },
      { ...fast, backoff: { min: 200, max: 200, jitter: 0 }, exitWhenEmpty: true },
    );
    await worker.done;
    expect(calls).toBe(2);
    const stats = await queue.stats();
    expect(stats.queues.q!.counts).toMatchObject({
      completed: 1,
      pending: 0,
      retrying: 0,
      running: 0,
    });
  });

  it('picks up a job enqueued in the same process without waiting for the poll', async () => {
    const { queue } = await openTestQueue();
    const worker = queue.work('q', async () => 'ok', { pollInterval: 60_000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const completed = nextEvent(queue, 'completed', () => true, 5_000);
    await queue.enqueue('q', {});
    await completed;
    await worker.stop();
  });

  it('picks up a job enqueued by another connection through the change counter', async () => {
    const { queue, db } = await openTestQueue();
    const { JobQueue } = await import('../../src/index.js');
    const other = await JobQueue.open({ db });
    try {
      const worker = queue.work('q', async () => 'ok', { pollInterval: 60_000 });
      await new Promise((resolve) => setTimeout(resolve, 50));
      const completed = nextEvent(queue, 'completed', () => true, 5_000);
      await other.enqueue('q', {});
      await completed;
      await worker.stop();
    } finally {
      await other.close();
    }
  });

  it('refuses bad worker options with the option named', async () => {
    const { queue } = await openTestQueue();
    expect(() => queue.work('q', async () => 1, { concurrency: 0 })).toThrow(ValidationError);
    expect(() => queue.work('q', async () => 1, { concurrency: 0 })).toThrow(
      /`concurrency` to be a whole number from 1/,
    );
    expect(() => queue.work('q', async () => 1, { lease: 'forever' })).toThrow(/`lease`/);
    expect(() => queue.work('q', async () => 1, { backoff: { min: '1m', max: '1s' } })).toThrow(
      /backoff.max/,
    );
    expect(() => queue.work([], async () => 1)).toThrow(/at least one queue/);
  });

  it('runs many jobs concurrently up to the limit, each exactly once', async () => {
    const { queue } = await openTestQueue();
    await queue.enqueueMany(Array.from({ length: 500 }, (_, i) => ({ queue: 'q', payload: i })));
    const seen = new Map<number, number>();
    let active = 0;
    let maxActive = 0;
    const worker = queue.work(
      'q',
      async (job) => {
        active++;
        maxActive = Math.max(maxActive, active);
        seen.set(job.payload as number, (seen.get(job.payload as number) ?? 0) + 1);
        await new Promise((resolve) => setImmediate(resolve));
        active--;
      },
      { concurrency: 8, exitWhenEmpty: true, pollInterval: 20 },
    );
    await worker.done;
    expect(seen.size).toBe(500);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(maxActive).toBeLessThanOrEqual(8);
    expect(maxActive).toBeGreaterThan(1);
  });
});
