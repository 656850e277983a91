/**
 * Poison jobs: a handler that takes its whole process down every time (process.exit, or V8 out
 * of heap under --max-old-space-size) must end `failed` after maxAttempts lost attempts, with
 * backoff between attempts, while the other jobs keep completing on restarted workers.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';
import { alive, sleep, startWorker, type WorkerProcess, type WorkerSpec } from './lib/workers.js';
import { verifyRun } from './lib/verify.js';

const BACKOFF_MS = 400;

/** Runs `count` workers, restarting any that die, until all exit 0 (queue empty). Returns the deaths. */
async function superviseUntilEmpty(
  count: number,
  spec: WorkerSpec,
  deadlineMs: number,
): Promise<string[]> {
  const deaths: string[] = [];
  const pool: WorkerProcess[] = Array.from({ length: count }, () => startWorker(spec));
  const finished = new Set<number>();
  const deadline = Date.now() + deadlineMs;
  while (finished.size < count) {
    if (Date.now() > deadline) {
      pool.forEach((worker) => worker.child.kill('SIGKILL'));
      await Promise.all(pool.map((worker) => worker.exited));
      throw new Error(`workers still running after ${deadlineMs} ms; deaths: ${deaths.length}`);
    }
    await sleep(50);
    for (const [index, worker] of pool.entries()) {
      if (finished.has(index) || alive(worker)) continue;
      const { code, signal } = await worker.exited;
      if (code === 0) finished.add(index);
      else {
        deaths.push(String(code ?? signal));
        pool[index] = startWorker(spec);
      }
    }
  }
  return deaths;
}

async function poisonRun(mode: 'exit' | 'oom', maxAttempts: number): Promise<string[]> {
  const dir = tempDir();
  const db = join(dir, 'queue.db');
  const effects = join(dir, 'effects.log');
  const queue = await JobQueue.open({ db });
  try {
    // The poison job first, so its attempts overlap the normal jobs instead of coming after them.
    const { job: poison } = await queue.enqueue('poison', { mode }, { maxAttempts });
    const normal = await queue.enqueueMany(
      Array.from({ length: 400 }, (_, i) => ({
        queue: 'poison',
        payload: { i },
        options: { maxAttempts: 20 },
      })),
    );
    const deaths = await superviseUntilEmpty(
      2,
      {
        db,
        queue: 'poison',
        effects,
        handlerMs: 50,
        concurrency: 3,
        backoffMin: `${BACKOFF_MS}ms`,
        backoffMax: `${BACKOFF_MS}ms`,
        nodeArgs: ['--max-old-space-size=48'],
      },
      120_000,
    );
    const stored = await queue.getOrThrow(poison.id);
    expect(stored).toMatchObject({ status: 'failed', attempts: maxAttempts });
    expect(stored.lastError).toMatch(/lease expired/);
    const attempts = await queue.attempts(poison.id);
    expect(attempts.map((a) => a.outcome)).toEqual(Array(maxAttempts).fill('lost'));
    // Backoff: the next attempt starts no sooner than the backoff after the rescue recorded the loss.
    for (let n = 1; n < attempts.length; n++) {
      const gap = attempts[n]!.startedAt.getTime() - attempts[n - 1]!.finishedAt!.getTime();
      expect(gap).toBeGreaterThanOrEqual(BACKOFF_MS - 5);
    }
    const counts = (await queue.stats()).queues.poison!.counts;
    expect(counts).toMatchObject({
      completed: 400,
      failed: 1,
      pending: 0,
      running: 0,
      retrying: 0,
    });
    // Other jobs flowed between the poison job's attempts, not only after it gave up.
    const firstLoss = attempts[0]!.finishedAt!.getTime();
    const lastStart = attempts.at(-1)!.startedAt.getTime();
    let between = 0;
    for (const { job } of normal) {
      const done = (await queue.getOrThrow(job.id)).finishedAt!.getTime();
      if (done > firstLoss && done < lastStart) between++;
    }
    expect(between).toBeGreaterThan(0);
    expect((await verifyRun(queue.store, effects, 401, db)).problems).toEqual([]);
    process.stdout.write(
      `poison ${mode}: deaths ${deaths.join(',')}; ${between} jobs completed between its first and last attempt\n`,
    );
    return deaths;
  } finally {
    await queue.close();
  }
}

describe('poison jobs', () => {
  it('a job that calls process.exit ends failed after maxAttempts (3) lost attempts, with backoff, while 400 others complete', async () => {
    expect(await poisonRun('exit', 3)).toEqual(['7', '7', '7']);
  }, 150_000);

  it('a job that exhausts the heap (--max-old-space-size=48) ends failed after maxAttempts (2), while 400 others complete', async () => {
    // V8 aborts the process on heap exhaustion: SIGABRT.
    expect(await poisonRun('oom', 2)).toEqual(['SIGABRT', 'SIGABRT']);
  }, 150_000);
});
