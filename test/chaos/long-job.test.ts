/**
 * Long jobs and stalls. A job that runs 3x its lease keeps it through heartbeats and is never run
 * twice. A handler that blocks the event loop past the lease (a busy loop: no heartbeat can run)
 * loses the job to another worker: its attempt is recorded lost, its signal aborts with
 * LeaseLostError once the loop is free again, and its completion is fenced off.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/index.js';
import { readEffects } from '../helpers/effects.js';
import { waitFor } from '../helpers/queue.js';
import { tempDir } from '../helpers/tmp.js';
import { startWorker } from './lib/workers.js';
import { verifyRun } from './lib/verify.js';

describe('long jobs and a blocked event loop', () => {
  it('a job running 3x its 1 s lease, with two workers watching, runs exactly once', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const effects = join(dir, 'effects.log');
    const queue = await JobQueue.open({ db });
    try {
      const { job } = await queue.enqueue('long', { mode: 'sleep', ms: 3_000 }, { maxAttempts: 5 });
      const workers = [
        startWorker({ db, queue: 'long', effects }),
        startWorker({ db, queue: 'long', effects }),
      ];
      for (const worker of workers) expect((await worker.exited).code, worker.stderr()).toBe(0);
      expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'completed', attempts: 1 });
      expect(readEffects(effects).map((e) => e.kind)).toEqual(['start', 'done']);
      expect((await queue.attempts(job.id)).map((a) => a.outcome)).toEqual(['completed']);
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('a handler that busy-loops 3x past its lease loses the job: rescued elsewhere, its signal aborted, its writes fenced', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const effects = join(dir, 'effects.log');
    const queue = await JobQueue.open({ db });
    const workers = [0, 1].map(() =>
      startWorker({ db, queue: 'stall', effects, concurrency: 1, exitWhenEmpty: false }),
    );
    try {
      // Both workers up and polling first: on a loaded machine a worker can take seconds to
      // start, and the rescuer must be there before the stall ends.
      await queue.enqueueMany(
        Array.from({ length: 6 }, (_, i) => ({
          queue: 'stall',
          payload: { mode: 'sleep', ms: 300, i },
        })),
      );
      const pids = workers.map((w) => w.child.pid);
      await waitFor(
        () =>
          pids.every((pid) => readEffects(effects).some((e) => e.kind === 'done' && e.pid === pid)),
        'both workers to run a job',
        60_000,
      );
      // Attempt 1 blocks its event loop for 3 s (lease 1 s), then would work 4 s more.
      const { job } = await queue.enqueue(
        'stall',
        { mode: 'busy', ms: 3_000, thenMs: 4_000, onlyAttempt: 1 },
        { maxAttempts: 5 },
      );
      const first = await waitFor(
        () => readEffects(effects).find((e) => e.jobId === job.id && e.kind === 'start'),
        'the stalling attempt to start',
      );
      await waitFor(
        async () => (await queue.get(job.id))?.status === 'completed',
        'the other worker to complete the job',
        30_000,
      );
      // The stalled process wakes up, learns from its heartbeat that the lease is gone, aborts.
      const abort = await waitFor(
        () => readEffects(effects).find((e) => e.jobId === job.id && e.kind === 'abort'),
        'the stalled attempt to abort',
      );
      expect(abort).toMatchObject({ attempt: 1, pid: first.pid, reason: 'LeaseLostError' });
      expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'completed', attempts: 2 });
      expect((await queue.attempts(job.id)).map((a) => [a.attempt, a.outcome])).toEqual([
        [1, 'lost'],
        [2, 'completed'],
      ]);
      const done = readEffects(effects).filter((e) => e.jobId === job.id && e.kind === 'done');
      expect(done.map((e) => [e.attempt, e.pid === first.pid])).toEqual([[2, false]]);
      expect((await verifyRun(queue.store, effects, 7, db)).problems).toEqual([]);
    } finally {
      for (const worker of workers) {
        worker.child.kill('SIGTERM');
        expect((await worker.exited).code, worker.stderr()).toBe(0);
      }
      await queue.close();
    }
  }, 120_000);

  it('a stall past the lease that nobody else noticed: the worker keeps its job (no other attempt exists) and completes it once', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const effects = join(dir, 'effects.log');
    const queue = await JobQueue.open({ db });
    try {
      const { job } = await queue.enqueue(
        'stall',
        { mode: 'busy', ms: 2_500, thenMs: 500 },
        { maxAttempts: 5 },
      );
      const alone = startWorker({ db, queue: 'stall', effects });
      expect((await alone.exited).code, alone.stderr()).toBe(0);
      const outcomes = (await queue.attempts(job.id)).map((a) => a.outcome);
      // Either its own heartbeat renewed the lease first (one attempt), or its own rescuer took it
      // first (then attempt 1 is lost and aborted); never two completions, never a stuck job.
      expect(outcomes.at(-1)).toBe('completed');
      expect(outcomes.slice(0, -1).every((o) => o === 'lost')).toBe(true);
      expect((await verifyRun(queue.store, effects, 1, db)).problems).toEqual([]);
      process.stdout.write(`lone stall outcomes: ${outcomes.join(',')}\n`);
    } finally {
      await queue.close();
    }
  }, 60_000);
});
