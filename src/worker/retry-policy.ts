import { JobCancelledError, PermanentError, RetryAfter } from '../errors.js';
import type { ResolvedBackoff } from '../options.js';
import type { AttemptEnd, ClaimedJob, ExpiredLease } from '../store/store.js';

/**
 * Backoff before retry number `retry` (0-based): min(max, min * 2^retry), plus a random
 * extra of up to `jitter` times that, so that jobs failing together do not retry together.
 */
export function backoffDelay(
  retry: number,
  backoff: ResolvedBackoff,
  random: () => number = Math.random,
): number {
  const base = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(retry, 52));
  return Math.round(base + base * backoff.jitter * random());
}

/** Attempts used in the current round (a manual retry starts a new round). */
function attemptsUsed(job: Pick<ClaimedJob, 'attempts' | 'roundStart'>): number {
  return job.attempts - job.roundStart;
}

export function isExhausted(
  job: Pick<ClaimedJob, 'attempts' | 'roundStart' | 'maxAttempts'>,
): boolean {
  return attemptsUsed(job) >= job.maxAttempts;
}

export function errorFields(error: Error): { message: string; stack: string | null } {
  return { message: `${error.name}: ${error.message}`, stack: error.stack ?? null };
}

/**
 * What happens to a job whose attempt threw: the one place where retry decisions are made.
 * - cancelled while running: `cancelled`;
 * - PermanentError, or no attempts left: `failed`;
 * - RetryAfter: `retrying` at the time it names;
 * - anything else (JobTimeoutError included): `retrying` after backoff.
 */
export function endForError(
  job: ClaimedJob,
  error: Error,
  backoff: ResolvedBackoff,
  now = Date.now(),
): AttemptEnd {
  const lease = { jobId: job.id, token: job.leaseToken, batchId: job.batchId };
  if (error instanceof JobCancelledError) {
    return {
      ...lease,
      status: 'cancelled',
      attemptOutcome: 'cancelled',
      error: errorFields(error),
    };
  }
  if (error instanceof PermanentError || isExhausted(job)) {
    return { ...lease, status: 'failed', attemptOutcome: 'failed', error: errorFields(error) };
  }
  const delayMs =
    error instanceof RetryAfter ? error.delayMs : backoffDelay(attemptsUsed(job) - 1, backoff);
  return {
    ...lease,
    status: 'retrying',
    attemptOutcome: 'retrying',
    runAt: new Date(now + delayMs),
    error: errorFields(error),
  };
}

/** The rescuer's write for a job whose worker stopped renewing its lease: the attempt counts as lost. */
export function endForExpiredLease(
  lease: ExpiredLease,
  backoff: ResolvedBackoff,
  now = Date.now(),
): AttemptEnd {
  const error = {
    message: `lease expired: the worker stopped renewing it (attempt ${lease.attempts} lost)`,
    stack: null,
  };
  const base = {
    jobId: lease.jobId,
    token: lease.token,
    attemptOutcome: 'lost' as const,
    error,
    onlyIfLeaseExpired: true,
  };
  if (isExhausted(lease)) return { ...base, status: 'failed' };
  return {
    ...base,
    status: 'retrying',
    runAt: new Date(now + backoffDelay(lease.attempts - lease.roundStart - 1, backoff)),
  };
}
