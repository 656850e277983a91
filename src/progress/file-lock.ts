/**
 * A lock file (`<target>.lock`, created with O_EXCL) so that several processes updating one file
 * read-merge-write in turn. The holder writes its pid and host; a lock whose holder is dead (same
 * host) or that is older than `staleMs` is taken over, so a writer killed with SIGKILL never
 * blocks the others for long.
 *
 * Takeover has a narrow race (two waiters judging the same lock stale); it costs at most one
 * out-of-order write, never a corrupt file, because every write is itself atomic.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { isAlive } from './atomic-file.js';

export interface LockOptions {
  /** A lock older than this is taken over even if its holder looks alive. Default 10 s (a write takes milliseconds). */
  staleMs?: number;
  /** Give up waiting after this long. Default 5 s. */
  timeoutMs?: number;
}

export class LockTimeoutError extends Error {
  override name = 'LockTimeoutError';
}

export async function withFileLock<T>(
  target: string,
  task: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const lockPath = `${target}.lock`;
  const token = `${process.pid}@${hostname()}#${randomBytes(4).toString('hex')}`;
  await acquire(lockPath, token, options.staleMs ?? 10_000, options.timeoutMs ?? 5_000);
  try {
    return await task();
  } finally {
    // Remove only our own lock: after a takeover by another process it is theirs.
    const current = await fs.readFile(lockPath, 'utf8').catch(() => null);
    if (current === token) await fs.rm(lockPath, { force: true });
  }
}

async function acquire(
  lockPath: string,
  token: string,
  staleMs: number,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      try {
        await handle.writeFile(token);
      } finally {
        await handle.close();
      }
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    if (await isStale(lockPath, staleMs)) {
      // Rename first: of several waiters, one rename wins, the others find the lock gone and retry.
      const aside = `${lockPath}.stale-${randomBytes(4).toString('hex')}`;
      await fs.rename(lockPath, aside).then(
        () => fs.rm(aside, { force: true }),
        () => {},
      );
      continue;
    }
    if (Date.now() > deadline) {
      throw new LockTimeoutError(
        `Timed out after ${timeoutMs}ms waiting for ${lockPath}; remove it if no holdfast process is running`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, wait + Math.random() * wait));
  }
}

async function isStale(lockPath: string, staleMs: number): Promise<boolean> {
  const [content, stat] = await Promise.all([
    fs.readFile(lockPath, 'utf8').catch(() => null),
    fs.stat(lockPath).catch(() => null),
  ]);
  if (content === null || stat === null) return false; // gone already: just retry
  if (Date.now() - stat.mtimeMs > staleMs) return true;
  const match = /^(\d+)@(.*)#/.exec(content);
  // An empty lock is one being created right now (open, then write): give its writer time.
  if (!match) return Date.now() - stat.mtimeMs > 1_000;
  return match[2] === hostname() && !isAlive(Number(match[1]));
}
