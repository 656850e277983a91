/**
 * The Store: the one seam between holdfast's logic and a database.
 *
 * A Store only stores and claims. States, retry decisions and ordering rules are decided
 * by the client and the worker; a Store applies the transitions it is handed, each in one
 * transaction, and every write of an attempt is fenced by that attempt's lease token.
 * SQL lives only inside each driver's folder. Differences between backends are the
 * capability flags below, never `if (sqlite)` elsewhere.
 */
import type {
  Attempt,
  AttemptOutcome,
  Batch,
  EnqueueResult,
  Job,
  JobProgress,
  JobStatus,
} from '../types.js';
import type {
  BatchCallback,
  NewSchedule,
  QueueConfig,
  QueueConfigChanges,
  Schedule,
} from './flow.js';

export interface StoreCapabilities {
  /** Other processes' enqueues are pushed to `listen` (PostgreSQL LISTEN/NOTIFY). */
  readonly listenNotify: boolean;
  /** `changeToken` is cheap enough to poll every few ms (SQLite `PRAGMA data_version`). */
  readonly changeToken: boolean;
  /** Claims skip rows locked by other claimers instead of queueing behind one write lock. */
  readonly skipLocked: boolean;
  /** `enqueue` accepts the caller's own connection (transactional enqueue). Absent means false. */
  readonly externalConnection?: boolean;
}

/** A job to insert. The client has validated everything and serialised the payload. */
export interface NewJob {
  queue: string;
  key: string | null;
  /** JSON text. */
  payload: string;
  priority: number;
  /** Due time; null means now by the store's clock. */
  runAt: Date | null;
  maxAttempts: number;
  timeoutMs: number | null;
  /** Batch by name; created on first use (its queue is this job's queue). */
  batchName: string | null;
  /** Flow-control key: per-key concurrency and rate limits of the queue count jobs by it. Absent: null. */
  concurrencyKey?: string | null;
}

/** A claimed job with the token that fences every later write of this attempt. */
export interface ClaimedJob extends Job {
  leaseToken: string;
  /** Attempts made before the current round (a manual retry starts a new round of maxAttempts). */
  roundStart: number;
}

export interface ClaimParams {
  queues: string[];
  limit: number;
  workerId: string;
  leaseMs: number;
}

/** What `finishAndClaim` returns: per end whether it applied (fencing), and the jobs claimed. */
export interface EndsAndClaims {
  applied: boolean[];
  claimed: ClaimedJob[];
}

export interface Lease {
  jobId: string;
  token: string;
}

/**
 * The end of one attempt, decided by the worker (or the rescuer):
 * - `completed` / `failed` / `cancelled`: terminal.
 * - `retrying`: due again at `runAt`.
 * - `pending`: handed back on shutdown; the attempt is not counted (`attempts` goes back down).
 */
export interface AttemptEnd extends Lease {
  status: 'completed' | 'failed' | 'cancelled' | 'retrying' | 'pending';
  /** What the attempt history records. */
  attemptOutcome: Exclude<AttemptOutcome, 'running'>;
  runAt?: Date;
  /** JSON text of the result (completed only). */
  result?: string;
  error?: { message: string; stack: string | null };
  /** Rescuer: apply only if the lease has expired by the store's clock (a heartbeat may have renewed it). */
  onlyIfLeaseExpired?: boolean;
  /**
   * The attempt never started (a prefetched job handed back on shutdown; status 'pending'): its
   * attempt record is removed instead of closed, so the history shows only attempts that ran.
   */
  release?: boolean;
  /**
   * The job's batch, when the caller knows it: null tells the store no batch can complete by this
   * end, so it may skip the batch-callback check (PostgreSQL then needs no transaction). Absent: unknown.
   */
  batchId?: string | null;
}

export interface JobFilter {
  queue?: string;
  status?: JobStatus;
  batchId?: string;
  key?: string;
}

export interface ListJobsParams extends JobFilter {
  /** Id to continue after (exclusive), in the chosen order. */
  after?: string;
  limit: number;
  order?: 'asc' | 'desc';
}

export interface ExpiredLease extends Lease {
  queue: string;
  attempts: number;
  maxAttempts: number;
  /** Attempts made before the current round (see `retry`): exhausted when attempts - roundStart >= maxAttempts. */
  roundStart: number;
}

