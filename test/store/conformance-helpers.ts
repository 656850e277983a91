/** Helpers shared by the store conformance suite's files. Only the Store interface is used. */
import { expect } from 'vitest';
import type { AttemptEnd, ClaimedJob, NewJob, Store } from '../../src/store/store.js';

export interface StoreFixture {
  store: Store;
  openAnother(): Promise<Store>;
  cleanup(): Promise<void>;
}

export type StoreFactory = () => Promise<StoreFixture>;

export interface SuiteContext {
  /** The store under test (fresh per test). */
  store(): Store;
  /** Another connection on the same database, closed after the test. */
  another(): Promise<Store>;
}

export function newJob(overrides: Partial<NewJob> = {}): NewJob {
  return {
    queue: 'q',
    key: null,
    payload: '{"n":1}',
    priority: 0,
    runAt: null,
    maxAttempts: 3,
    timeoutMs: null,
    batchName: null,
    ...overrides,
  };
}

/** Polls `check` until it returns true; fails with `what` after `timeoutMs`. */
export async function waitUntil(
  check: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Waits until the store's clock is past the job's lease (no blind sleep: polls the store's clock). */
export async function waitPastLease(
  store: Store,
  job: { leaseExpiresAt: Date | null },
): Promise<void> {
  const expires = job.leaseExpiresAt!.getTime();
  await waitUntil(async () => (await store.now()).getTime() > expires + 1, 'the lease has expired');
}

export async function enqueueOne(store: Store, overrides: Partial<NewJob> = {}) {
  const [result] = await store.enqueue({ jobs: [newJob(overrides)] });
  return result!;
}

export async function claimOne(
  store: Store,
  leaseMs = 30_000,
  queue = 'q',
  workerId = 'w1',
): Promise<ClaimedJob> {
  const [job] = await store.claim({ queues: [queue], limit: 1, workerId, leaseMs });
  expect(job, 'a job to claim').toBeDefined();
  return job!;
}

export function end(job: ClaimedJob, overrides: Partial<AttemptEnd> = {}): AttemptEnd {
  return {
    jobId: job.id,
    token: job.leaseToken,
    status: 'completed',
    attemptOutcome: 'completed',
    result: 'null',
    ...overrides,
  };
}
