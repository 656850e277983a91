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
    try {
      // Attempt 1 blocks its event loop for 3 s (lease 1 s), then would work 4 s more.
      const { job } = await queue.enqueue(
        'stall',
        { mode: 'busy', ms: 3_000, thenMs: 4_000, onlyAttempt: 1 },
        { maxAttempts: 5 },
      );
      const stalled = startWorker({ db, queue: 'stall', effects, exitWhenEmpty: false });
      await waitFor(
        () => readEffects(effects).some((e) => e.kind === 'start'),
        'the stalling attempt to start',
      );
      const other = startWorker({ db, queue: 'stall', effects });
      expect((await other.exited).code, other.stderr()).toBe(0);
      // The stalled process wakes up, learns from its heartbeat that the lease is gone, aborts.
      const abort = await waitFor(
        () => readEffects(effects).find((e) => e.kind === 'abort'),
        'the stalled attempt to abort',
      );
      expect(abort).toMatchObject({
        jobId: job.id,
        attempt: 1,
        pid: stalled.child.pid,
        reason: 'LeaseLostError',
      });
      stalled.child.kill('SIGTERM');
      expect((await stalled.exited).code, stalled.stderr()).toBe(0);

      expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'completed', attempts: 2 });
      expect((await queue.attempts(job.id)).map((a) => [a.attempt, a.outcome])).toEqual([
        [1, 'lost'],
        [2, 'completed'],
      ]);
      const done = readEffects(effects).filter((e) => e.kind === 'done');
      expect(done.map((e) => e.attempt)).toEqual([2]);
      expect((await verifyRun(queue.store, effects, 1, db)).problems).toEqual([]);
    } finally {
      await queue.close();
    }
  }, 60_000);

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
