import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/index.js';
import { countDone, readEffects, startEffectWorker } from '../helpers/effects.js';
import { waitFor } from '../helpers/queue.js';
import { tempDir } from '../helpers/tmp.js';

function startWorker(db: string, effects: string, handlerMs: number, extra: string[] = []) {
  return startEffectWorker({
    db,
    queue: 'crash',
    effects,
    handlerMs,
    args: ['--lease', '1s', ...extra],
  });
}

describe('crashes', () => {
  it('a worker SIGKILLed mid-job: its jobs are rescued after the lease and completed elsewhere, the lost attempts recorded', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const effects = join(dir, 'effects.log');
    const queue = await JobQueue.open({ db });
    try {
      await queue.enqueueMany(
        Array.from({ length: 60 }, (_, i) => ({ queue: 'crash', payload: { i } })),
      );
      const victim = startWorker(db, effects, 200, ['--concurrency', '5']);
      // Kill it while it holds jobs: after some finished and while others are running.
      await waitFor(() => {
        const log = readEffects(effects);
        return (
          countDone(log).size >= 5 &&
          log.filter((e) => e.kind === 'start').length > countDone(log).size
        );
      }, 'the victim to be mid-job');
      victim.child.kill('SIGKILL');
      await victim.exited;
      const running = (await queue.list({ queue: 'crash', status: 'running' })).items;
      expect(running.length).toBeGreaterThan(0);

      const rescuer = startWorker(db, effects, 5, ['--concurrency', '5', '--exit-when-empty']);
      expect(await rescuer.exited).toBe(0);

      const stats = await queue.stats();
      expect(stats.queues.crash!.counts).toMatchObject({
        completed: 60,
        running: 0,
        pending: 0,
        retrying: 0,
      });
      const done = countDone(readEffects(effects));
      expect(done.size).toBe(60);
      for (const job of running) {
        const attempts = await queue.attempts(job.id);
        expect(attempts[0]).toMatchObject({
          attempt: 1,
          outcome: 'lost',
          error: expect.stringMatching(/lease expired/),
        });
        expect(attempts.at(-1)).toMatchObject({ outcome: 'completed' });
      }
      // A duplicate effect is only allowed where an attempt was recorded as lost.
      for (const [jobId, count] of done) {
        if (count === 1) continue;
        const outcomes = (await queue.attempts(jobId)).map((a) => a.outcome);
        expect(outcomes).toContain('lost');
      }
    } finally {
      await queue.close();
    }
  }, 120_000);

  it('a stale worker (SIGSTOP past its lease, then SIGCONT) changes nothing and its handler signal aborts', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const effects = join(dir, 'effects.log');
    const queue = await JobQueue.open({ db });
    try {
      const { job } = await queue.enqueue('crash', { slow: true });
      const stale = startWorker(db, effects, 30_000);
      await waitFor(
        () => readEffects(effects).some((e) => e.kind === 'start'),
        'the stale worker to start the job',
      );
      stale.child.kill('SIGSTOP');
      // Another worker (here, in this process) rescues the job once the 1 s lease has expired.
      const rescuer = queue.work('crash', async () => 'rescued result', {
        lease: '1s',
        pollInterval: 50,
        backoff: { min: 10, max: 10 },
      });
      await waitFor(
        async () => (await queue.get(job.id))?.status === 'completed',
        'the rescuer to complete the job',
      );
      await rescuer.stop();
      stale.child.kill('SIGCONT');
      const aborted = await waitFor(
        () => readEffects(effects).find((e) => e.kind === 'abort'),
        'the stale handler to be aborted',
      );
      expect(aborted).toMatchObject({ jobId: job.id, attempt: 1, reason: 'LeaseLostError' });
      stale.child.kill('SIGTERM');
      expect(await stale.exited).toBe(0);

      const stored = await queue.getOrThrow(job.id);
      expect(stored).toMatchObject({ status: 'completed', result: 'rescued result', attempts: 2 });
      const attempts = await queue.attempts(job.id);
      expect(attempts.map((a) => [a.attempt, a.outcome])).toEqual([
        [1, 'lost'],
        [2, 'completed'],
      ]);
      expect(readEffects(effects).filter((e) => e.kind === 'done')).toEqual([]);
    } finally {
      await queue.close();
    }
  }, 120_000);
});
