import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { JobQueue, type OpenOptions } from '../../src/index.js';
import type { QueueEvents } from '../../src/events.js';
import { tempDir } from './tmp.js';

/** A JobQueue on a fresh SQLite file in a temp folder, closed when the test finishes. */
export async function openTestQueue(
  options: OpenOptions = {},
): Promise<{ queue: JobQueue; db: string; dir: string }> {
  const dir = tempDir();
  const db = options.db ?? join(dir, 'queue.db');
  const queue = await JobQueue.open({ ...options, db });
  onTestFinished(() => queue.close());
  return { queue, db, dir };
}

/** Resolves with the event's arguments the first time `predicate` holds for them. */
export function nextEvent<K extends keyof QueueEvents & string>(
  queue: JobQueue,
  event: K,
  predicate: (...args: QueueEvents[K]) => boolean = () => true,
  timeoutMs = 20_000,
): Promise<QueueEvents[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      queue.off(event, listener);
      reject(new Error(`timed out waiting for event ${event}`));
    }, timeoutMs);
    const listener = (...args: QueueEvents[K]) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      queue.off(event, listener);
      resolve(args);
    };
    queue.on(event, listener);
  });
}

/** Polls `check` until it returns a truthy value or the deadline passes. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  what: string,
  timeoutMs = 20_000,
  everyMs = 20,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** A queue's counts (as `stats()` gives them) once all `total` jobs completed and nothing else is left. */
export function allCompleted(total: number) {
  return { pending: 0, running: 0, retrying: 0, completed: total, failed: 0, cancelled: 0 };
}
