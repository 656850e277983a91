/** Export and import of whole rows, for `holdfast migrate-store`. */
import type { Attempt, Batch, JobStatus } from '../../../types.js';
import type { JobRecord, StoreRows } from '../../store.js';
import type { Queryable } from '../connection.js';
import { toAttempt, toBatch, toDate, type Row } from '../rows.js';

function dateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

function toRecord(row: Row): JobRecord {
  return {
    id: String(row.id),
    queue: row.queue as string,
    key: (row.key as string | null) ?? null,
    payload: row.payload as string,
    status: row.status as JobStatus,
    priority: Number(row.priority),
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    roundStart: Number(row.round_start),
    timeoutMs: row.timeout_ms === null ? null : Number(row.timeout_ms),
    runAt: toDate(row.run_at),
    batchId: (row.batch_id as string | null) ?? null,
    concurrencyKey: (row.concurrency_key as string | null) ?? null,
    progress: (row.progress as string | null) ?? null,
    result: (row.result as string | null) ?? null,
    lastError: (row.last_error as string | null) ?? null,
    cancelRequested: Boolean(row.cancel_requested),
    workerId: (row.worker_id as string | null) ?? null,
    leaseToken: (row.lease_token as string | null) ?? null,
    leaseExpiresAt: dateOrNull(row.lease_expires_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    startedAt: dateOrNull(row.started_at),
    finishedAt: dateOrNull(row.finished_at),
  };
}

export async function exportRows(
  client: Queryable,
  s: string,
  params: { afterId: string | null; limit: number },
): Promise<StoreRows> {
  const jobs = await client.query<Row>(
    `select * from ${s}.jobs where id > $1::bigint order by id limit $2`,
    [params.afterId ?? '0', params.limit],
  );
  const ids = jobs.rows.map((row) => String(row.id));
  const attempts = await client.query<Row>(
    `select * from ${s}.attempts where job_id = any($1::bigint[]) order by job_id, id`,
    [ids],
  );
  const batches = await client.query<Row>(
    `select * from ${s}.batches
     where $1::boolean or id in (select batch_id from ${s}.jobs where id = any($2::bigint[]))
     order by created_at, id`,
    [params.afterId === null, ids],
  );
  return {
    batches: batches.rows.map(toBatch),
    jobs: jobs.rows.map(toRecord),
    attempts: attempts.rows.map(toAttempt),
  };
}

async function importBatches(client: Queryable, s: string, batches: Batch[]): Promise<number> {
  const result = await client.query(
    `insert into ${s}.batches (id, name, queue, created_at)
     select * from unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[])
     on conflict (id) do nothing`,
    [
      batches.map((b) => b.id),
      batches.map((b) => b.name),
      batches.map((b) => b.queue),
      batches.map((b) => b.createdAt),
    ],
  );
  return result.rowCount ?? 0;
}

const JOB_COLUMNS: Array<[string, string, (job: JobRecord) => unknown]> = [
  ['id', 'bigint', (j) => j.id],
  ['queue', 'text', (j) => j.queue],
  ['key', 'text', (j) => j.key],
  ['payload', 'text', (j) => j.payload],
  ['status', 'text', (j) => j.status],
  ['priority', 'integer', (j) => j.priority],
  ['attempts', 'integer', (j) => j.attempts],
  ['max_attempts', 'integer', (j) => j.maxAttempts],
  ['round_start', 'integer', (j) => j.roundStart],
  ['timeout_ms', 'bigint', (j) => j.timeoutMs],
  ['run_at', 'timestamptz', (j) => j.runAt],
  ['batch_id', 'text', (j) => j.batchId],
  ['concurrency_key', 'text', (j) => j.concurrencyKey],
  ['progress', 'text', (j) => j.progress],
  ['result', 'text', (j) => j.result],
  ['last_error', 'text', (j) => j.lastError],
  ['cancel_requested', 'boolean', (j) => j.cancelRequested],
  ['worker_id', 'text', (j) => j.workerId],
  ['lease_token', 'text', (j) => j.leaseToken],
  ['lease_expires_at', 'timestamptz', (j) => j.leaseExpiresAt],
  ['created_at', 'timestamptz', (j) => j.createdAt],
  ['updated_at', 'timestamptz', (j) => j.updatedAt],
  ['started_at', 'timestamptz', (j) => j.startedAt],
  ['finished_at', 'timestamptz', (j) => j.finishedAt],
];

/**
 * Jobs that already exist (by id) are skipped with their attempts, so a re-run changes nothing.
 * Only the id is a conflict target: a job that breaks the key rule against a different job is
 * an error, never silently dropped.
 */
export async function importRows(
  client: Queryable,
  s: string,
  rows: StoreRows,
): Promise<{ batches: number; jobs: number; attempts: number }> {
  const batches = rows.batches.length ? await importBatches(client, s, rows.batches) : 0;
  if (rows.jobs.length === 0) return { batches, jobs: 0, attempts: 0 };
  const names = JOB_COLUMNS.map(([name]) => name).join(', ');
  const arrays = JOB_COLUMNS.map(([, type], index) => `$${index + 1}::${type}[]`).join(', ');
  const inserted = await client.query<{ id: string }>(
    `insert into ${s}.jobs (${names})
     select ${names} from unnest(${arrays}) as t(${names})
     on conflict (id) do nothing
     returning id`,
    JOB_COLUMNS.map(([, , get]) => rows.jobs.map(get)),
  );
  const fresh = new Set(inserted.rows.map((row) => String(row.id)));
  const tokens = new Map(rows.jobs.map((job) => [job.id, job.leaseToken]));
  const attempts = rows.attempts.filter((attempt: Attempt) => fresh.has(attempt.jobId));
  if (attempts.length > 0) {
    await client.query(
      `insert into ${s}.attempts (job_id, attempt, worker_id, lease_token, started_at, finished_at, outcome, error, stack)
       select job_id, attempt, worker_id, lease_token, started_at, finished_at, outcome, error, stack
       from unnest($1::bigint[], $2::integer[], $3::text[], $4::text[], $5::timestamptz[], $6::timestamptz[], $7::text[], $8::text[], $9::text[])
         with ordinality as t(job_id, attempt, worker_id, lease_token, started_at, finished_at, outcome, error, stack, n)
       order by n`,
      [
        attempts.map((a) => a.jobId),
        attempts.map((a) => a.attempt),
        attempts.map((a) => a.workerId),
        // The running attempt carries its job's token, so the rescuer's fenced write finds it.
        attempts.map((a) => (a.outcome === 'running' ? (tokens.get(a.jobId) ?? null) : null)),
        attempts.map((a) => a.startedAt),
        attempts.map((a) => a.finishedAt),
        attempts.map((a) => a.outcome),
        attempts.map((a) => a.error),
        attempts.map((a) => a.stack),
      ],
    );
  }
  // New jobs must not collide with copied ids; never move the sequence backwards.
  await client.query(
    `select setval('${s}.jobs_id_seq', greatest(m, (select last_value from ${s}.jobs_id_seq)))
     from (select max(id) as m from ${s}.jobs) x where m is not null`,
  );
  return { batches, jobs: fresh.size, attempts: attempts.length };
}
