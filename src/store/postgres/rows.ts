/**
 * The one place where PostgreSQL rows become holdfast objects. `pg` returns bigint ids as
 * strings (what Job.id is) and timestamptz as Date; a caller's own client (transactional
 * enqueue) may parse types differently, so both forms are accepted.
 */
import type { Attempt, AttemptOutcome, Batch, Job, JobStatus } from '../../types.js';
import type { ClaimedJob } from '../store.js';

export type Row = Record<string, unknown>;

export function toDate(value: unknown): Date {
  return value instanceof Date ? value : new Date(value as string);
}

function toDateOrNull(value: unknown): Date | null {
  return value === null || value === undefined ? null : toDate(value);
}

function toIdOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function parseJson(text: unknown): unknown {
  return text === null || text === undefined ? null : JSON.parse(text as string);
}

export function toJob(row: Row): Job {
  return {
    id: String(row.id),
    queue: row.queue as string,
    key: (row.key as string | null) ?? null,
    payload: parseJson(row.payload),
    status: row.status as JobStatus,
    priority: Number(row.priority),
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    timeoutMs: row.timeout_ms === null ? null : Number(row.timeout_ms),
    runAt: toDate(row.run_at),
    batchId: toIdOrNull(row.batch_id),
    concurrencyKey: (row.concurrency_key as string | null | undefined) ?? null,
    progress: parseJson(row.progress) as Job['progress'],
    result: parseJson(row.result),
    lastError: (row.last_error as string | null) ?? null,
    cancelRequested: Boolean(row.cancel_requested),
    workerId: (row.worker_id as string | null) ?? null,
    leaseExpiresAt: toDateOrNull(row.lease_expires_at),
    createdAt: toDate(row.created_at),
    updatedAt: toDate(row.updated_at),
    startedAt: toDateOrNull(row.started_at),
    finishedAt: toDateOrNull(row.finished_at),
  };
}

export function toClaimedJob(row: Row): ClaimedJob {
  return {
    ...toJob(row),
    leaseToken: row.lease_token as string,
    roundStart: Number(row.round_start),
  };
}

export function toAttempt(row: Row): Attempt {
  return {
    jobId: String(row.job_id),
    attempt: Number(row.attempt),
    workerId: row.worker_id as string,
    startedAt: toDate(row.started_at),
    finishedAt: toDateOrNull(row.finished_at),
    outcome: row.outcome as AttemptOutcome,
    error: (row.error as string | null) ?? null,
    stack: (row.stack as string | null) ?? null,
  };
}

export function toBatch(row: Row): Batch {
  return {
    id: String(row.id),
    name: row.name as string,
    queue: row.queue as string,
    createdAt: toDate(row.created_at),
  };
}
