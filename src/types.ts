/** Job states. Terminal: completed, failed, cancelled. */
export type JobStatus = 'pending' | 'running' | 'retrying' | 'completed' | 'failed' | 'cancelled';

/** The latest progress a handler reported. */
export interface JobProgress {
  current: number;
  total: number;
  message?: string;
}

/** A JSON value: what payloads and results are made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A job as stored. Dates are JS Dates; ids are decimal strings. */
export interface Job<P = unknown, R = unknown> {
  id: string;
  queue: string;
  /** Idempotency key (the pipeline uses the address); null when none was given. */
  key: string | null;
  payload: P;
  status: JobStatus;
  priority: number;
  /** Attempts started so far, lost and failed ones included (1-based once claimed). */
  attempts: number;
  maxAttempts: number;
  /** Timeout of one attempt in ms, or null for none. */
  timeoutMs: number | null;
  /** When the job is (or was) due. */
  runAt: Date;
  batchId: string | null;
  /** Flow-control key (e.g. the source host): the queue's per-key limits count jobs by it; null when none. */
  concurrencyKey?: string | null;
  progress: JobProgress | null;
  result: R | null;
  /** Message of the last error, if any attempt failed. */
  lastError: string | null;
  /** A cancel was asked for while the job was running; the worker aborts its signal. */
  cancelRequested: boolean;
  /** Worker holding the current lease (running jobs only). */
  workerId: string | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  /** Start of the first attempt. */
  startedAt: Date | null;
  /** When the job became terminal. */
  finishedAt: Date | null;
}

/** How one attempt ended. `lost`: its lease expired (the worker died or stalled). */
export type AttemptOutcome =
  'running' | 'completed' | 'failed' | 'retrying' | 'cancelled' | 'lost' | 'interrupted';

/** One attempt of a job: kept so that a failure can be understood after the fact. */
export interface Attempt {
  jobId: string;
  /** 1-based attempt number. */
  attempt: number;
  workerId: string;
  startedAt: Date;
  finishedAt: Date | null;
  outcome: AttemptOutcome;
  error: string | null;
  stack: string | null;
}

export interface Batch {
  id: string;
  name: string;
  queue: string;
  createdAt: Date;
}

export type StatusCounts = Record<JobStatus, number>;

export interface BatchStats extends Batch {
  counts: StatusCounts;
  total: number;
  /** Jobs finished (completed + failed + cancelled) per second since the batch's first start; null before there is one. */
  ratePerSecond: number | null;
  /** Estimated time until every job of the batch is terminal, in ms; null when unknown. */
  etaMs: number | null;
  firstStartedAt: Date | null;
  lastFinishedAt: Date | null;
}

export interface QueueStats {
  counts: StatusCounts;
  /** Age in ms of the oldest ready job (pending or retrying, due), or null. */
  oldestWaitingMs: number | null;
}

export interface Stats {
  queues: Record<string, QueueStats>;
  batches: BatchStats[];
}

/** What `enqueue` returns: the job, and whether an existing one was returned for its key. */
export interface EnqueueResult<P = unknown> {
  job: Job<P>;
  existing: boolean;
}

export interface Page<T> {
  items: T[];
  /** Pass as `after` to get the next page; null on the last page. */
  nextCursor: string | null;
}

/** What a handler sees of its job. */
export interface JobInfo<P = unknown> {
  id: string;
  queue: string;
  key: string | null;
  payload: P;
  /** 1-based number of this attempt. */
  attempt: number;
  maxAttempts: number;
  batchId: string | null;
  priority: number;
  createdAt: Date;
}

export interface JobLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** The second argument of a handler. */
export interface JobContext {
  /** Aborts on the job's timeout, on cancel (from any process), on lease loss and on shutdown. */
  signal: AbortSignal;
  /** Reports progress; writes are throttled, the latest value always lands. */
  progress(current: number, total: number, message?: string): void;
  logger: JobLogger;
  workerId: string;
}

/** A job handler: its resolved value is stored as the job's JSON result. */
export type JobHandler<P = any, R = unknown> = (job: JobInfo<P>, ctx: JobContext) => Promise<R> | R; // eslint-disable-line @typescript-eslint/no-explicit-any
