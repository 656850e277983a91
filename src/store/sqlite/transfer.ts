/**
 * Export and import of whole rows, for `holdfast migrate-store` (to or from another store).
 * Written by the PostgreSQL store's author; the only hook is two methods in sqlite-store.ts.
 */
import type { JobRecord, StoreRows } from '../store.js';
import type { Connection } from './connection.js';
import { toAttempt, toBatch, type AttemptRow, type BatchRecord, type JobRow } from './rows.js';

function date(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

function toRecord(row: JobRow): JobRecord {
  return {
    id: String(row.id),
    queue: row.queue,
    key: row.key,
    payload: row.payload,
    status: row.status,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    roundStart: row.round_start,
    timeoutMs: row.timeout_ms,
    runAt: new Date(row.run_at),
    batchId: row.batch_id,
    concurrencyKey: row.concurrency_key ?? null,
    progress: row.progress,
    result: row.result,
    lastError: row.last_error,
    cancelRequested: row.cancel_requested !== 0,
    workerId: row.worker_id,
    leaseToken: row.lease_token,
    leaseExpiresAt: date(row.lease_expires_at),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
  };
}

/** One page, read in one transaction so jobs and their attempts agree. */
export function exportRows(
  conn: Connection,
  params: { afterId: string | null; limit: number },
): StoreRows {
  return conn.db.transaction(() => {
    const jobs = conn
      .prepare<JobRow>(`SELECT * FROM jobs WHERE id > ? ORDER BY id LIMIT ?`)
      .all(Number(params.afterId ?? 0), params.limit);
    if (jobs.length === 0 && params.afterId !== null)
      return { batches: [], jobs: [], attempts: [] };
    const first = jobs[0]?.id ?? 0;
    const last = jobs[jobs.length - 1]?.id ?? 0;
    const attempts = conn
      .prepare<AttemptRow>(
        `SELECT * FROM attempts WHERE job_id BETWEEN ? AND ? ORDER BY job_id, id`,
      )
      .all(first, last);
    const batches =
      params.afterId === null
        ? conn.prepare<BatchRecord>(`SELECT * FROM batches ORDER BY created_at, id`).all()
        : conn
            .prepare<BatchRecord>(
              `SELECT * FROM batches WHERE id IN (SELECT batch_id FROM jobs WHERE id BETWEEN ? AND ?) ORDER BY created_at, id`,
            )
            .all(first, last);
    return {
      batches: batches.map(toBatch),
      jobs: jobs.map(toRecord),
      attempts: attempts.map(toAttempt),
    };
  })();
}

const ms = (value: Date | null): number | null => (value === null ? null : value.getTime());

/** Skips batches and jobs whose ids exist (and those jobs' attempts), so a re-run is a no-op. */
export function importRows(
  conn: Connection,
  rows: StoreRows,
): { batches: number; jobs: number; attempts: number } {
  return conn.immediate(() => {
    let batches = 0;
    for (const batch of rows.batches) {
      batches += conn
        .prepare(
          `INSERT INTO batches (id, name, queue, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
        )
        .run(batch.id, batch.name, batch.queue, batch.createdAt.getTime()).changes;
    }
    const fresh = new Set<string>();
    for (const job of rows.jobs) {
      const changes = conn
        .prepare(
          `INSERT INTO jobs (id, queue, key, payload, status, priority, attempts, max_attempts, round_start, timeout_ms,
             run_at, batch_id, concurrency_key, progress, result, last_error, cancel_requested, worker_id, lease_token,
             lease_expires_at, created_at, updated_at, started_at, finished_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (id) DO NOTHING`,
        )
        .run(
          Number(job.id),
          job.queue,
          job.key,
          job.payload,
          job.status,
          job.priority,
          job.attempts,
          job.maxAttempts,
          job.roundStart,
          job.timeoutMs,
          job.runAt.getTime(),
          job.batchId,
          job.concurrencyKey,
          job.progress,
          job.result,
          job.lastError,
          job.cancelRequested ? 1 : 0,
          job.workerId,
          job.leaseToken,
          ms(job.leaseExpiresAt),
          job.createdAt.getTime(),
          job.updatedAt.getTime(),
          ms(job.startedAt),
          ms(job.finishedAt),
        ).changes;
      if (changes > 0) fresh.add(job.id);
    }
    let attempts = 0;
    for (const attempt of rows.attempts) {
      if (!fresh.has(attempt.jobId)) continue;
      conn
        .prepare(
          `INSERT INTO attempts (job_id, attempt, worker_id, started_at, finished_at, outcome, error, stack) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          Number(attempt.jobId),
          attempt.attempt,
          attempt.workerId,
          attempt.startedAt.getTime(),
          ms(attempt.finishedAt),
          attempt.outcome,
          attempt.error,
          attempt.stack,
        );
      attempts++;
    }
    // AUTOINCREMENT keeps sqlite_sequence at the highest id inserted, so new ids never collide.
    return { batches, jobs: fresh.size, attempts };
  });
}
