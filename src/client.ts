/**
 * JobQueue: the client. Enqueue, inspect and steer jobs; start workers with `work`.
 * The CLI and the dashboard use only this API.
 */
import { JobNotFoundError, ValidationError } from './errors.js';
import { TypedEmitter, type QueueEvents } from './events.js';
import { DEFAULTS, assertDate, assertInteger, assertName, describe } from './options.js';
import { openStore } from './store/open.js';
import type { NewJob, Store, ThroughputBucket } from './store/store.js';
import type {
  Attempt,
  BatchStats,
  EnqueueResult,
  Job,
  JobHandler,
  JobStatus,
  Page,
  Stats,
} from './types.js';
import { queueStatsFrom, withRateAndEta } from './client/stats.js';
import { assertId } from './client/ids.js';
import { listParams, purgeParams, retryOutcome } from './client/params.js';
import { newJobChunks, toNewJob } from './client/new-job.js';
import type {
  EnqueueItem,
  EnqueueManyOptions,
  EnqueueOptions,
  ListOptions,
  OpenOptions,
} from './client/options.js';
import { JobExecutor, type WorkOptions } from './worker/job-executor.js';
import {
  batchCallback,
  configureQueue,
  queueConfig,
  queueConfigs,
  runningByKey,
  toChanges,
  type BatchCompleteOptions,
  type QueueLimits,
} from './flow/limits.js';
import { Schedules } from './flow/schedules.js';
import type { QueueConfig } from './store/store.js';

export { assertId, newWorkerId } from './client/ids.js';

export type {
  EnqueueItem,
  EnqueueManyOptions,
  EnqueueOptions,
  ListOptions,
  OpenOptions,
} from './client/options.js';

export class JobQueue extends TypedEmitter<QueueEvents> {
  readonly #executors = new Set<JobExecutor>();
  #closed = false;

  private constructor(
    readonly store: Store,
    readonly maxPayloadBytes: number,
  ) {
    super();
  }

  /** Opens (and migrates) the store named by `db`, HOLDFAST_DB, or the default SQLite file. */
  static async open(options: OpenOptions = {}): Promise<JobQueue> {
    const maxPayloadBytes =
      options.maxPayloadBytes === undefined
        ? DEFAULTS.maxPayloadBytes
        : assertInteger(options.maxPayloadBytes, 'maxPayloadBytes', 1);
    const store =
      options.store ??
      (await openStore(options.db ?? process.env.HOLDFAST_DB ?? DEFAULTS.db, options));
    return new JobQueue(store, maxPayloadBytes);
  }

  async enqueue<P>(
    queue: string,
    payload: P,
    options: EnqueueOptions = {},
  ): Promise<EnqueueResult<P>> {
    const connection = options?.connection;
    if (connection !== undefined) {
      const [result] = await this.enqueueMany([{ queue, payload, options }], { connection });
      return result as EnqueueResult<P>;
    }
    // Straight to the store: enqueueMany's chunking costs more than one insert.
    const results = await this.store.enqueue({ jobs: [this.toNewJob(queue, payload, options)] });
    this.#announce(results);
    return results[0] as EnqueueResult<P>;
  }

  /** Enqueues several jobs in one transaction: all or none. */
  async enqueueMany(
    items: EnqueueItem[],
    options: EnqueueManyOptions = {},
  ): Promise<EnqueueResult[]> {
    if (!Array.isArray(items))
      throw new ValidationError(`Expected \`items\` to be an array, got ${describe(items)}`);
    const jobs = items.map((item, index) =>
      this.toNewJob(
        item.queue,
        item.payload,
        item.options ?? {},
        items.length > 1 ? `items[${index}].` : '',
      ),
    );
    if (jobs.length === 0) return [];
    if (options.connection !== undefined) {
      if (!this.store.capabilities.externalConnection) {
        throw new ValidationError(
          `\`connection\` (transactional enqueue) needs a store that supports it, such as PostgreSQL; ${this.store.description} does not`,
        );
      }
      // Not announced: the jobs do not exist until the caller commits (and may never).
      return this.store.enqueue({ jobs, connection: options.connection });
    }
    const results = await this.store.enqueue({ jobs });
    this.#announce(results);
    return results;
  }

  /**
   * Enqueues a stream of jobs (a CSV import) in one transaction. If the source throws, nothing is
   * enqueued. Memory stays bounded: jobs go to the store in chunks.
   */
  async enqueueStream(
    items: AsyncIterable<EnqueueItem>,
  ): Promise<{ inserted: number; existing: number }> {
    const chunks = newJobChunks(items, DEFAULTS.streamChunkSize, (item) =>
      this.toNewJob(item.queue, item.payload, item.options ?? {}),
    );
    const counts = await this.store.enqueueStream({ chunks });
    if (counts.inserted > 0) this.#wakeExecutors();
    return counts;
  }

