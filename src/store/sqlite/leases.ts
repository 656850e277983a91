import { randomBytes } from 'node:crypto';
import type {
  AttemptEnd,
  ClaimedJob,
  ClaimParams,
  EndsAndClaims,
  ExpiredLease,
  Lease,
} from '../store.js';
import type { JobProgress } from '../../types.js';
import type { Connection } from './connection.js';
import { crashPoint } from '../../util/crash-points.js';
import * as flow from './flow.js';
import { isTerminal } from '../../states.js';
import { completeBatches } from './batch-callbacks.js';
import { toClaimedJob, type JobRow } from './rows.js';

// One statement per status so each walks jobs_ready in claim order: equality on (queue, status),
// then priority DESC, id. The repeated IN term lets SQLite use the partial index.
// `LIMIT +?`, not `LIMIT ?`: SQLite (3.53 here) plans with the value bound to a bare LIMIT
// parameter, so every call re-prepared the statement on its first step (227 µs instead of 6 µs
// per ready query on the loaded bench machine). `+?` is an expression: the plan is kept.
// Whole rows: the claim writes them back with its columns set, so no second read per job.
const READY = (status: 'retrying' | 'pending') => `
  SELECT * FROM jobs
  WHERE queue = ? AND status = '${status}' AND status IN ('pending','retrying') AND run_at <= ?
  ORDER BY priority DESC, id
  LIMIT +?`;
export const READY_RETRYING = READY('retrying');
export const READY_PENDING = READY('pending');

// Read, then update without RETURNING: the claimed row is the read row with the claim's columns
// set in JS. `UPDATE ... RETURNING *` cost 190-245 µs per job against 36-73 µs for SELECT + UPDATE
// on the loaded bench machine (bench/NOTES.md). Both run inside the claim's BEGIN IMMEDIATE.
const JOB_BY_ID = `SELECT * FROM jobs WHERE id = ?`;
const CLAIM_ONE = `
  UPDATE jobs SET status = 'running', attempts = attempts + 1, worker_id = ?, lease_token = ?,
    lease_expires_at = ?, started_at = coalesce(started_at, ?), updated_at = ?
  WHERE id = ? AND status IN ('pending','retrying')`;
const INSERT_ATTEMPT = `INSERT INTO attempts (job_id, attempt, worker_id, started_at, outcome) VALUES (?, ?, ?, ?, 'running')`;

interface Candidate {
  row: JobRow;
  rank: number;
}

// A lease token only has to differ from every other attempt's: a random prefix per process and
// a counter are unique across processes and cost nothing, where randomBytes(12) per claim was 11%
// of a no-op drain's CPU (8 µs per job, bench/NOTES.md). Tokens fence writes; they are not secrets.
const TOKEN_PREFIX = randomBytes(9).toString('base64url');
let tokenCounter = 0;

export function newLeaseToken(): string {
  return `${TOKEN_PREFIX}${(tokenCounter++).toString(36)}`;
}

/**
 * Claims in one BEGIN IMMEDIATE transaction: SQLite has one writer at a time, so no other
 * claimer (thread, process) can read the same rows between our read and our write.
 * Per queue, at most `limit` rows are read from each status; the merge keeps claim order
 * across queues: retrying first, then priority DESC, then id.
 */
export function claim(conn: Connection, params: ClaimParams): ClaimedJob[] {
  if (params.limit <= 0 || params.queues.length === 0) return [];
  return conn.immediate(() => claimInTransaction(conn, params));
}

/** finish() and claim() in one BEGIN IMMEDIATE: one commit frees slots and refills them. */
export function finishAndClaim(
  conn: Connection,
  ends: AttemptEnd[],
  params: ClaimParams,
): EndsAndClaims {
  return conn.immediate(() => ({
    applied: finishInTransaction(conn, ends),
    claimed: params.limit > 0 ? claimInTransaction(conn, params) : [],
  }));
}

