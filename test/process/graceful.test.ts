import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/index.js';
import { countDone, readEffects, startEffectWorker } from '../helpers/effects.js';
import { waitFor } from '../helpers/queue.js';
import { tempDir } from '../helpers/tmp.js';

function startWorker(db: string, effects: string, handlerMs: number, extra: string[] = []) {
  return startEffectWorker({
    db,
    queue: 'g',
    effects,
    handlerMs,
    args: ['--concurrency', '3', ...extra],
  });
}

describe('graceful shutdown of `holdfast work`', () => {
  it('SIGTERM: running jobs finish within the grace period, then the process exits 0', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const effects = join(dir, 'effects.log');
    const queue = await JobQueue.open({ db });
    try {
      await queue.enqueueMany(Array.from({ length: 6 }, (_, i) => ({ queue: 'g', payload: i })));
      const worker = startWorker(db, effects, 400);
      await waitFor(
        () => readEffects(effects).filter((e) => e.kind === 'start').length === 3,
        'three running jobs',
      );
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      const log = readEffects(effects);
      expect(countDone(log).size).toBe(3);
      expect(log.filter((e) => e.kind === 'abort')).toEqual([]);
      const counts = (await queue.stats()).queues.g!.counts;
      expect(counts).toMatchObject({ completed: 3, pending: 3, running: 0 });
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('SIGTERM past the grace period: jobs are aborted and handed back uncounted; a restart picks them up at once', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const effects = join(dir, 'effects.log');
    const queue = await JobQueue.open({ db });
    try {
      const { job } = await queue.enqueue('g', {}, { maxAttempts: 1 });
      const worker = startWorker(db, effects, 60_000, ['--shutdown-grace', '200ms']);
      await waitFor(() => readEffects(effects).some((e) => e.kind === 'start'), 'the job to start');
      worker.child.kill('SIGTERM');
      expect(await worker.exited).toBe(0);
      expect(readEffects(effects).find((e) => e.kind === 'abort')).toMatchObject({
        reason: 'ShutdownError',
      });
      expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'pending', attempts: 0 });

      const restarted = startWorker(db, effects, 1, ['--exit-when-empty']);
      expect(await restarted.exited).toBe(0);
      expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'completed', attempts: 1 });
      expect((await queue.attempts(job.id)).map((a) => a.outcome)).toEqual([
        'interrupted',
        'completed',
      ]);
    } finally {
      await queue.close();
    }
  }, 60_000);
});
