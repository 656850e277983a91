import { completeBatches } from './batch-callbacks.js';
import type { JobStatus } from '../../types.js';
import type { Connection } from './connection.js';

type Target = { jobId?: string; batchId?: string };

function where(target: Target): { sql: string; args: string[] } {
  const parts: string[] = [];
  const args: string[] = [];
  if (target.jobId !== undefined) {
    parts.push('id = ?');
    args.push(target.jobId);
  }
  if (target.batchId !== undefined) {
    parts.push('batch_id = ?');
    args.push(target.batchId);
  }
  // Neither given: nothing, never everything.
  return { sql: parts.length ? parts.join(' AND ') : '0', args };
}

/** Waiting jobs become cancelled at once; running ones are asked to stop (their worker sees it at its next heartbeat). */
export function cancel(
  conn: Connection,
  target: Target,
): { cancelled: string[]; requested: string[] } {
  const { sql, args } = where(target);
  return conn.immediate(() => {
    const now = Date.now();
    const cancelled = conn
      .prepare(
        `UPDATE jobs SET status = 'cancelled', finished_at = ?, updated_at = ?
         WHERE ${sql} AND status IN ('pending','retrying') RETURNING id`,
      )
      .pluck()
      .all(now, now, ...args) as number[];
    const requested = conn
      .prepare(
        `UPDATE jobs SET cancel_requested = 1, updated_at = ?
         WHERE ${sql} AND status = 'running' RETURNING id`,
      )
      .pluck()
      .all(now, ...args) as number[];
    completeBatches(conn, cancelled.map(String), now);
    return { cancelled: cancelled.map(String), requested: requested.map(String) };
  });
}

const ACTIVE_KEY_ELSEWHERE = `
  SELECT 1 FROM jobs
  WHERE queue = ? AND key = ? AND id <> ? AND status IN ('pending','running','retrying') LIMIT 1`;
// A new round: the job gets maxAttempts more attempts (round_start = attempts made so far).
const RETRY_ONE = `
  UPDATE jobs SET status = 'pending', run_at = ?, round_start = attempts, finished_at = NULL,
    cancel_requested = 0, updated_at = ?
  WHERE id = ? AND status IN ('failed','cancelled')`;

/**
 * One failed or cancelled job, or every failed job of a queue and/or batch, back to pending.
 * Jobs are taken one by one in id order so that two failed jobs sharing a key are not both
 * revived: the second sees the first as active and is skipped.
 */
export function retry(
  conn: Connection,
  params: { jobId?: string; queue?: string; batchId?: string },
): { retried: string[]; skipped: string[] } {
  const parts: string[] = [];
  const args: string[] = [];
  if (params.jobId !== undefined) {
    parts.push(`id = ? AND status IN ('failed','cancelled')`);
    args.push(params.jobId);
  } else {
    // `status <> 'pending'` lets SQLite use jobs_queue_status_settled (schema.ts, version 3).
    parts.push(`status = 'failed' AND status <> 'pending'`);
    if (params.queue !== undefined) {
      parts.push('queue = ?');
      args.push(params.queue);
    }
    if (params.batchId !== undefined) {
      parts.push('batch_id = ?');
      args.push(params.batchId);
    }
    if (args.length === 0) return { retried: [], skipped: [] };
  }
  return conn.immediate(() => {
    const now = Date.now();
    const retried: string[] = [];
    const skipped: string[] = [];
    const rows = conn
      .prepare<{ id: number; queue: string; key: string | null }>(
        `SELECT id, queue, key FROM jobs WHERE ${parts.join(' AND ')} ORDER BY id`,
      )
      .all(...args);
    for (const row of rows) {
      if (row.key !== null && conn.prepare(ACTIVE_KEY_ELSEWHERE).get(row.queue, row.key, row.id)) {
        skipped.push(String(row.id));
        continue;
      }
      conn.prepare(RETRY_ONE).run(now, now, row.id);
      retried.push(String(row.id));
    }
    return { retried, skipped };
  });
}

const TERMINAL = new Set<JobStatus>(['completed', 'failed', 'cancelled']);

/** Deletes finished jobs (and their attempt history) that finished before the given time. */
export function purge(
  conn: Connection,
  params: { finishedBefore: Date; statuses: JobStatus[] },
): number {
  const statuses = params.statuses.filter((status) => TERMINAL.has(status));
  if (statuses.length === 0) return 0;
  const marks = statuses.map(() => '?').join(', ');
  const match = `finished_at < ? AND finished_at IS NOT NULL AND status IN (${marks})`;
  const cutoff = params.finishedBefore.getTime();
  return conn.immediate(() => {
    conn
      .prepare(`DELETE FROM attempts WHERE job_id IN (SELECT id FROM jobs WHERE ${match})`)
      .run(cutoff, ...statuses);
    return conn.prepare(`DELETE FROM jobs WHERE ${match}`).run(cutoff, ...statuses).changes;
  });
}