function claimInTransaction(conn: Connection, params: ClaimParams): ClaimedJob[] {
  const now = Date.now();
  // Paused queues are left out; queues with limits are claimed by flow.ts, counting what runs
  // and what started inside this same transaction, so the limits hold across processes.
  const { plain, limited } = flow.splitQueues(conn, params.queues);
  const candidates: Candidate[] = [];
  for (const queue of plain) {
    const retrying = conn.prepare<JobRow>(READY_RETRYING).all(queue, now, params.limit);
    for (const row of retrying) candidates.push({ row, rank: 0 });
    if (retrying.length >= params.limit) continue;
    for (const row of conn
      .prepare<JobRow>(READY_PENDING)
      .all(queue, now, params.limit - retrying.length)) {
      candidates.push({ row, rank: 1 });
    }
  }
  candidates.sort(
    (a, b) => a.rank - b.rank || b.row.priority - a.row.priority || a.row.id - b.row.id,
  );
  const claimed: ClaimedJob[] = [];
  for (const { row } of candidates.slice(0, params.limit)) {
    const job = claimReadRow(conn, row, params.workerId, params.leaseMs, now);
    if (job) claimed.push(job);
  }
  for (const config of limited) {
    if (claimed.length >= params.limit) break;
    claimed.push(
      ...flow.claimLimited(conn, config, { ...params, limit: params.limit - claimed.length }, now),
    );
  }
  return claimed;
}

/** Claims one ready row (inside the caller's write transaction); null if it is no longer ready. */
export function claimRow(
  conn: Connection,
  id: number,
  workerId: string,
  leaseMs: number,
  now: number,
): ClaimedJob | null {
  const read = conn.prepare<JobRow>(JOB_BY_ID).get(id);
  return read ? claimReadRow(conn, read, workerId, leaseMs, now) : null;
}

/** Claims a row read in this same write transaction; null if it is no longer ready. */
function claimReadRow(
  conn: Connection,
  read: JobRow,
  workerId: string,
  leaseMs: number,
  now: number,
): ClaimedJob | null {
  const token = newLeaseToken();
  const expires = now + leaseMs;
  if (conn.prepare(CLAIM_ONE).run(workerId, token, expires, now, now, read.id).changes !== 1)
    return null;
  const row: JobRow = {
    ...read,
    status: 'running',
    attempts: read.attempts + 1,
    worker_id: workerId,
    lease_token: token,
    lease_expires_at: expires,
    started_at: read.started_at ?? now,
    updated_at: now,
  };
  conn.prepare(INSERT_ATTEMPT).run(row.id, row.attempts, workerId, now);
  return toClaimedJob(row);
}

// Every write of an attempt is fenced: it applies only while the job is running under that
// attempt's token. A worker that lost its lease (rescued, reclaimed) changes nothing.
const RENEW = `
  UPDATE jobs SET lease_expires_at = ?
  WHERE id = ? AND status = 'running' AND lease_token = ?
  RETURNING cancel_requested`;

export function heartbeat(
  conn: Connection,
  params: { leases: Lease[]; leaseMs: number },
): { lost: string[]; cancelRequested: string[] } {
  return conn.immediate(() => {
    const expires = Date.now() + params.leaseMs;
    const lost: string[] = [];
    const cancelRequested: string[] = [];
    for (const lease of params.leases) {
      const row = conn
        .prepare<{ cancel_requested: number }>(RENEW)
        .get(expires, lease.jobId, lease.token);
      if (!row) lost.push(lease.jobId);
      else if (row.cancel_requested) cancelRequested.push(lease.jobId);
    }
    return { lost, cancelRequested };
  });
}

const SAVE_PROGRESS = `
  UPDATE jobs SET progress = ?, updated_at = ?
  WHERE id = ? AND status = 'running' AND lease_token = ?`;

