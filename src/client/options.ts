import type { StoreOptions } from '../store/open.js';
import type { Store } from '../store/store.js';
import type { JobStatus } from '../types.js';

export interface OpenOptions extends StoreOptions {
  /** SQLite path or postgres:// URL. Default: HOLDFAST_DB, else `./.holdfast/queue.db`. */
  db?: string;
  /** Largest payload or result in JSON bytes. Default 1 MiB. */
  maxPayloadBytes?: number;
  /** Use an already open store instead of `db` (tests, embedding). */
  store?: Store;
}

export interface EnqueueOptions {
  /** Idempotency key: while a job with this key is active in the queue (or in the same batch), that job is returned. */
  key?: string;
  /** Higher runs first. Default 0. */
  priority?: number;
  /** Run after this long (ms or duration string). */
  delay?: number | string;
  /** Run at this time. */
  runAt?: Date;
  /** Default 5. */
  maxAttempts?: number;
  /** Timeout of one attempt (ms or duration string); none by default. */
  timeout?: number | string;
  /** Batch name: jobs enqueued together share a batch. */
  batch?: string;
  /** Flow-control key (e.g. the source host): the queue's per-key concurrency and rate limits count jobs by it. Default: none. */
  concurrencyKey?: string;
  /**
   * Transactional enqueue (PostgreSQL): your own `pg` client, inside your transaction. The job
   * exists if and only if your transaction commits. Events and wake-ups come from the commit
   * (NOTIFY), not from this call.
   */
  connection?: unknown;
}

export interface EnqueueManyOptions {
  /** As `EnqueueOptions.connection`: every item is written in your transaction. */
  connection?: unknown;
}

export interface EnqueueItem<P = unknown> {
  queue: string;
  payload: P;
  options?: EnqueueOptions;
}

export interface ListOptions {
  queue?: string;
  status?: JobStatus;
  /** Batch id or name. */
  batch?: string;
  key?: string;
  /** Cursor from a previous page. */
  after?: string;
  /** Default 50, at most 1,000. */
  limit?: number;
  /** `asc` is enqueue order (default); `desc` newest first. */
  order?: 'asc' | 'desc';
}
