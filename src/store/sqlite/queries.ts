import type { BatchRow, ListJobsParams, QueueStatusCount, ThroughputBucket } from '../store.js';
import type { Attempt, Batch, Job, JobStatus } from '../../types.js';
import type { Connection } from './connection.js';
import {
  toAttempt,
  toBatch,
  toJob,
  type AttemptRow,
  type BatchRecord,
  type JobRow,
} from './rows.js';

/** Past this many distinct priorities, a page of pending jobs is read by the plain query. */
const MAX_PRIORITY_RANGES = 32;

export function getJob(conn: Connection, id: string): Job | null {
  const row = conn.prepare<JobRow>(`SELECT * FROM jobs WHERE id = ?`).get(id);
  return row ? toJob(row) : null;
}

export function listJobs(conn: Connection, params: ListJobsParams): Job[] {
  const desc = params.order === 'desc';
  if (
    params.status === 'pending' &&
    params.queue !== undefined &&
    params.batchId === undefined &&
    params.key === undefined
  ) {
    const page = pendingPage(conn, params.queue, params.after, params.limit, desc);
    if (page) return page.map(toJob);
  }
  const parts: string[] = [];
  const args: Array<string | number> = [];
  const filters: Array<[string, string | undefined]> = [
    ['queue', params.queue],
    ['status', params.status],
    ['batch_id', params.batchId],
    ['key', params.key],
  ];
  for (const [column, value] of filters) {
    if (value === undefined) continue;
    parts.push(`${column} = ?`);
    args.push(value);
  }
  // The condition of the index that holds rows of this status (schema.ts, version 3), so that
  // SQLite may use it: it does not infer `status <> 'pending'` from `status = 'failed'`.
  if (params.status !== undefined) {
    parts.push(
      params.status === 'pending' ? `status IN ('pending','retrying')` : `status <> 'pending'`,
    );
  }
  if (params.after !== undefined) {
    parts.push(desc ? 'id < ?' : 'id > ?');
    args.push(params.after);
  }
  // The SQL text depends only on which filters are present (and whether the status is pending),
  // so the statement cache stays small.
  const sql = `SELECT * FROM jobs ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''}
    ORDER BY id ${desc ? 'DESC' : 'ASC'} LIMIT ?`;
  return conn
    .prepare<JobRow>(sql)
    .all(...args, params.limit)
    .map(toJob);
}

const PENDING = `queue = ? AND status = 'pending' AND status IN ('pending','retrying')`;
// Each distinct priority of the queue's pending jobs, highest first: one seek per priority.
const PENDING_PRIORITIES = `
  WITH RECURSIVE p (priority) AS (
    SELECT max(priority) FROM jobs WHERE ${PENDING}
    UNION ALL
    SELECT (SELECT max(priority) FROM jobs WHERE ${PENDING} AND priority < p.priority)
    FROM p WHERE p.priority IS NOT NULL
  )
  SELECT priority FROM p WHERE priority IS NOT NULL LIMIT ${MAX_PRIORITY_RANGES + 1}`;

/**
 * A page of one queue's pending jobs in id order. Since schema version 3 pending jobs are only in
 * jobs_ready, which orders them by (priority DESC, id): a plain `ORDER BY id` reads and sorts
 * every pending job of the queue (7 ms with 100,000, ~10x that with 1,000,000), where
 * jobs_queue_status used to seek. Within one priority jobs_ready is in id order, so the page is
 * merged from one index range per distinct priority, each read up to `limit` rows. Null (use the
 * plain query) when the queue has more distinct priorities than MAX_PRIORITY_RANGES.
 */
function pendingPage(
  conn: Connection,
  queue: string,
  after: string | undefined,
  limit: number,
  desc: boolean,
): JobRow[] | null {
  const priorities = conn.prepare(PENDING_PRIORITIES).pluck().all(queue, queue) as number[];
  if (priorities.length > MAX_PRIORITY_RANGES) return null;
  const range = conn.prepare<JobRow>(
    `SELECT * FROM jobs WHERE ${PENDING} AND priority = ? ${after === undefined ? '' : desc ? 'AND id < ?' : 'AND id > ?'}
     ORDER BY id ${desc ? 'DESC' : 'ASC'} LIMIT ?`,
  );
  const rows = priorities.flatMap((priority) =>
    range.all(queue, priority, ...(after === undefined ? [] : [after]), limit),
  );
  rows.sort((a, b) => (desc ? b.id - a.id : a.id - b.id));
  return rows.slice(0, limit);
}

export function listAttempts(conn: Connection, jobId: string): Attempt[] {
  return conn
    .prepare<AttemptRow>(`SELECT * FROM attempts WHERE job_id = ? ORDER BY id`)
    .all(jobId)
    .map(toAttempt);
}

export function getBatch(conn: Connection, idOrName: string): Batch | null {
  // An id wins over a name that happens to look like one.
  const row = conn
    .prepare<BatchRecord>(
      `SELECT * FROM batches WHERE id = @v OR name = @v ORDER BY id = @v DESC LIMIT 1`,
    )
    .get({ v: idOrName });
  return row ? toBatch(row) : null;
}

