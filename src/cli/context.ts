/**
 * What every command needs: the queue named by the global `--db` (or HOLDFAST_DB, or the
 * default file), opened for the command and closed after it.
 */
import type { Command } from 'commander';
import { JobQueue } from '../client.js';
import type { Job } from '../types.js';

export interface GlobalOptions {
  db?: string;
}

/** Opens the queue, runs `fn`, and closes the queue even when `fn` throws. */
export async function withQueue<T>(
  command: Command,
  fn: (queue: JobQueue) => Promise<T>,
): Promise<T> {
  const queue = await openQueue(command);
  try {
    return await fn(queue);
  } finally {
    await queue.close();
  }
}

export function openQueue(command: Command): Promise<JobQueue> {
  const { db } = command.optsWithGlobals<GlobalOptions>();
  return JobQueue.open(db === undefined ? {} : { db });
}

/** Batch id → name for the given jobs, one lookup per distinct batch. */
export async function batchNames(
  queue: JobQueue,
  jobs: readonly Job[],
): Promise<Map<string, string>> {
  const names = new Map<string, string>();
  for (const id of new Set(jobs.map((job) => job.batchId))) {
    if (id === null) continue;
    const [batch] = await queue.batches(id).catch(() => []);
    if (batch) names.set(id, batch.name);
  }
  return names;
}
