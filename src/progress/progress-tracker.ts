/**
 * ProgressTracker: mirrors queue state into work_items.json for tools that read (and write) that
 * file. The store is the source of truth: every write rebuilds holdfast's part from it through
 * the public JobQueue API, so a missed event or a crashed writer costs nothing but a moment of
 * staleness. Writes are throttled (at most one per `throttleMs`, the last one always lands)
 * because a busy worker emits hundreds of events a second and each write rewrites the file.
 */
import type { JobQueue } from '../client.js';
import type { Job } from '../types.js';
import { WorkItemsFile, type WorkItemsUpdate } from './work-items-file.js';

export interface ProgressTrackerOptions {
  /** Path of work_items.json. */
  path: string;
  /** Queues to mirror. Default: every queue. */
  queues?: string[];
  /**
   * Mirror only this batch's jobs (id or name); items of other jobs stay in the file as they were.
   * Keeps each write proportional to the batch, not to everything the store ever held. Default: all jobs.
   */
  batch?: string;
  /** Extra fields per item, e.g. a summary of the result. Default: none (results can be large). */
  describeResult?: (job: Job) => unknown;
  /** Least time between two writes. Default 500 ms. */
  throttleMs?: number;
  /** Also rewrite this often while started, to pick up other processes' changes. Default 5 s; 0 turns it off. */
  refreshMs?: number;
  /** Where warnings go (a corrupt file set aside, a failed write). Default console.warn. */
  warn?: (message: string) => void;
}

const EVENTS = [
  'enqueued',
  'started',
  'progress',
  'completed',
  'failed',
  'retrying',
  'cancelled',
  'rescued',
] as const;

export class ProgressTracker {
  readonly #queue: JobQueue;
  readonly #options: ProgressTrackerOptions;
  readonly #file: WorkItemsFile;
  readonly #throttleMs: number;
  readonly #warn: (message: string) => void;
  readonly #listener = () => this.schedule();
  #timer: NodeJS.Timeout | null = null;
  #refresh: NodeJS.Timeout | null = null;
  #writing: Promise<void> | null = null;
  #dirty = false;
  #lastWrite = 0;
  #lastError: string | null = null;
  #writes = 0;

  constructor(queue: JobQueue, options: ProgressTrackerOptions) {
    this.#queue = queue;
    this.#options = options;
    this.#throttleMs = options.throttleMs ?? 500;
    this.#warn = options.warn ?? ((message: string) => console.warn(message));
    this.#file = new WorkItemsFile(options.path, { warn: this.#warn });
  }

  get path(): string {
    return this.#file.path;
  }

  /** Writes landed so far (for tests and diagnostics). */
  get writes(): number {
    return this.#writes;
  }

  /** Follows the queue's events (in this process) and refreshes periodically. */
  start(): this {
    for (const event of EVENTS) this.#queue.on(event, this.#listener);
    const refreshMs = this.#options.refreshMs ?? 5_000;
    if (refreshMs > 0) {
      this.#refresh = setInterval(() => this.schedule(), refreshMs);
      this.#refresh.unref();
    }
    this.schedule();
    return this;
  }

  /** Asks for a write: now if the last one was long enough ago, else at the end of the throttle window. */
  schedule(): void {
    if (this.#writing) {
      this.#dirty = true;
      return;
    }
    if (this.#timer) return;
    const wait = Math.max(0, this.#lastWrite + this.#throttleMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.#write();
    }, wait);
  }

  /** Writes now (after any write in flight) and resolves when the file is on disk. */
  async flush(): Promise<void> {
    if (this.#timer) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
    while (this.#writing) await this.#writing;
    await this.#write(true);
  }

  /** Stops following events and writes the final state. */
  async stop(): Promise<void> {
    for (const event of EVENTS) this.#queue.off(event, this.#listener);
    if (this.#refresh) clearInterval(this.#refresh);
    this.#refresh = null;
    await this.flush();
    this.#dirty = false;
  }

  async #write(rethrow = false): Promise<void> {
    this.#dirty = false;
    const writing = this.#file.update(() => this.#snapshot());
    this.#writing = writing.then(
      () => {},
      () => {},
    );
    try {
      await writing;
      this.#writes++;
      this.#lastError = null;
    } catch (error) {
      const message = (error as Error).message;
      // One warning per distinct problem, not one per event.
      if (message !== this.#lastError)
        this.#warn(`warning: could not write ${this.path}: ${message}`);
      this.#lastError = message;
      if (rethrow) throw error;
    } finally {
      this.#lastWrite = Date.now();
      this.#writing = null;
      if (this.#dirty) this.schedule();
    }
  }

  async #snapshot(): Promise<WorkItemsUpdate> {
    const stats = await this.#queue.stats();
    const wanted = this.#options.queues;
    const queues = Object.fromEntries(
      Object.entries(stats.queues).filter(([name]) => !wanted || wanted.includes(name)),
    );
    const batches = stats.batches
      .filter((batch) => !wanted || wanted.includes(batch.queue))
      .map((batch) => ({
        name: batch.name,
        queue: batch.queue,
        total: batch.total,
        counts: batch.counts,
        ratePerSecond: batch.ratePerSecond,
        etaMs: batch.etaMs,
      }));
    const items = new Map<string, unknown>();
    for (const queue of wanted ?? [undefined]) {
      // Ascending id order: when a key has several jobs (a re-run), the newest one wins.
      const filter = {
        ...(queue === undefined ? {} : { queue }),
        ...(this.#options.batch === undefined ? {} : { batch: this.#options.batch }),
      };
      for await (const job of this.#queue.listAll(filter)) {
        items.set(job.key ?? `job:${job.id}`, this.#item(job));
      }
    }
    return {
      summary: {
        version: 1,
        updatedAt: new Date().toISOString(),
        store: this.#queue.store.description,
        queues,
        batches,
      },
      items,
    };
  }

  #item(job: Job): unknown {
    const extra =
      this.#options.describeResult && job.status === 'completed'
        ? this.#options.describeResult(job)
        : undefined;
    return {
      jobId: job.id,
      queue: job.queue,
      status: job.status,
      attempts: job.attempts,
      maxAttempts: job.maxAttempts,
      progress: job.progress,
      lastError: job.lastError,
      batchId: job.batchId,
      createdAt: job.createdAt.toISOString(),
      updatedAt: job.updatedAt.toISOString(),
      finishedAt: job.finishedAt?.toISOString() ?? null,
      ...(extra === undefined ? {} : { result: extra }),
    };
  }
}