// Pending jobs are counted from jobs_ready, every other status from jobs_queue_status_settled
// (schema.ts, version 3): each half repeats its index's condition, so both are index-only scans.
const COUNT_BY_QUEUE_AND_STATUS = `
  SELECT queue, status, count(*) AS count FROM jobs
  WHERE status = 'pending' AND status IN ('pending','retrying') GROUP BY queue, status
  UNION ALL
  SELECT queue, status, count(*) AS count FROM jobs
  WHERE status <> 'pending' GROUP BY queue, status
  ORDER BY queue, status`;

export function countByQueueAndStatus(conn: Connection): QueueStatusCount[] {
  return conn.prepare<QueueStatusCount>(COUNT_BY_QUEUE_AND_STATUS).all();
}

export function hasActiveJobs(conn: Connection, queues: string[]): boolean {
  const statement = conn.prepare<{ active: number }>(
    `SELECT EXISTS (SELECT 1 FROM jobs WHERE queue = ? AND status IN ('pending','retrying'))
         OR EXISTS (SELECT 1 FROM jobs WHERE queue = ? AND status = 'running' AND status <> 'pending') AS active`,
  );
  return queues.some((queue) => statement.get(queue, queue)!.active === 1);
}

export function oldestWaiting(conn: Connection): Array<{ queue: string; since: Date }> {
  return conn
    .prepare<{ queue: string; since: number }>(
      `SELECT queue, min(run_at) AS since FROM jobs
       WHERE status IN ('pending','retrying') AND run_at <= ?
       GROUP BY queue ORDER BY queue`,
    )
    .all(Date.now())
    .map((row) => ({ queue: row.queue, since: new Date(row.since) }));
}

export function listBatches(conn: Connection, batchId?: string): BatchRow[] {
  const rows = conn
    .prepare<
      BatchRecord & {
        status: JobStatus | null;
        count: number;
        first_started: number | null;
        last_finished: number | null;
      }
    >(
      `SELECT b.id, b.name, b.queue, b.created_at, j.status, count(j.id) AS count,
              min(j.started_at) AS first_started, max(j.finished_at) AS last_finished
       FROM batches b LEFT JOIN jobs j ON j.batch_id = b.id
       ${batchId === undefined ? '' : 'WHERE b.id = ?'}
       GROUP BY b.id, j.status
       ORDER BY b.created_at, b.id`,
    )
    .all(...(batchId === undefined ? [] : [batchId]));
  const batches = new Map<string, BatchRow>();
  for (const row of rows) {
    let batch = batches.get(row.id);
    if (!batch) {
      batch = { ...toBatch(row), counts: {}, firstStartedAt: null, lastFinishedAt: null };
      batches.set(row.id, batch);
    }
    if (row.status === null) continue;
    batch.counts[row.status] = row.count;
    if (
      row.first_started !== null &&
      (!batch.firstStartedAt || row.first_started < batch.firstStartedAt.getTime())
    ) {
      batch.firstStartedAt = new Date(row.first_started);
    }
    if (
      row.last_finished !== null &&
      (!batch.lastFinishedAt || row.last_finished > batch.lastFinishedAt.getTime())
    ) {
      batch.lastFinishedAt = new Date(row.last_finished);
    }
  }
  return [...batches.values()];
}

/** Completed and failed jobs per bucket of `bucketMs` from `since`, by finish time. Empty buckets are left out. */
export function throughput(
  conn: Connection,
  params: { since: Date; bucketMs: number; queue?: string },
): ThroughputBucket[] {
  const since = params.since.getTime();
  const bucketMs = Math.max(1, Math.floor(params.bucketMs));
  return conn
    .prepare<{ bucket: number; completed: number; failed: number }>(
      `SELECT (finished_at - ?) / ? AS bucket,
              sum(status = 'completed') AS completed, sum(status = 'failed') AS failed
       FROM jobs
       WHERE finished_at >= ? AND status IN ('completed','failed') ${params.queue === undefined ? '' : 'AND queue = ?'}
       GROUP BY bucket ORDER BY bucket`,
    )
    .all(since, bucketMs, since, ...(params.queue === undefined ? [] : [params.queue]))
    .map((row) => ({
      at: new Date(since + row.bucket * bucketMs),
      completed: row.completed,
      failed: row.failed,
    }));
}

export function workersSeen(
  conn: Connection,
  since: Date,
): Array<{ workerId: string; lastSeen: Date }> {
  return conn
    .prepare<{ worker_id: string; last_seen: number }>(
      `SELECT worker_id, max(started_at) AS last_seen FROM attempts WHERE started_at >= ?
       GROUP BY worker_id ORDER BY last_seen DESC`,
    )
    .all(since.getTime())
    .map((row) => ({ workerId: row.worker_id, lastSeen: new Date(row.last_seen) }));
}
