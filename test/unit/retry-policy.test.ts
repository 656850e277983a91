import { describe, expect, it } from 'vitest';
import {
  JobCancelledError,
  JobTimeoutError,
  PermanentError,
  RetryAfter,
} from '../../src/errors.js';
import { resolveBackoff } from '../../src/options.js';
import type { ClaimedJob, ExpiredLease } from '../../src/store/store.js';
import {
  backoffDelay,
  endForError,
  endForExpiredLease,
  isExhausted,
} from '../../src/worker/retry-policy.js';

const backoff = resolveBackoff({ min: 1_000, max: 60_000, jitter: 0.5 });

function claimed(attempts: number, maxAttempts = 3, roundStart = 0): ClaimedJob {
  const now = new Date();
  return {
    id: '1',
    queue: 'q',
    key: null,
    payload: {},
    status: 'running',
    priority: 0,
    attempts,
    maxAttempts,
    timeoutMs: null,
    runAt: now,
    batchId: null,
    progress: null,
    result: null,
    lastError: null,
    cancelRequested: false,
    workerId: 'w',
    leaseExpiresAt: now,
    createdAt: now,
    updatedAt: now,
    startedAt: now,
    finishedAt: null,
    leaseToken: 't',
    roundStart,
  };
}

describe('backoffDelay', () => {
  it('doubles from min and caps at max, before jitter', () => {
    const none = () => 0;
    expect([0, 1, 2, 3, 10].map((retry) => backoffDelay(retry, backoff, none))).toEqual([
      1_000, 2_000, 4_000, 8_000, 60_000,
    ]);
  });

  it('adds jitter of at most `jitter` times the delay', () => {
    expect(backoffDelay(2, backoff, () => 0.999_999)).toBe(Math.round(4_000 * 1.5 - 0.002));
    for (let retry = 0; retry < 60; retry++) {
      const delay = backoffDelay(retry, backoff);
      const base = Math.min(60_000, 1_000 * 2 ** retry);
      expect(delay).toBeGreaterThanOrEqual(base);
      expect(delay).toBeLessThanOrEqual(base * 1.5);
    }
  });

  it('never overflows for huge retry counts', () => {
    expect(backoffDelay(10_000, backoff, () => 0)).toBe(60_000);
  });
});

describe('endForError: the state transitions of a failed attempt', () => {
  it('retries an ordinary error with backoff while attempts remain', () => {
    const end = endForError(claimed(1), new Error('boom'), backoff, 0);
    expect(end.status).toBe('retrying');
    expect(end.runAt!.getTime()).toBeGreaterThanOrEqual(1_000);
    expect(end.runAt!.getTime()).toBeLessThanOrEqual(1_500);
    expect(end.error?.message).toBe('Error: boom');
  });

  it('fails once maxAttempts are used', () => {
    expect(endForError(claimed(3), new Error('boom'), backoff).status).toBe('failed');
  });

  it('counts attempts from the start of the current round', () => {
    expect(endForError(claimed(4, 3, 3), new Error('boom'), backoff).status).toBe('retrying');
    expect(isExhausted(claimed(6, 3, 3))).toBe(true);
  });

  it('fails a PermanentError at once', () => {
    expect(endForError(claimed(1), new PermanentError('404'), backoff).status).toBe('failed');
  });

  it('honours RetryAfter', () => {
    const end = endForError(claimed(1), new RetryAfter(42_000), backoff, 1_000);
    expect(end).toMatchObject({ status: 'retrying', runAt: new Date(43_000) });
    expect(new RetryAfter(new Date(Date.now() - 5_000)).delayMs).toBe(0);
  });

  it('treats a timeout like any error and a cancel as cancelled', () => {
    expect(endForError(claimed(1), new JobTimeoutError(10), backoff).status).toBe('retrying');
    expect(endForError(claimed(1), new JobCancelledError(), backoff).status).toBe('cancelled');
  });
});

describe('endForExpiredLease', () => {
  const lease = (attempts: number): ExpiredLease => ({
    jobId: '1',
    token: 't',
    queue: 'q',
    attempts,
    maxAttempts: 2,
    roundStart: 0,
  });

  it('records the attempt as lost, fenced on the lease still being expired', () => {
    const end = endForExpiredLease(lease(1), backoff);
    expect(end).toMatchObject({
      status: 'retrying',
      attemptOutcome: 'lost',
      onlyIfLeaseExpired: true,
    });
    expect(end.error?.message).toMatch(/lease expired/);
  });

  it('fails the job when the lost attempt was its last', () => {
    expect(endForExpiredLease(lease(2), backoff).status).toBe('failed');
  });
});
