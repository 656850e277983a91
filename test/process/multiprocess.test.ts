import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/index.js';
import { countDone, readEffects, startEffectWorker } from '../helpers/effects.js';
import { tempDir } from '../helpers/tmp.js';

describe('several worker processes on one SQLite file', () => {
  it('4 `holdfast work` processes complete 5,000 jobs, each exactly once', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const effects = join(dir, 'effects.log');
    const queue = await JobQueue.open({ db });
    try {
      await queue.enqueueMany(
        Array.from({ length: 5_000 }, (_, i) => ({ queue: 'mp', payload: { i } })),
      );
      const workers = Array.from({ length: 4 }, () =>
        startEffectWorker({
          db,
          queue: 'mp',
          effects,
          args: ['--concurrency', '10', '--exit-when-empty'],
        }),
      );
      const stderr: string[] = [];
      for (const worker of workers)
        worker.child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
      const codes = await Promise.all(workers.map((worker) => worker.exited));
      expect(codes, stderr.join('')).toEqual([0, 0, 0, 0]);

      const done = countDone(readEffects(effects));
      expect(done.size).toBe(5_000);
      expect([...done.values()].filter((count) => count !== 1)).toEqual([]);
      const pids = new Set(readEffects(effects).map((effect) => effect.pid));
      expect(pids.size).toBeGreaterThan(1);
      const stats = await queue.stats();
      expect(stats.queues.mp!.counts).toEqual({
        pending: 0,
        running: 0,
        retrying: 0,
        completed: 5_000,
        failed: 0,
        cancelled: 0,
      });
    } finally {
      await queue.close();
    }
  }, 180_000);
});
