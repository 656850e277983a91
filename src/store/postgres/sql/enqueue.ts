/**
 * Inserting jobs. The key rule is enforced by two unique indexes (see migrations.ts), so an
 * insert that would break it does nothing and the existing job is looked up instead; that
 * stays correct when many processes enqueue the same key at once.
 */
import { randomBytes } from 'node:crypto';
import type { EnqueueResult } from '../../../types.js';
import type { NewJob } from '../../store.js';
import type { Connection, Queryable } from '../connection.js';
import { toJob, type Row } from '../rows.js';

const ACTIVE = `('pending', 'running', 'retrying')`;

/** Same shape as the SQLite store's batch ids. */
export function newBatchId(): string {
  return `b_${randomBytes(8).toString('hex')}`;
}

/** Batch ids by name, created on first use (its queue is the first job's queue). */
export async function batchIdFor(
  client: Queryable,
  s: string,
  name: string,
  queue: string,
): Promise<string> {
  for (;;) {
    const inserted = await client.query<{ id: string }>(
      `insert into ${s}.batches (id, name, queue) values ($1, $2, $3) on conflict (name) do nothing returning id`,
      [newBatchId(), name, queue],
    );
    if (inserted.rows[0]) return String(inserted.rows[0].id);
    const found = await client.query<{ id: string }>(
      `select id from ${s}.batches where name = $1`,
      [name],
    );
    if (found.rows[0]) return String(found.rows[0].id);
  }
}

/** Resolves each distinct batch name once per transaction. */
export class BatchResolver {
  readonly #ids = new Map<string, string>();
  constructor(
    readonly client: Queryable,
    readonly s: string,
  ) {}

  async idFor(job: NewJob): Promise<string | null> {
    if (job.batchName === null) return null;
    let id = this.#ids.get(job.batchName);
    if (id === undefined) {
      id = await batchIdFor(this.client, this.s, job.batchName, job.queue);
      this.#ids.set(job.batchName, id);
    }
    return id;
  }
}

export async function insertJob(
  client: Queryable,
  s: string,
  job: NewJob,
  batchId: string | null,
): Promise<EnqueueResult> {
  // A conflicting row can become terminal between the insert and the lookup; then insert again.
  for (let round = 0; ; round += 1) {
    const inserted = await client.query<Row>(
      `insert into ${s}.jobs (queue, key, payload, status, priority, run_at, max_attempts, timeout_ms, batch_id, concurrency_key)
       values ($1, $2, $3, 'pending', $4, coalesce($5::timestamptz, now()), $6, $7, $8, $9)
       on conflict do nothing
       returning *`,
      [
        job.queue,
        job.key,
        job.payload,
        job.priority,
        job.runAt,
        job.maxAttempts,
        job.timeoutMs,
        batchId,
        job.concurrencyKey ?? null,
      ],
    );
    if (inserted.rows[0]) return { job: toJob(inserted.rows[0]), existing: false };
    const found = await client.query<Row>(
      `select * from ${s}.jobs
       where key = $1 and ((queue = $2 and status in ${ACTIVE}) or ($3::text is not null and batch_id = $3))
       order by (queue = $2 and status in ${ACTIVE}) desc, id
       limit 1`,
      [job.key, job.queue, batchId],
    );
    if (found.rows[0]) return { job: toJob(found.rows[0]), existing: true };
    if (round >= 10)
      throw new Error(
        `enqueue of key ${JSON.stringify(job.key)} kept conflicting with a job that vanished`,
      );
  }
}

/**
 * Rows per statement of a multi-job enqueue. The columns travel as one array parameter each, so
 * no parameter limit applies; the chunk only bounds one statement's size (a few MB of payloads)
 * while already amortising the round trip (10,000 jobs: 2 statements instead of 10,000).
 */
export const ENQUEUE_CHUNK = 5_000;

/**
 * `insertJob` for each job in input order, a chunk per statement. One job stays a plain
 * INSERT ... VALUES (one round trip, no arrays to build).
 */
export async function insertJobs(
  client: Queryable,
  s: string,
  jobs: NewJob[],
  batches: BatchResolver,
): Promise<EnqueueResult[]> {
  if (jobs.length === 1)
    return [await insertJob(client, s, jobs[0]!, await batches.idFor(jobs[0]!))];
  const results: EnqueueResult[] = [];
  for (let start = 0; start < jobs.length; start += ENQUEUE_CHUNK) {
    const chunk = jobs.slice(start, start + ENQUEUE_CHUNK);
    const batchIds: Array<string | null> = [];
    for (const job of chunk) batchIds.push(await batches.idFor(job));
    results.push(...(await insertChunkReturning(client, s, chunk, batchIds)));
  }
  return results;
}