export interface QueueStatusCount {
  queue: string;
  status: JobStatus;
  count: number;
}

export interface BatchRow extends Batch {
  counts: Partial<Record<JobStatus, number>>;
  firstStartedAt: Date | null;
  lastFinishedAt: Date | null;
}

export interface ThroughputBucket {
  /** Start of the bucket. */
  at: Date;
  completed: number;
  failed: number;
}

/**
 * A job exactly as stored, for moving a queue from one store to another (`migrate-store`).
 * Payload, result and progress stay JSON text so they are copied byte for byte.
 */
export interface JobRecord {
  id: string;
  queue: string;
  key: string | null;
  payload: string;
  status: JobStatus;
  priority: number;
  attempts: number;
  maxAttempts: number;
  roundStart: number;
  timeoutMs: number | null;
  runAt: Date;
  batchId: string | null;
  concurrencyKey: string | null;
  progress: string | null;
  result: string | null;
  lastError: string | null;
  cancelRequested: boolean;
  workerId: string | null;
  leaseToken: string | null;
  leaseExpiresAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

/** One page of a store's contents: jobs in id order, their attempts (in order), and batches. */
export interface StoreRows {
  batches: Batch[];
  jobs: JobRecord[];
  attempts: Attempt[];
}

export type {
  BatchCallback,
  CatchUp,
  NewSchedule,
  QueueConfig,
  QueueConfigChanges,
  RateLimit,
  Schedule,
} from './flow.js';

export interface Store {
  readonly capabilities: StoreCapabilities;
  /** A short description for messages, e.g. `sqlite:/path/queue.db`. */
  readonly description: string;

  /** The store's clock: leases and due times are measured by it. */
  now(): Promise<Date>;

  /**
   * `connection`: the caller's own database connection, inside the caller's transaction, so the
   * jobs exist if and only if it commits (capability `externalConnection`; PostgreSQL: a `pg` client).
   */
  enqueue(params: { jobs: NewJob[]; connection?: unknown }): Promise<EnqueueResult[]>;
  /**
   * Inserts every chunk in ONE transaction (all or nothing). If the iterable throws, nothing
   * is kept and the error is rethrown. Key rule as in `enqueue`.
   */
  enqueueStream(params: {
    chunks: AsyncIterable<NewJob[]>;
  }): Promise<{ inserted: number; existing: number }>;

  getJob(id: string): Promise<Job | null>;
  listJobs(params: ListJobsParams): Promise<Job[]>;
  listAttempts(jobId: string): Promise<Attempt[]>;
  getBatch(idOrName: string): Promise<Batch | null>;

  /** Claims up to `limit` ready jobs: retrying before pending, then priority (higher first), then FIFO. */
  claim(params: ClaimParams): Promise<ClaimedJob[]>;
  /**
   * Renews the leases still held; returns the ones that were lost (not running under that
   * token any more) and the ones whose cancel was requested.
   */
  heartbeat(params: {
    leases: Lease[];
    leaseMs: number;
  }): Promise<{ lost: string[]; cancelRequested: string[] }>;
  saveProgress(params: { updates: Array<Lease & { progress: JobProgress }> }): Promise<void>;
  /** Applies attempt ends in one transaction; returns, per end, whether it applied (fencing). */
  finish(params: { ends: AttemptEnd[] }): Promise<boolean[]>;
  /**
   * `finish` then `claim`, committed together: a busy worker frees slots and refills them with ONE
   * commit instead of two (on PostgreSQL, one statement). The claim may not see the ends of the
   * same call (PostgreSQL reads one snapshot): a job an end made due again is claimed by a later
   * claim; queues with limits are claimed after the ends, so a limit an end lifted is lifted.
   * Not retried by the store once sent: on an error the caller retries the ends alone (they are
   * fenced); jobs claimed by a lost reply come back when their lease expires.
   */
  finishAndClaim?(params: { ends: AttemptEnd[]; claim: ClaimParams }): Promise<EndsAndClaims>;
  findExpiredLeases(params: { limit: number }): Promise<ExpiredLease[]>;