  /** Validates and serialises one job; `prefix` locates it in a list for error messages. */
  toNewJob(queue: string, payload: unknown, options: EnqueueOptions, prefix = ''): NewJob {
    return toNewJob(queue, payload, options, this.maxPayloadBytes, prefix);
  }

  #announce(results: EnqueueResult[]): void {
    let fresh = false;
    for (const { job, existing } of results) {
      if (existing) continue;
      fresh = true;
      this.emit('enqueued', job);
    }
    if (fresh) this.#wakeExecutors();
  }

  /** In-process wake-up: local workers claim at once instead of at their next poll. */
  #wakeExecutors(): void {
    for (const executor of this.#executors) executor.wake();
  }

  async get(id: string): Promise<Job | null> {
    return this.store.getJob(assertId(id));
  }

  /** Like `get`, but throws JobNotFoundError. */
  async getOrThrow(id: string): Promise<Job> {
    const job = await this.get(id);
    if (!job) throw new JobNotFoundError(id);
    return job;
  }

  async attempts(id: string): Promise<Attempt[]> {
    return this.store.listAttempts(assertId(id));
  }

  async list(options: ListOptions = {}): Promise<Page<Job>> {
    const { limit, params } = listParams(options);
    if (options.batch !== undefined) params.batchId = await this.#batchId(options.batch);
    const items = await this.store.listJobs({ ...params, limit: limit + 1 });
    const more = items.length > limit;
    if (more) items.pop();
    return { items, nextCursor: more ? items[items.length - 1]!.id : null };
  }

  /** Yields every job matching the filter, page by page. */
  async *listAll(options: Omit<ListOptions, 'after'> = {}): AsyncGenerator<Job> {
    let after: string | undefined;
    do {
      const page = await this.list({
        ...options,
        limit: options.limit ?? 500,
        ...(after ? { after } : {}),
      });
      yield* page.items;
      after = page.nextCursor ?? undefined;
    } while (after);
  }

  async #batchId(idOrName: string): Promise<string> {
    assertName(idOrName, 'batch');
    const batch = await this.store.getBatch(idOrName);
    if (!batch) throw new ValidationError(`No batch with id or name ${JSON.stringify(idOrName)}`);
    return batch.id;
  }

  /**
   * Cancels a job: a waiting one at once; a running one through its signal (in this process at
   * once, in others at their next heartbeat). Returns the job as it now is.
   */
  async cancel(id: string): Promise<{ job: Job; cancelled: boolean; requested: boolean }> {
    const jobId = assertId(id);
    const outcome = await this.store.cancel({ jobId });
    const job = await this.getOrThrow(jobId);
    if (outcome.cancelled.length > 0) this.emit('cancelled', job);
    for (const executor of this.#executors) executor.cancelLocal(outcome.requested);
    return {
      job,
      cancelled: outcome.cancelled.length > 0,
      requested: outcome.requested.length > 0,
    };
  }

  /** Cancels every non-terminal job of a batch (id or name). */
  async cancelBatch(batch: string): Promise<{ cancelled: number; requested: number }> {
    const outcome = await this.store.cancel({ batchId: await this.#batchId(batch) });
    for (const executor of this.#executors) executor.cancelLocal(outcome.requested);
    return { cancelled: outcome.cancelled.length, requested: outcome.requested.length };
  }

  /**
   * Retries a failed or cancelled job: it becomes pending with a new round of maxAttempts.
   * Retrying a job that is not failed or cancelled changes nothing (so a double click makes one attempt).
   */
  async retry(id: string): Promise<{ job: Job; retried: boolean; reason?: string }> {
    const jobId = assertId(id);
    const outcome = await this.store.retry({ jobId });
    const job = await this.getOrThrow(jobId);
    if (outcome.retried.length > 0) this.#wakeExecutors();
    return retryOutcome(job, outcome);
  }

  /** Retries every failed job of a queue and/or batch. */
  async retryFailed(filter: {
    queue?: string;
    batch?: string;
  }): Promise<{ retried: number; skipped: number }> {
    if (filter.queue === undefined && filter.batch === undefined) {
      throw new ValidationError('Give a `queue` or a `batch` whose failed jobs to retry');
    }
    const outcome = await this.store.retry({
      ...(filter.queue !== undefined ? { queue: assertName(filter.queue, 'queue') } : {}),
      ...(filter.batch !== undefined ? { batchId: await this.#batchId(filter.batch) } : {}),
    });
    if (outcome.retried.length > 0) this.#wakeExecutors();
    return { retried: outcome.retried.length, skipped: outcome.skipped.length };
  }

  /** Deletes terminal jobs that finished longer ago than `olderThan`. */
  async purge(options: { olderThan: number | string; status?: JobStatus }): Promise<number> {
    const { ageMs, statuses } = purgeParams(options);
    const now = await this.store.now();
    return this.store.purge({
      finishedBefore: new Date(now.getTime() - ageMs),
      statuses,
    });
  }

  /** Counts per queue and status (every status present), and per batch with rate and ETA. */
  async stats(): Promise<Stats> {
    const [queues, batches] = await Promise.all([this.queueStats(), this.batches()]);
    return { queues, batches };
  }

  /** Counts per queue and status and the oldest waiting job's age: `stats()` without batches (for scrapes). */
  async queueStats(): Promise<Stats['queues']> {
    const [rows, oldest, now] = await Promise.all([
      this.store.countByQueueAndStatus(),
      this.store.oldestWaiting(),
      this.store.now(),
    ]);
    return queueStatsFrom(rows, oldest, now);
  }

  /** Jobs completed and failed per time bucket since `since` (the dashboard's chart). */
  async throughput(options: {
    since: Date;
    bucketMs: number;
    queue?: string;
  }): Promise<ThroughputBucket[]> {
    assertDate(options.since, 'since');
    const bucketMs = assertInteger(options.bucketMs, 'bucketMs', 1_000);
    return this.store.throughput({
      since: options.since,
      bucketMs,
      ...(options.queue !== undefined ? { queue: assertName(options.queue, 'queue') } : {}),
    });
  }

  /** Workers that started an attempt since `since`, with when each was last seen. */
  async workersSeen(since: Date): Promise<Array<{ workerId: string; lastSeen: Date }>> {
    assertDate(since, 'since');
    return this.store.workersSeen({ since });
  }

  /** Every batch (or one, by id or name) with counts, rate and ETA. */
  async batches(batch?: string): Promise<BatchStats[]> {
    const rows = await this.store.listBatches(
      batch === undefined ? {} : { batchId: await this.#batchId(batch) },
    );
    return rows.map((row) => withRateAndEta(row, Date.now()));
  }

  // ---- Flow control (docs/flow-control.md): settings live in the store, so every worker obeys
  // them. The checks and the calls are in src/flow/; these wake local workers. Async, so that
  // bad input rejects rather than throws.

  /** Cron schedules: `add(name, { cron, queue, payload, tz, catchUp })`, `list()`, `remove(name)`. */
  get schedules(): Schedules {
    return new Schedules(this.store, this.maxPayloadBytes);
  }

  /** Workers stop claiming from the queue within a poll interval; running jobs finish. */
  async pause(queue: string): Promise<QueueConfig> {
    return configureQueue(this.store, queue, { paused: true });
  }

  async resume(queue: string): Promise<QueueConfig> {
    return configureQueue(this.store, queue, { paused: false }).finally(() =>
      this.#wakeExecutors(),
    );
  }

  /** Per-key concurrency and rates (`'10/1s'`); fields left out keep their value, null clears one. */
  async configureQueue(queue: string, limits: QueueLimits): Promise<QueueConfig> {
    return configureQueue(this.store, queue, toChanges(limits)).finally(() =>
      this.#wakeExecutors(),
    );
  }

  /** One queue's settings (the defaults if it was never configured). */
  async queueConfig(queue: string): Promise<QueueConfig> {
    return queueConfig(this.store, queue);
  }

  /** Every configured queue's settings. */
  async queueConfigs(): Promise<QueueConfig[]> {
    return queueConfigs(this.store);
  }

  /** Jobs running now per concurrency key of a queue (the dashboard's per-key saturation). */
  async runningByKey(queue: string): Promise<Array<{ key: string; running: number }>> {
    return runningByKey(this.store, queue);
  }

  /**
   * When every job of the batch (id or name) is terminal, enqueues ONE job to `options.queue`,
   * payload `{ batch: { id, name }, counts: { total, completed, failed, cancelled }, payload }`,
   * in the transaction that ends the batch's last job. Returns the follow-up's id once fired.
   */
  async onBatchComplete(
    batch: string,
    options: BatchCompleteOptions,
  ): Promise<{ firedJobId: string | null }> {
    const callback = batchCallback(this.store, options, this.maxPayloadBytes);
    const outcome = await this.store.setBatchCallback!({
      batchId: await this.#batchId(batch),
      callback,
    });
    if (outcome.firedJobId !== null) this.#wakeExecutors();
    return outcome;
  }

  /**
   * Starts a worker pool on one or more queues. Call `stop()` on the result to shut it down
   * gracefully; `close()` on the queue stops every worker it started.
   */
  work<P = any, R = unknown>( // eslint-disable-line @typescript-eslint/no-explicit-any
    queues: string | string[],
    handler: JobHandler<P, R>,
    options: WorkOptions = {},
  ): JobExecutor {
    if (this.#closed) throw new ValidationError('This JobQueue is closed');
    const executor = new JobExecutor(
      this,
      Array.isArray(queues) ? queues : [queues],
      handler as JobHandler,
      options,
    );
    this.#executors.add(executor);
    executor.once('stopped', () => this.#executors.delete(executor));
    executor.start();
    return executor;
  }

  /** Stops this queue's workers (gracefully) and closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#executors].map((executor) => executor.stop()));
    await this.store.close();
  }
}