/**
 * One chunk, with the outcome insertJob gives row by row. Ids are drawn in input order before
 * the insert, so each returned row is matched to its input position; rows are inserted in that
 * order, and ON CONFLICT DO NOTHING also sees rows this same statement inserted earlier, so the
 * first of two jobs sharing a key is the one inserted. The skipped rows are looked up in a second
 * statement, which (unlike the insert's own snapshot) sees this statement's rows.
 */
async function insertChunkReturning(
  client: Queryable,
  s: string,
  jobs: NewJob[],
  batchIds: Array<string | null>,
): Promise<EnqueueResult[]> {
  const inserted = await client.query<{ n: string; id: string; now: number }>(
    `with input as (
       select nextval('${s}.jobs_id_seq') as id, t.*
       from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::int[], $7::bigint[], $8::text[], $9::text[])
         with ordinality as t(queue, key, payload, priority, run_at, max_attempts, timeout_ms, batch_id, concurrency_key, n)
     ), added as (
       insert into ${s}.jobs (id, queue, key, payload, status, priority, run_at, max_attempts, timeout_ms, batch_id, concurrency_key)
       select id, queue, key, payload, 'pending', priority, coalesce(run_at, now()), max_attempts, timeout_ms, batch_id, concurrency_key
       from input order by n
       on conflict do nothing
       returning id
     )
     select input.n, added.id, (extract(epoch from now()) * 1000)::float8 as now
     from added join input on input.id = added.id`,
    chunkArrays(jobs, batchIds),
  );
  const results: Array<EnqueueResult | undefined> = new Array(jobs.length);
  for (const { n, id, now } of inserted.rows) {
    const index = Number(n) - 1;
    const row = newRow(id, jobs[index]!, batchIds[index] ?? null, new Date(now));
    results[index] = { job: toJob(row), existing: false };
  }
  const skipped = [...results.keys()].filter((index) => results[index] === undefined);
  if (skipped.length > 0) await lookUpSkipped(client, s, jobs, batchIds, results, skipped);
  // A conflicting job that became terminal in between: insertJob inserts again (rare).
  for (const index of skipped) {
    results[index] ??= await insertJob(client, s, jobs[index]!, batchIds[index] ?? null);
  }
  return results as EnqueueResult[];
}

/**
 * The job each skipped row met, as insertJob's lookup finds it: the active job of its queue and
 * key, else its batch's job with that key. Run after the whole chunk is in, the lookup would also
 * see a later row of the chunk that became its queue's active job for the key (possible when the
 * skipped row met its batch's finished job): that row did not exist yet for a one-by-one insert,
 * so it is left out (a chunk inserts at most one row per queue and key).
 */
async function lookUpSkipped(
  client: Queryable,
  s: string,
  jobs: NewJob[],
  batchIds: Array<string | null>,
  results: Array<EnqueueResult | undefined>,
  skipped: number[],
): Promise<void> {
  const insertedAt = new Map<string, { index: number; id: string }>();
  results.forEach((result, index) => {
    if (result?.job.key != null)
      insertedAt.set(`${result.job.queue}\u0000${result.job.key}`, { index, id: result.job.id });
  });
  const later = skipped.map((index) => {
    const active = insertedAt.get(`${jobs[index]!.queue}\u0000${jobs[index]!.key}`);
    return active !== undefined && active.index > index ? active.id : null;
  });
  const found = await client.query<Row>(
    `select t.n, j.* from unnest($1::text[], $2::text[], $3::text[], $4::bigint[])
       with ordinality as t(key, queue, batch_id, later, n)
     cross join lateral (
       select * from ${s}.jobs j
       where j.key = t.key and j.id is distinct from t.later
         and ((j.queue = t.queue and j.status in ${ACTIVE}) or (t.batch_id is not null and j.batch_id = t.batch_id))
       order by (j.queue = t.queue and j.status in ${ACTIVE}) desc, j.id
       limit 1
     ) j`,
    [
      skipped.map((index) => jobs[index]!.key),
      skipped.map((index) => jobs[index]!.queue),
      skipped.map((index) => batchIds[index]),
      later,
    ],
  );
  for (const row of found.rows)
    results[skipped[Number(row.n) - 1]!] = { job: toJob(row), existing: true };
}

/**
 * The row the chunk's insert wrote, as `returning *` would give it: the columns it leaves out
 * hold their defaults, and now() is the transaction's time. Returning only ids spares the pg
 * client parsing 24 columns per row, three of them dates, and what a JobRecord needs is known.
 */
