import { randomBytes } from 'node:crypto';
import type { NewJob } from '../store.js';
import type { EnqueueResult } from '../../types.js';
import type { Connection } from './connection.js';
import { toJob, type JobRow } from './rows.js';

const FIND_ACTIVE_BY_KEY = `SELECT * FROM jobs WHERE queue = ? AND key = ? AND status IN ('pending','running','retrying') LIMIT 1`;
const FIND_IN_BATCH_BY_KEY = `SELECT * FROM jobs WHERE batch_id = ? AND key = ? ORDER BY id LIMIT 1`;
const INSERT_BATCH = `INSERT INTO batches (id, name, queue, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`;
const BATCH_ID_BY_NAME = `SELECT id FROM batches WHERE name = ?`;
// RETURNING id, not *: the rest of the new row is known here, and `RETURNING *` doubled the cost
// of an insert (122-162 µs vs 66-72 µs per row on the loaded bench machine; bench/NOTES.md).
const INSERT_JOB = `
  INSERT INTO jobs (queue, key, payload, status, priority, max_attempts, timeout_ms, run_at, batch_id, created_at, updated_at, concurrency_key)
  VALUES (?, ?, ?, 'pending', ?, ?, ?, ?, ?, ?, ?, ?)
  RETURNING id`;

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
  const id = conn
    .prepare(INSERT_JOB)
    .pluck()
    .get(
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
    ) as number;
  return { row: newJobRow(id, job, runAt, batchId, now), existing: false };
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
  return conn.immediate(() => {
    const now = Date.now();
    const batchIds = new Map<string, string>();
    return jobs.map((job) => {
      const { row, existing } = insertJob(conn, job, now, batchIds);
      return { job: toJob(row), existing };
    });
  });
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
