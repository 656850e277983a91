/**
 * Batch completion callbacks. Checked in the transaction that makes a batch job terminal
 * (finish, cancel), so the follow-up job exists if and only if that end does; SQLite's single
 * writer makes check-then-insert safe, and `on_complete_job_id` makes it fire once.
 */
import type { JobStatus } from '../../types.js';
import { batchCompleteKey, batchCompletePayload, type BatchCallback } from '../flow.js';
import type { Connection } from './connection.js';
import { insertJob } from './enqueue.js';

interface CallbackRow {
  id: string;
  name: string;
  on_complete_queue: string;
  on_complete_payload: string;
  on_complete_job_id: number | null;
}

const PENDING_CALLBACKS = `
  SELECT DISTINCT b.id FROM jobs j JOIN batches b ON b.id = j.batch_id
  WHERE j.id IN (SELECT value FROM json_each(?))
    AND b.on_complete_queue IS NOT NULL AND b.on_complete_job_id IS NULL`;
const CALLBACK = `SELECT id, name, on_complete_queue, on_complete_payload, on_complete_job_id FROM batches WHERE id = ?`;
const COUNTS = `SELECT status, count(*) AS n FROM jobs WHERE batch_id = ? GROUP BY status`;

/** After jobs became terminal (call inside the write transaction): fires the callbacks of batches now complete. */
export function completeBatches(conn: Connection, jobIds: string[], now: number): void {
  if (jobIds.length === 0) return;
  const batchIds = conn
    .prepare(PENDING_CALLBACKS)
    .pluck()
    .all(JSON.stringify(jobIds.map(Number))) as string[];
  for (const batchId of batchIds) fireIfComplete(conn, batchId, now);
}

/** Enqueues the batch's follow-up job if every job is terminal and it has not fired; returns its id. */
export function fireIfComplete(conn: Connection, batchId: string, now: number): string | null {
  const batch = conn.prepare<CallbackRow>(CALLBACK).get(batchId);
  if (!batch || batch.on_complete_queue === null) return null;
  if (batch.on_complete_job_id !== null) return String(batch.on_complete_job_id);
  const counts: Partial<Record<JobStatus, number>> = {};
  for (const row of conn.prepare<{ status: JobStatus; n: number }>(COUNTS).all(batchId))
    counts[row.status] = row.n;
  if ((counts.pending ?? 0) + (counts.running ?? 0) + (counts.retrying ?? 0) > 0) return null;
  const { row } = insertJob(
    conn,
    {
      queue: batch.on_complete_queue,
      key: batchCompleteKey(batchId),
      payload: batchCompletePayload(batch, counts, batch.on_complete_payload),
      priority: 0,
      runAt: null,
      maxAttempts: 5,
      timeoutMs: null,
      batchName: null,
    },
    now,
    new Map(),
  );
  conn.prepare(`UPDATE batches SET on_complete_job_id = ? WHERE id = ?`).run(row.id, batchId);
  return String(row.id);
}

export function setBatchCallback(
  conn: Connection,
  batchId: string,
  callback: BatchCallback,
): { firedJobId: string | null } {
  return conn.immediate(() => {
    const changed = conn
      .prepare(
        `UPDATE batches SET on_complete_queue = ?, on_complete_payload = ? WHERE id = ? AND on_complete_job_id IS NULL`,
      )
      .run(callback.queue, callback.payload, batchId).changes;
    const fired = fireIfComplete(conn, batchId, Date.now());
    if (changed === 0 && fired === null) throw new Error(`no batch with id ${batchId}`);
    return { firedJobId: fired };
  });
}
