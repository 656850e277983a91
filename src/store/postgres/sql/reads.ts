/** Reads for the client API, the CLI and the dashboard. */
import type { Attempt, Batch, Job, JobStatus } from '../../../types.js';
import type { BatchRow, ListJobsParams, QueueStatusCount, ThroughputBucket } from '../../store.js';
import type { Queryable } from '../connection.js';
import { toAttempt, toBatch, toDate, toJob, type Row } from '../rows.js';

export async function getJob(client: Queryable, s: string, id: string): Promise<Job | null> {
  const result = await client.query<Row>(`select * from ${s}.jobs where id = $1::bigint`, [id]);
  return result.rows[0] ? toJob(result.rows[0]) : null;
}

export async function listJobs(
  client: Queryable,
  s: string,
  params: ListJobsParams,
): Promise<Job[]> {
  const desc = params.order === 'desc';
  const parts: string[] = [];
  const values: unknown[] = [];
  const filters: Array<[string, string | undefined]> = [
    ['queue', params.queue],
    ['status', params.status],
    ['batch_id', params.batchId],
    ['key', params.key],
  ];
  for (const [column, value] of filters) {
    if (value === undefined) continue;
    values.push(value);
    parts.push(`${column} = $${values.length}`);
  }
  if (params.after !== undefined) {
    values.push(params.after);
    parts.push(`id ${desc ? '<' : '>'} $${values.length}::bigint`);
  }
  values.push(params.limit);
  const result = await client.query<Row>(
    `select * from ${s}.jobs ${parts.length ? `where ${parts.join(' and ')}` : ''}
     order by id ${desc ? 'desc' : 'asc'} limit $${values.length}`,
    values,
  );
  return result.rows.map(toJob);
}

export async function listAttempts(
  client: Queryable,
  s: string,
  jobId: string,
): Promise<Attempt[]> {
  const result = await client.query<Row>(
    `select * from ${s}.attempts where job_id = $1::bigint order by id`,
    [jobId],
  );
  return result.rows.map(toAttempt);
}

export async function getBatch(
  client: Queryable,
  s: string,
  idOrName: string,
): Promise<Batch | null> {
  // An id wins over a name that happens to look like one.
  const result = await client.query<Row>(
    `select * from ${s}.batches where id = $1 or name = $1 order by id = $1 desc limit 1`,
    [idOrName],
  );
  return result.rows[0] ? toBatch(result.rows[0]) : null;
}

/** Pending/retrying rows are found through jobs_ready, running ones through jobs_lease. */
export async function hasActiveJobs(
  client: Queryable,
  s: string,
  queues: string[],
): Promise<boolean> {
  const result = await client.query<{ active: boolean }>(
    `select exists (select 1 from ${s}.jobs where queue = any($1::text[]) and status in ('pending', 'retrying'))
         or exists (select 1 from ${s}.jobs where queue = any($1::text[]) and status = 'running') as active`,
    [queues],
  );
  return result.rows[0]!.active;
}

export async function countByQueueAndStatus(
  client: Queryable,
  s: string,
): Promise<QueueStatusCount[]> {
  const result = await client.query<{ queue: string; status: JobStatus; count: string }>(
    `select queue, status, count(*) as count from ${s}.jobs group by queue, status order by queue, status`,
  );
  return result.rows.map((row) => ({
    queue: row.queue,
    status: row.status,
    count: Number(row.count),
  }));
}

export async function oldestWaiting(
  client: Queryable,
  s: string,
): Promise<Array<{ queue: string; since: Date }>> {
  const result = await client.query<Row>(
    `select queue, min(run_at) as since from ${s}.jobs
     where status in ('pending', 'retrying') and run_at <= now()
     group by queue order by queue`,
  );
  return result.rows.map((row) => ({ queue: row.queue as string, since: toDate(row.since) }));
}

export async function listBatches(
  client: Queryable,
  s: string,
  batchId?: string,
): Promise<BatchRow[]> {
  const result = await client.query<Row>(
    `select b.id, b.name, b.queue, b.created_at, j.status, count(j.id) as count,
            min(j.started_at) as first_started, max(j.finished_at) as last_finished
     from ${s}.batches b left join ${s}.jobs j on j.batch_id = b.id
     ${batchId === undefined ? '' : 'where b.id = $1'}
     group by b.id, j.status
     order by b.created_at, b.id`,
    batchId === undefined ? [] : [batchId],
  );
  const batches = new Map<string, BatchRow>();
  for (const row of result.rows) {
    const id = row.id as string;
    let batch = batches.get(id);
    if (!batch) {
      batch = { ...toBatch(row), counts: {}, firstStartedAt: null, lastFinishedAt: null };
      batches.set(id, batch);
    }
    if (row.status === null) continue;
    batch.counts[row.status as JobStatus] = Number(row.count);
    if (row.first_started !== null) {
      const first = toDate(row.first_started);
      if (!batch.firstStartedAt || first < batch.firstStartedAt) batch.firstStartedAt = first;
    }
    if (row.last_finished !== null) {
      const last = toDate(row.last_finished);
      if (!batch.lastFinishedAt || last > batch.lastFinishedAt) batch.lastFinishedAt = last;
    }
  }
  return [...batches.values()];
}

/** Completed and failed jobs per bucket of `bucketMs` from `since`, by finish time. Empty buckets are left out. */
export async function throughput(
  client: Queryable,
  s: string,
  params: { since: Date; bucketMs: number; queue?: string },
): Promise<ThroughputBucket[]> {
  const since = params.since.getTime();
  const bucketMs = Math.max(1, Math.floor(params.bucketMs));
  const values: unknown[] = [params.since, bucketMs];
  if (params.queue !== undefined) values.push(params.queue);
  const result = await client.query<{ bucket: string; completed: string; failed: string }>(
    `select floor(extract(epoch from (finished_at - $1::timestamptz)) * 1000 / $2)::bigint as bucket,
            count(*) filter (where status = 'completed') as completed,
            count(*) filter (where status = 'failed') as failed
     from ${s}.jobs
     where finished_at >= $1 and status in ('completed', 'failed') ${params.queue === undefined ? '' : 'and queue = $3'}
     group by bucket order by bucket`,
    values,
  );
  return result.rows.map((row) => ({
    at: new Date(since + Number(row.bucket) * bucketMs),
    completed: Number(row.completed),
    failed: Number(row.failed),
  }));
}

export async function workersSeen(
  client: Queryable,
  s: string,
  since: Date,
): Promise<Array<{ workerId: string; lastSeen: Date }>> {
  const result = await client.query<Row>(
    `select worker_id, max(started_at) as last_seen from ${s}.attempts where started_at >= $1
     group by worker_id order by last_seen desc`,
    [since],
  );
  return result.rows.map((row) => ({
    workerId: row.worker_id as string,
    lastSeen: toDate(row.last_seen),
  }));
}
