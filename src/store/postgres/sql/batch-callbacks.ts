/**
 * Batch completion callbacks, checked in the transaction that makes batch jobs terminal.
 *
 * Two processes finishing a batch's last two jobs at once: each transaction's check sees the
 * other's job still running (uncommitted) and neither would fire. So the check locks the batch
 * row first (FOR UPDATE): the second waits for the first to commit, and its count, a new
 * statement under read committed, sees the first's job as finished. `on_complete_job_id` set
 * under the same lock makes it fire once.
 */
import type { JobStatus } from '../../../types.js';
import { batchCompleteKey, batchCompletePayload, type BatchCallback } from '../../flow.js';
import type { Queryable } from '../connection.js';
import { insertJob } from './enqueue.js';
import type { Row } from '../rows.js';

/** After jobs became terminal, inside their transaction: fires the callbacks of batches now complete. */
export async function completeBatches(
  client: Queryable,
  s: string,
  jobIds: string[],
): Promise<string[]> {
  if (jobIds.length === 0) return [];
  const batches = await client.query<{ id: string }>(
    `select distinct b.id from ${s}.jobs j join ${s}.batches b on b.id = j.batch_id
     where j.id = any($1::bigint[]) and b.on_complete_queue is not null and b.on_complete_job_id is null
     order by b.id`,
    [jobIds],
  );
  const queues: string[] = [];
  for (const { id } of batches.rows) {
    const fired = await fireIfComplete(client, s, id);
    if (fired !== null) queues.push(fired.queue);
  }
  return queues;
}

/** Enqueues the batch's follow-up job if every job is terminal and it has not fired; returns its id. */
export async function fireIfComplete(
  client: Queryable,
  s: string,
  batchId: string,
): Promise<{ id: string; queue: string } | null> {
  const locked = await client.query<Row>(
    `select id, name, on_complete_queue, on_complete_payload, on_complete_job_id from ${s}.batches where id = $1 for update`,
    [batchId],
  );
  const batch = locked.rows[0];
  if (!batch || batch.on_complete_queue === null) return null;
  if (batch.on_complete_job_id !== null)
    return { id: String(batch.on_complete_job_id), queue: batch.on_complete_queue as string };
  const counts: Partial<Record<JobStatus, number>> = {};
  const rows = await client.query<{ status: JobStatus; n: number }>(
    `select status, count(*)::int as n from ${s}.jobs where batch_id = $1 group by status`,
    [batchId],
  );
  for (const row of rows.rows) counts[row.status] = row.n;
  if ((counts.pending ?? 0) + (counts.running ?? 0) + (counts.retrying ?? 0) > 0) return null;
  const { job } = await insertJob(
    client,
    s,
    {
      queue: batch.on_complete_queue as string,
      key: batchCompleteKey(batchId),
      payload: batchCompletePayload(
        { id: batchId, name: batch.name as string },
        counts,
        batch.on_complete_payload as string,
      ),
      priority: 0,
      runAt: null,
      maxAttempts: 5,
      timeoutMs: null,
      batchName: null,
    },
    null,
  );
  await client.query(`update ${s}.batches set on_complete_job_id = $2 where id = $1`, [
    batchId,
    job.id,
  ]);
  return { id: job.id, queue: job.queue };
}

/** Call inside a transaction. */
export async function setBatchCallback(
  client: Queryable,
  s: string,
  batchId: string,
  callback: BatchCallback,
): Promise<{ firedJobId: string | null }> {
  const updated = await client.query(
    `update ${s}.batches set on_complete_queue = $2, on_complete_payload = $3 where id = $1 and on_complete_job_id is null`,
    [batchId, callback.queue, callback.payload],
  );
  const fired = await fireIfComplete(client, s, batchId);
  if ((updated.rowCount ?? 0) === 0 && fired === null)
    throw new Error(`no batch with id ${batchId}`);
  return { firedJobId: fired?.id ?? null };
}
