import { randomBytes } from 'node:crypto';
import type { NewJob } from '../store.js';
import type { EnqueueResult, Job } from '../../types.js';
import type { Connection } from './connection.js';
import { toJob, type JobRow } from './rows.js';

const FIND_ACTIVE_BY_KEY = `SELECT * FROM jobs WHERE queue = ? AND key = ? AND status IN ('pending','running','retrying') LIMIT 1`;
const FIND_IN_BATCH_BY_KEY = `SELECT * FROM jobs WHERE batch_id = ? AND key = ? ORDER BY id LIMIT 1`;
const INSERT_BATCH = `INSERT INTO batches (id, name, queue, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`;
const BATCH_ID_BY_NAME = `SELECT id FROM batches WHERE name = ?`;
// Neither `RETURNING *` nor `RETURNING id`: the rest of the new row is known here and the id is
// lastInsertRowid. RETURNING * doubled the cost of an insert (bench/NOTES.md); RETURNING id still
// cost 5.9 vs 4.1 µs per row in one transaction (10,000 rows, the bench machine).
const COLUMNS = `queue, key, payload, status, priority, max_attempts, timeout_ms, run_at, batch_id, created_at, updated_at, concurrency_key`;
const INSERT_JOB = `INSERT INTO jobs (${COLUMNS}) VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)`;
/**
 * Keyless jobs of one enqueueMany go in several rows per statement, with their ids given: one
 * statement per row cost more than the insert itself (10,000 rows in one transaction: 243,000
 * rows/s one per statement, 498,000 with 100 per statement). Row counts are powers of two up to
 * MAX_ROWS, so there are few statement texts to prepare and cache.
 */
