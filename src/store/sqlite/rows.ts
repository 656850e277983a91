import type { ClaimedJob } from '../store.js';
import type { Attempt, AttemptOutcome, Batch, Job, JobStatus } from '../../types.js';

/** A jobs row as SQLite returns it. */
export interface JobRow {
  id: number;
  queue: string;
  key: string | null;
  payload: string;
  status: JobStatus;
  priority: number;
  attempts: number;
  max_attempts: number;
  round_start: number;
  timeout_ms: number | null;
  run_at: number;
  batch_id: string | null;
  progress: string | null;
  result: string | null;
  last_error: string | null;
  cancel_requested: number;
  worker_id: string | null;
  lease_token: string | null;
  lease_expires_at: number | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
  concurrency_key: string | null;
}

export interface AttemptRow {
  job_id: number;
  attempt: number;
  worker_id: string;
  started_at: number;
  finished_at: number | null;
  outcome: AttemptOutcome;
  error: string | null;
  stack: string | null;
}

export interface BatchRecord {
  id: string;
  name: string;
  queue: string;
  created_at: number;
}

function date(ms: number): Date;
function date(ms: number | null): Date | null;
function date(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

function parse(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}

/** The one place a row becomes a Job. */
export function toJob(row: JobRow): Job {
  return {
    id: String(row.id),
    queue: row.queue,
    key: row.key,
    payload: parse(row.payload),
    status: row.status,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    timeoutMs: row.timeout_ms,
    runAt: date(row.run_at),
    batchId: row.batch_id,
    concurrencyKey: row.concurrency_key ?? null,
    progress: parse(row.progress) as Job['progress'],
    result: parse(row.result),
    lastError: row.last_error,
    cancelRequested: row.cancel_requested !== 0,
    workerId: row.worker_id,
    leaseExpiresAt: date(row.lease_expires_at),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
  };
}

export function toClaimedJob(row: JobRow): ClaimedJob {
  return { ...toJob(row), leaseToken: row.lease_token!, roundStart: row.round_start };
}

export function toAttempt(row: AttemptRow): Attempt {
  return {
    jobId: String(row.job_id),
    attempt: row.attempt,
    workerId: row.worker_id,
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
    outcome: row.outcome,
    error: row.error,
    stack: row.stack,
  };
}

export function toBatch(row: BatchRecord): Batch {
  return { id: row.id, name: row.name, queue: row.queue, createdAt: date(row.created_at) };
}
