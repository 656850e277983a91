/**
 * Disk full: the database lives on a 4 MiB tmpfs (mounted here; the tests run as root). When the
 * disk fills, enqueue fails with a clear error and keeps nothing of the failed call; completions
 * that cannot be written wait and retry; once space is freed the work resumes and finishes, and
 * PRAGMA integrity_check says ok.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { JobQueue } from '../../src/index.js';
import { StoreError } from '../../src/errors.js';
import { waitFor } from '../helpers/queue.js';
import { tempDir } from '../helpers/tmp.js';
import { integrityCheck } from './lib/verify.js';

function mountTmpfs(size: string): string {
  const dir = join(tempDir(), 'small');
  mkdirSync(dir);
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  onTestFinished(() => {
    execFileSync('umount', ['-l', dir]);
  });
  return dir;
}

/** Fills the filesystem with one file until ENOSPC; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 * 1024, 1);
  try {
    for (;;) writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return path;
}

describe('disk full (tmpfs)', () => {
  it('enqueue fails clearly and keeps nothing; after space is freed, work resumes and the file is sound', async () => {
    const dir = mountTmpfs('4m');
    const db = join(dir, 'queue.db');
    const queue = await JobQueue.open({ db });
    try {
      const pad = 'x'.repeat(1_000);
      await queue.enqueueMany(
        Array.from({ length: 200 }, (_, i) => ({ queue: 'df', payload: { i, pad } })),
      );
      const filler = fill(dir);

      // Enqueue until the disk refuses: each call is one transaction of 300 jobs (~330 KB).
      let refused: unknown = null;
      let accepted = 200;
      for (let round = 0; round < 50 && !refused; round++) {
        try {
          await queue.enqueueMany(
            Array.from({ length: 300 }, (_, i) => ({ queue: 'df', payload: { round, i, pad } })),
          );
          accepted += 300;
        } catch (error) {
          refused = error;
        }
      }
      expect(refused, 'the disk never filled').toBeInstanceOf(StoreError);
      expect((refused as Error).message).toMatch(/disk is full|no space/i);
      expect((refused as Error).message).toContain(db);
      // Nothing partial: exactly the accepted calls' jobs exist.
      expect((await queue.stats()).queues.df!.counts.pending).toBe(accepted);

      // A worker on the full disk: completions cannot be written yet; they wait and retry.
      const errors: string[] = [];
      queue.on('error', (error) => errors.push(error.message));
      const worker = queue.work('df', async () => 'ok', { concurrency: 20, pollInterval: 50 });
      try {
        await waitFor(
          () => errors.length > 0 || null,
          'the worker to hit the full disk',
          20_000,
        ).catch(() => undefined);
        unlinkSync(filler);
        await waitFor(
          async () => (await queue.stats()).queues.df!.counts.completed === accepted,
          'every job to complete after space was freed',
          60_000,
        );
      } finally {
        await worker.stop();
      }
      const more = await queue.enqueue('df', { after: true });
      expect(more.existing).toBe(false);
      process.stdout.write(
        `disk full: ${accepted} jobs accepted before the refusal; ${errors.length} worker write errors while full\n`,
      );
    } finally {
      await queue.close();
    }
    expect(integrityCheck(db)).toBe('ok');
  }, 120_000);
});
