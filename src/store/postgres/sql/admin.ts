/** Steering jobs from the client API: cancel, retry, purge. */
import { completeBatches } from './batch-callbacks.js';
import type { JobStatus } from '../../../types.js';
import type { Queryable } from '../connection.js';

type Target = { jobId?: string; batchId?: string };

function targetSql(target: Target): { sql: string; values: string[] } {
  const parts: string[] = [];
  const values: string[] = [];
  if (target.jobId !== undefined) {
    values.push(target.jobId);
    parts.push(`id = $${values.length}::bigint`);
  }
  if (target.batchId !== undefined) {
    values.push(target.batchId);
    parts.push(`batch_id = $${values.length}`);
  }
  // Neither given: nothing, never everything.
  return { sql: parts.length ? parts.join(' and ') : 'false', values };
}

/** Waiting jobs become cancelled at once; running ones are asked to stop (seen at their next heartbeat). */
export async function cancelJobs(
  client: Queryable,
  s: string,
  target: Target,
): Promise<{ cancelled: string[]; requested: string[] }> {
  const { sql, values } = targetSql(target);
  const cancelled = await client.query<{ id: string }>(
    `update ${s}.jobs set status = 'cancelled', finished_at = now(), updated_at = now()
     where ${sql} and status in ('pending', 'retrying') returning id`,
    values,
  );
  const requested = await client.query<{ id: string }>(
    `update ${s}.jobs set cancel_requested = true, updated_at = now()
     where ${sql} and status = 'running' returning id`,
    values,
  );
  const ids = (rows: Array<{ id: string }>) =>
    rows.map((row) => String(row.id)).sort((a, b) => Number(a) - Number(b));
  await completeBatches(client, s, ids(cancelled.rows));
  return { cancelled: ids(cancelled.rows), requested: ids(requested.rows) };
}

/**
 * One failed or cancelled job, or every failed job of a queue and/or batch, back to pending
 * with a new round of maxAttempts. Taken one by one in id order (rows locked first) so that of
 * two failed jobs sharing a key only the first is revived; the second is skipped.
 */
export async function retryJobs(
  client: Queryable,
  s: string,
  params: { jobId?: string; queue?: string; batchId?: string },
): Promise<{ retried: string[]; skipped: string[] }> {
  const parts: string[] = [];
  const values: string[] = [];
  if (params.jobId !== undefined) {
    values.push(params.jobId);
    parts.push(`id = $1::bigint and status in ('failed', 'cancelled')`);
  } else {
    parts.push(`status = 'failed'`);
    if (params.queue !== undefined) {
      values.push(params.queue);
      parts.push(`queue = $${values.length}`);
    }
    if (params.batchId !== undefined) {
      values.push(params.batchId);
      parts.push(`batch_id = $${values.length}`);
    }
    if (values.length === 0) return { retried: [], skipped: [] };
  }
  const candidates = await client.query<{ id: string; queue: string; key: string | null }>(
    `select id, queue, key from ${s}.jobs where ${parts.join(' and ')} order by id for update`,
    values,
  );
  const retried: string[] = [];
  const skipped: string[] = [];
  for (const row of candidates.rows) {
    const id = String(row.id);
    if (row.key !== null) {
      const taken = await client.query(
        `select 1 from ${s}.jobs where queue = $1 and key = $2 and id <> $3 and status in ('pending', 'running', 'retrying') limit 1`,
        [row.queue, row.key, id],
      );
      if (taken.rowCount) {
        skipped.push(id);
        continue;
      }
    }
    // A concurrent enqueue of the same key can win between the check and the update: the
    // unique index refuses ours (23505), and the job is skipped like any other taken key.
    await client.query('savepoint holdfast_retry');
    try {
      await client.query(
        `update ${s}.jobs set status = 'pending', run_at = now(), round_start = attempts, finished_at = null,
           cancel_requested = false, updated_at = now()
         where id = $1`,
        [id],
      );
      await client.query('release savepoint holdfast_retry');
      retried.push(id);
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      await client.query('rollback to savepoint holdfast_retry');
      skipped.push(id);
    }
  }
  return { retried, skipped };
}

const TERMINAL = new Set<JobStatus>(['completed', 'failed', 'cancelled']);

/** Deletes finished jobs (their attempts go with them: on delete cascade). */
export async function purgeJobs(
  client: Queryable,
  s: string,
  params: { finishedBefore: Date; statuses: JobStatus[] },
): Promise<number> {
  const statuses = params.statuses.filter((status) => TERMINAL.has(status));
  if (statuses.length === 0) return 0;
  const result = await client.query(
    `delete from ${s}.jobs where finished_at < $1 and status = any($2::text[])`,
    [params.finishedBefore, statuses],
  );
  return result.rowCount ?? 0;
}