function newRow(id: string, job: NewJob, batchId: string | null, now: Date): Row {
  return {
    id,
    queue: job.queue,
    key: job.key,
    payload: job.payload,
    status: 'pending',
    priority: job.priority,
    attempts: 0,
    max_attempts: job.maxAttempts,
    round_start: 0,
    timeout_ms: job.timeoutMs,
    run_at: job.runAt ?? now,
    batch_id: batchId,
    concurrency_key: job.concurrencyKey ?? null,
    progress: null,
    result: null,
    last_error: null,
    cancel_requested: false,
    worker_id: null,
    lease_token: null,
    lease_expires_at: null,
    created_at: now,
    updated_at: now,
    started_at: null,
    finished_at: null,
  };
}

function chunkArrays(jobs: NewJob[], batchIds: Array<string | null>): unknown[] {
  return [
    jobs.map((job) => job.queue),
    jobs.map((job) => job.key),
    jobs.map((job) => job.payload),
    jobs.map((job) => job.priority),
    jobs.map((job) => job.runAt),
    jobs.map((job) => job.maxAttempts),
    jobs.map((job) => job.timeoutMs),
    batchIds,
    jobs.map((job) => job.concurrencyKey ?? null),
  ];
}

/** Many jobs in one statement; returns how many were inserted (the rest met the key rule). */
export async function insertChunk(
  client: Queryable,
  s: string,
  jobs: NewJob[],
  batchIds: Array<string | null>,
): Promise<number> {
  const result = await client.query(
    `insert into ${s}.jobs (queue, key, payload, status, priority, run_at, max_attempts, timeout_ms, batch_id, concurrency_key)
     select queue, key, payload, 'pending', priority, coalesce(run_at, now()), max_attempts, timeout_ms, batch_id, concurrency_key
     from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::int[], $7::bigint[], $8::text[], $9::text[])
       with ordinality as t(queue, key, payload, priority, run_at, max_attempts, timeout_ms, batch_id, concurrency_key, n)
     order by n
     on conflict do nothing`,
    chunkArrays(jobs, batchIds),
  );
  return result.rowCount ?? 0;
}

/**
 * Planner statistics right after a large load. Until the table is analyzed again, the claim is
 * planned from statistics taken before the load (or none): the planner expects a handful of
 * waiting rows and reads and sorts every one of them per claim instead of walking jobs_ready
 * (1.1 s per claim with a million waiting). Autovacuum fixes that only at its next round, a
 * minute or more later. The rule is autovacuum's own (analyze once the changed rows exceed 10%
 * of the rows the statistics describe), applied at once; loads under 1,000 rows are left to
 * autovacuum, since a wrong plan then sorts too few rows to matter. ANALYZE samples at most
 * 30,000 rows, so it costs little next to the load; SKIP_LOCKED leaves it out, rather than
 * waiting, while another ANALYZE or a VACUUM holds the table (which refreshes the statistics
 * anyway). Run after the load has committed, on its own: inside the load's transaction it would
 * lengthen it, and hold its lock, with statistics no claimer sees before that commit.
 */
export const ANALYZE_MIN_ROWS = 1_000;
export const ANALYZE_FRACTION = 0.1;

export async function analyzeAfterLoad(
  client: Queryable,
  s: string,
  inserted: number,
): Promise<boolean> {
  if (inserted < ANALYZE_MIN_ROWS) return false;
  // reltuples: the row count as of the last ANALYZE or VACUUM (-1: never), inserts leave it as is.
  const stats = await client.query<{ rows: number }>(
    `select reltuples::float8 as rows from pg_class where oid = '${s}.jobs'::regclass`,
  );
  const described = Math.max(0, Number(stats.rows[0]?.rows ?? 0));
  if (inserted < described * ANALYZE_FRACTION) return false;
  await client.query(`analyze (skip_locked) ${s}.jobs`);
  return true;
}

/** After the load's commit, on a connection of its own; a failure is only logged (the jobs are in). */
export async function analyzeAfterCommit(
  db: Connection,
  s: string,
  inserted: number,
): Promise<void> {
  if (inserted < ANALYZE_MIN_ROWS) return;
  try {
    await db.run('analyze', true, (client) => analyzeAfterLoad(client, s, inserted));
  } catch (error) {
    db.log(`analyze after a load of ${inserted} jobs failed: ${(error as Error).message}`);
  }
}

/** Wakes listeners on every machine; sent on commit, dropped on rollback. */
export async function notifyQueues(
  client: Queryable,
  channel: string,
  queues: Iterable<string>,
): Promise<void> {
  const distinct = [...new Set(queues)];
  if (distinct.length === 0) return;
  await client.query(`select pg_notify($1, q) from unnest($2::text[]) as q`, [channel, distinct]);
}