const MAX_ROWS = 128;
const INSERT_ROWS = new Map<number, string>();
for (let rows = 1; rows <= MAX_ROWS; rows *= 2) {
  const values = Array.from(
    { length: rows },
    () => `(?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  INSERT_ROWS.set(rows, `INSERT INTO jobs (id, ${COLUMNS}) VALUES ${values.join(', ')}`);
}
// The id AUTOINCREMENT would give the next row: never one used before, even if purged since.
const NEXT_ID = `SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'jobs'), 0), coalesce((SELECT max(id) FROM jobs), 0)) + 1`;

export function newBatchId(): string {
  return `b_${randomBytes(8).toString('hex')}`;
}

/**
 * Inserts one job unless its key is taken; call inside a write transaction.
 * Key rule: an active job (pending/running/retrying) with the key in the same queue, or any job
 * with the key in the batch this job names, is returned instead. The batch rule makes a re-run
 * of one CSV import resume it: rows already done are not enqueued again.
 */
export function insertJob(
  conn: Connection,
  job: NewJob,
  now: number,
  batchIds: Map<string, string>,
): { row: JobRow; existing: boolean } {
  const batchId = job.batchName === null ? null : batchIdFor(conn, job, now, batchIds);
  if (job.key !== null) {
    const active = conn.prepare<JobRow>(FIND_ACTIVE_BY_KEY).get(job.queue, job.key);
    if (active) return { row: active, existing: true };
    if (batchId !== null) {
      const inBatch = conn.prepare<JobRow>(FIND_IN_BATCH_BY_KEY).get(batchId, job.key);
      if (inBatch) return { row: inBatch, existing: true };
    }
  }
  const runAt = job.runAt?.getTime() ?? now;
  const id = insertOne(conn, job, runAt, batchId, now);
  return { row: newJobRow(id, job, runAt, batchId, now), existing: false };
}

function insertOne(
  conn: Connection,
  job: NewJob,
  runAt: number,
  batchId: string | null,
  now: number,
): number {
  return conn
    .prepare(INSERT_JOB)
    .run(
      job.queue,
      job.key,
      job.payload,
      job.priority,
      job.maxAttempts,
      job.timeoutMs,
      runAt,
      batchId,
      now,
      now,
      job.concurrencyKey ?? null,
    ).lastInsertRowid as number;
}

/** The row INSERT_JOB just wrote, with the schema's defaults for the columns it leaves out. */
function newJobRow(
  id: number,
  job: NewJob,
  runAt: number,
  batchId: string | null,
  now: number,
): JobRow {
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
    run_at: runAt,
    batch_id: batchId,
    progress: null,
    result: null,
    last_error: null,
    cancel_requested: 0,
    worker_id: null,
    lease_token: null,
    lease_expires_at: null,
    created_at: now,
    updated_at: now,
    started_at: null,
    finished_at: null,
    concurrency_key: job.concurrencyKey ?? null,
  };
}

/** Get-or-create by name; `batchIds` caches names seen in this transaction (a CSV import names one batch on every row). */
function batchIdFor(
  conn: Connection,
  job: NewJob,
  now: number,
  batchIds: Map<string, string>,
): string {
  const name = job.batchName!;
  let id = batchIds.get(name);
  if (id === undefined) {
    conn.prepare(INSERT_BATCH).run(newBatchId(), name, job.queue, now);
    id = conn.prepare(BATCH_ID_BY_NAME).pluck().get(name) as string;
    batchIds.set(name, id);
  }
  return id;
}

export function enqueueJobs(conn: Connection, jobs: NewJob[]): EnqueueResult[] {
  const only = jobs.length === 1 ? jobs[0]! : null;
  if (only !== null && only.key === null && only.batchName === null) {
    // One INSERT and nothing to look up: autocommit makes it atomic without BEGIN and COMMIT.
    return conn.autocommit(() => {
      const now = Date.now();
      const runAt = only.runAt?.getTime() ?? now;
      const id = insertOne(conn, only, runAt, null, now);
      return [{ job: newJob(id, only, runAt, null, now), existing: false }];
    });
  }
  return conn.immediate(() => {
    const now = Date.now();
    const batchIds = new Map<string, string>();
    const results: EnqueueResult[] = new Array(jobs.length);
    let start = 0;
    while (start < jobs.length) {
      const job = jobs[start]!;
      if (job.key !== null) {
        // The key rule looks at the jobs inserted before this one, so keyed jobs go one by one.
        const { row, existing } = insertJob(conn, job, now, batchIds);
        results[start++] = { job: toJob(row), existing };
        continue;
      }
      let end = start + 1;
      while (end < jobs.length && end - start < MAX_ROWS && jobs[end]!.key === null) end++;
      insertKeyless(conn, jobs, start, end, now, batchIds, results);
      start = end;
    }
    return results;
  });
}

/** Inserts jobs[start..end) (all without a key) with consecutive ids, in as few statements as the sizes allow. */
function insertKeyless(
  conn: Connection,
  jobs: NewJob[],
  start: number,
  end: number,
  now: number,
  batchIds: Map<string, string>,
  results: EnqueueResult[],
): void {
  let id = conn.prepare(NEXT_ID).pluck().get() as number;
  let at = start;
  for (let rows = MAX_ROWS; rows >= 1; rows >>= 1) {
    while (end - at >= rows) {
      const values: unknown[] = new Array(rows * 12);
      let v = 0;
      for (let i = at; i < at + rows; i++) {
        const job = jobs[i]!;
        const batchId = job.batchName === null ? null : batchIdFor(conn, job, now, batchIds);
        const runAt = job.runAt?.getTime() ?? now;
        values[v++] = id;
        values[v++] = job.queue;
        values[v++] = null;
        values[v++] = job.payload;
        values[v++] = job.priority;
        values[v++] = job.maxAttempts;
        values[v++] = job.timeoutMs;
        values[v++] = runAt;
        values[v++] = batchId;
        values[v++] = now;
        values[v++] = now;
        values[v++] = job.concurrencyKey ?? null;
        results[i] = { job: newJob(id++, job, runAt, batchId, now), existing: false };
      }
      conn.prepare(INSERT_ROWS.get(rows)!).run(values);
      at += rows;
    }
  }
}

/**
 * The Job a fresh insert made: what toJob would read back, built without reading it. Built
 * directly rather than as toJob(newJobRow(...)): that extra row object per job measured 6-9%
 * of a 10,000-job enqueueMany (bench bulk, alternated three times).
 */
function newJob(id: number, job: NewJob, runAt: number, batchId: string | null, now: number): Job {
  return {
    id: String(id),
    queue: job.queue,
    key: job.key,
    payload: JSON.parse(job.payload),
    status: 'pending',
    priority: job.priority,
    attempts: 0,
    maxAttempts: job.maxAttempts,
    timeoutMs: job.timeoutMs,
    runAt: new Date(runAt),
    batchId,
    concurrencyKey: job.concurrencyKey ?? null,
    progress: null,
    result: null,
    lastError: null,
    cancelRequested: false,
    workerId: null,
    leaseExpiresAt: null,
    createdAt: new Date(now),
    updatedAt: new Date(now),
    startedAt: null,
    finishedAt: null,
  };
}

let streamCount = 0;

/**
 * A stream is staged in a TEMP table (private to this connection, on its own file, so writing it
 * takes no lock on the database) and moved into `jobs` in one BEGIN IMMEDIATE transaction at the
 * end. Holding the write lock across the stream's awaits instead would block every other writer
 * for the whole import (a 1,000,000-row CSV takes tens of seconds to parse), and a writer in this
 * same process would wait synchronously on busy_timeout while the stream cannot advance.
 */
export async function enqueueStream(
  conn: Connection,
  chunks: AsyncIterable<NewJob[]>,
): Promise<{ inserted: number; existing: number }> {
  const table = `temp.holdfast_stream_${++streamCount}`;
  conn.db.exec(
    `CREATE TABLE ${table} (queue TEXT, key TEXT, payload TEXT, priority INTEGER, max_attempts INTEGER, timeout_ms INTEGER, run_at INTEGER, batch_name TEXT, concurrency_key TEXT)`,
  );
  try {
    const stage = conn.db.prepare(`INSERT INTO ${table} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const stageChunk = conn.db.transaction((jobs: NewJob[]) => {
      for (const job of jobs) {
        stage.run(
          job.queue,
          job.key,
          job.payload,
          job.priority,
          job.maxAttempts,
          job.timeoutMs,
          job.runAt?.getTime() ?? null,
          job.batchName,
          job.concurrencyKey ?? null,
        );
      }
    });
    for await (const chunk of chunks) stageChunk(chunk);

    const page = conn.db.prepare(
      `SELECT rowid AS seq, * FROM ${table} WHERE rowid > ? ORDER BY rowid LIMIT 1000`,
    );
    return conn.immediate(() => {
      const now = Date.now();
      const batchIds = new Map<string, string>();
      const counts = { inserted: 0, existing: 0 };
      let after = 0;
      for (;;) {
        const rows = page.all(after) as Array<StagedRow & { seq: number }>;
        if (rows.length === 0) break;
        for (const staged of rows) {
          const job: NewJob = {
            queue: staged.queue,
            key: staged.key,
            payload: staged.payload,
            priority: staged.priority,
            maxAttempts: staged.max_attempts,
            timeoutMs: staged.timeout_ms,
            runAt: staged.run_at === null ? null : new Date(staged.run_at),
            batchName: staged.batch_name,
            concurrencyKey: staged.concurrency_key,
          };
          if (insertJob(conn, job, now, batchIds).existing) counts.existing++;
          else counts.inserted++;
        }
        after = rows[rows.length - 1]!.seq;
      }
      return counts;
    });
  } finally {
    conn.db.exec(`DROP TABLE IF EXISTS ${table}`);
  }
}

interface StagedRow {
  queue: string;
  key: string | null;
  payload: string;
  priority: number;
  max_attempts: number;
  timeout_ms: number | null;
  run_at: number | null;
  batch_name: string | null;
  concurrency_key: string | null;
}