export function saveProgress(
  conn: Connection,
  updates: Array<Lease & { progress: JobProgress }>,
): void {
  if (updates.length === 0) return;
  conn.immediate(() => {
    const now = Date.now();
    for (const update of updates) {
      conn
        .prepare(SAVE_PROGRESS)
        .run(JSON.stringify(update.progress), now, update.jobId, update.token);
    }
  });
}

// A hand-back ('pending') does not count its attempt: attempts goes back down, and the next
// claim records the same attempt number again. Lease fields are cleared as the job leaves running.
const END_ATTEMPT = `
  UPDATE jobs SET
    status = @status,
    attempts = attempts - (CASE WHEN @status = 'pending' THEN 1 ELSE 0 END),
    result = CASE WHEN @status = 'completed' THEN @result ELSE result END,
    last_error = coalesce(@error, last_error),
    run_at = CASE WHEN @status IN ('retrying','pending') THEN @runAt ELSE run_at END,
    finished_at = CASE WHEN @status IN ('completed','failed','cancelled') THEN @now ELSE NULL END,
    started_at = CASE WHEN @release = 1 AND attempts = 1 THEN NULL ELSE started_at END,
    worker_id = NULL, lease_token = NULL, lease_expires_at = NULL, updated_at = @now
  WHERE id = @id AND status = 'running' AND lease_token = @token
    AND (@onlyIfLeaseExpired = 0 OR lease_expires_at < @now)`;
const DROP_ATTEMPT = `
  DELETE FROM attempts
  WHERE id = (SELECT max(id) FROM attempts WHERE job_id = ?) AND outcome = 'running'`;
const CLOSE_ATTEMPT = `
  UPDATE attempts SET finished_at = ?, outcome = ?, error = ?, stack = ?
  WHERE id = (SELECT max(id) FROM attempts WHERE job_id = ?) AND outcome = 'running'`;

export function finish(conn: Connection, ends: AttemptEnd[]): boolean[] {
  if (ends.length === 0) return [];
  return conn.immediate(() => finishInTransaction(conn, ends));
}

function finishInTransaction(conn: Connection, ends: AttemptEnd[]): boolean[] {
  const now = Date.now();
  const finishedIds: string[] = [];
  const applied = ends.map((end) => {
    const { changes } = conn.prepare(END_ATTEMPT).run({
      status: end.status,
      result: end.result ?? null,
      error: end.error?.message ?? null,
      runAt: end.runAt?.getTime() ?? now,
      now,
      id: end.jobId,
      token: end.token,
      onlyIfLeaseExpired: end.onlyIfLeaseExpired ? 1 : 0,
      release: end.release ? 1 : 0,
    });
    if (changes !== 1) return false;
    // batchId null: the worker knows this job is in no batch, so no callback can fire.
    if (isTerminal(end.status) && end.batchId !== null) finishedIds.push(end.jobId);
    crashPoint('during-complete');
    if (end.release) {
      conn.prepare(DROP_ATTEMPT).run(end.jobId);
      return true;
    }
    conn
      .prepare(CLOSE_ATTEMPT)
      .run(
        now,
        end.attemptOutcome,
        end.error?.message ?? null,
        end.error?.stack ?? null,
        end.jobId,
      );
    return true;
  });
  // In the same transaction: the batch's follow-up job exists if and only if its last job's end does.
  completeBatches(conn, finishedIds, now);
  return applied;
}

const EXPIRED = `
  SELECT id, lease_token, queue, attempts, max_attempts, round_start FROM jobs
  WHERE status = 'running' AND lease_expires_at < ?
  ORDER BY lease_expires_at
  LIMIT ?`;

export function findExpiredLeases(conn: Connection, limit: number): ExpiredLease[] {
  const rows = conn
    .prepare<
      Pick<JobRow, 'id' | 'lease_token' | 'queue' | 'attempts' | 'max_attempts' | 'round_start'>
    >(EXPIRED)
    .all(Date.now(), limit);
  return rows.map((row) => ({
    jobId: String(row.id),
    token: row.lease_token!,
    queue: row.queue,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    roundStart: row.round_start,
  }));
}