  /** Pending/retrying jobs become cancelled at once; running ones get `cancelRequested`. */
  cancel(params: {
    jobId?: string;
    batchId?: string;
  }): Promise<{ cancelled: string[]; requested: string[] }>;
  /**
   * Failed or cancelled jobs (one, or all failed of a queue/batch) go back to pending, due now,
   * starting a new round of `maxAttempts`. A job whose key now has another active job is skipped.
   */
  retry(params: {
    jobId?: string;
    queue?: string;
    batchId?: string;
  }): Promise<{ retried: string[]; skipped: string[] }>;
  /** Deletes terminal jobs (and their attempts) that finished before `finishedBefore`. */
  purge(params: { finishedBefore: Date; statuses: JobStatus[] }): Promise<number>;

  countByQueueAndStatus(): Promise<QueueStatusCount[]>;
  /**
   * Whether any of these queues holds a pending, running or retrying job. An indexed existence
   * check, so `exitWhenEmpty` stays cheap however many finished jobs the table keeps.
   */
  hasActiveJobs(params: { queues: string[] }): Promise<boolean>;
  /** Earliest due time (run_at) of the ready (due pending/retrying) jobs, per queue: how long the oldest has waited. */
  oldestWaiting(): Promise<Array<{ queue: string; since: Date }>>;
  listBatches(params: { batchId?: string }): Promise<BatchRow[]>;
  throughput(params: {
    since: Date;
    bucketMs: number;
    queue?: string;
  }): Promise<ThroughputBucket[]>;
  /** Distinct worker ids that started an attempt since the given time. */
  workersSeen(params: { since: Date }): Promise<Array<{ workerId: string; lastSeen: Date }>>;

  /**
   * Jobs with id above `afterId` (null: from the start), at most `limit`, in id order, with their
   * attempts and the batches they name; the first page (afterId null) carries every batch.
   */
  exportRows?(params: { afterId: string | null; limit: number }): Promise<StoreRows>;
  /**
   * Inserts, in one transaction, the batches and jobs whose ids are not there yet (a job's
   * attempts come with it; existing ones are skipped, so a re-run is a no-op), then moves the
   * id sequence past the highest id. Returns what was inserted.
   */
  importRows?(rows: StoreRows): Promise<{ batches: number; jobs: number; attempts: number }>;

  // ---- Flow control (issue #8). Optional so other Store implementations keep compiling; both
  // drivers implement them. Limits live in the store, so every worker obeys the same ones, and
  // `claim` enforces them (pause, per-key concurrency, rates) inside its own transaction.

  /** Stored settings of every queue that has any (queues never configured have none). */
  listQueueConfigs?(): Promise<QueueConfig[]>;
  /** Creates or updates a queue's settings; fields absent from `changes` keep their value. */
  setQueueConfig?(params: { queue: string; changes: QueueConfigChanges }): Promise<QueueConfig>;
  /** Jobs running now per concurrency key of a queue (keys with none running are left out). */
  runningByKey?(params: { queue: string }): Promise<Array<{ key: string; running: number }>>;

  /**
   * Stores a batch's completion callback (the batch must exist). When every job of the batch is
   * terminal, the store enqueues ONE job to `callback.queue` in the transaction that made the last
   * one terminal, payload `{ batch: {id, name}, counts, payload }`. If the batch is already
   * complete, the job is enqueued now. Returns the follow-up job's id once fired, else null.
   */
  setBatchCallback?(params: {
    batchId: string;
    callback: BatchCallback;
  }): Promise<{ firedJobId: string | null }>;

  upsertSchedule?(schedule: NewSchedule): Promise<Schedule>;
  listSchedules?(): Promise<Schedule[]>;
  removeSchedule?(name: string): Promise<boolean>;
  /**
   * Records `tick` as the schedule's last tick and, if `job` is given, enqueues it: both only if
   * the schedule's last tick is before `tick` (compare-and-set in one transaction), so however
   * many schedulers race, one wins each tick. Returns the job when this call fired it.
   */
  fireSchedule?(params: {
    name: string;
    tick: Date;
    job: NewJob | null;
  }): Promise<{ fired: boolean; job: Job | null }>;

  /** Changes whenever another connection commits (capability `changeToken`). */
  changeToken?(): number;
  /** Calls `onJobsAvailable(queue)` when any process enqueues (capability `listenNotify`). Returns an unsubscribe. */
  listen?(onJobsAvailable: (queue: string) => void): Promise<() => Promise<void>>;

  close(): Promise<void>;
}
