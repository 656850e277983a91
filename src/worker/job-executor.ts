/**
 * JobExecutor: the worker pool of one `queue.work(...)` call.
 *
 * States:  created -> running -> stopping -> stopped
 *   running   the producer claims into free slots; heartbeats renew leases; the rescuer reclaims
 *             expired leases of any worker.
 *   stopping  (stop(), SIGINT/SIGTERM, or exitWhenEmpty) no new claims; running attempts get
 *             `shutdownGrace` to finish, then are aborted and handed back (not counted).
 *   stopped   every write has landed; `done` resolves.
 */
import type { JobQueue } from '../client.js';
import { newWorkerId } from '../client.js';
import { JobCancelledError, LeaseLostError, ShutdownError, ValidationError } from '../errors.js';
import { TypedEmitter } from '../events.js';
import { Rescuer } from '../maintenance/rescuer.js';
import { Scheduler } from '../maintenance/scheduler.js';
import {
  DEFAULTS,
  assertInteger,
  assertName,
  resolveBackoff,
  resolveDuration,
  type BackoffOptions,
} from '../options.js';
import type { ClaimedJob } from '../store/store.js';
import type { JobHandler, JobLogger } from '../types.js';
import { MAX_TIMER_MS } from '../util/duration.js';
import { consoleLogger } from '../util/logger.js';
import { Completer } from './completer.js';
import { AttemptRun, type AttemptSettings } from './executor.js';
import { Heartbeat, type HeldJobs } from './heartbeat.js';
import { Producer } from './producer.js';
import { Slots } from './slots.js';

export interface WorkOptions {
  /** Jobs run at once. Default 10. */
  concurrency?: number;
  /** Lease length (ms or duration string). Default 30 s. */
  lease?: number | string;
  /** Retry backoff. Default { min: 1s, max: 5m, jitter: 0.2 }. */
  backoff?: BackoffOptions;
  /** Safety-net poll when nothing wakes the worker. Default 1 s. */
  pollInterval?: number | string;
  /** Time running jobs get to finish on shutdown. Default 10 s. */
  shutdownGrace?: number | string;
  /** Stop once these queues hold no pending, running or retrying job. Default false. */
  exitWhenEmpty?: boolean;
  /** Stop gracefully on SIGINT/SIGTERM (a second signal aborts at once). Default false. */
  handleSignals?: boolean;
  /** Logger handed to handlers and used for background errors. Default: stderr. */
  logger?: JobLogger;
  /** Default: host:pid:random. */
  workerId?: string;
  /** Progress writes per job at most this often. Default 500 ms. */
  progressThrottle?: number | string;
  /**
   * Claimed jobs that may wait here for a slot while the queue has a backlog, so a slot that
   * frees starts its next job at once instead of after a claim (slots.ts). Worth it for many
   * short jobs; a job waiting here cannot be taken by another, idle worker. Default 0.
   */
  prefetch?: number;
}

interface ExecutorEvents {
  stopped: [];
}

const running = new Set<JobExecutor>();
/** In-process guard: one attempt of a job never runs twice in this process, whatever the store says. */
const activeJobs = new Map<string, AttemptRun>();

/** Executors started and not yet stopped (tests fail if one is left running). */
export function runningExecutors(): ReadonlySet<JobExecutor> {
  return running;
}

export class JobExecutor extends TypedEmitter<ExecutorEvents> {
  readonly workerId: string;
  readonly queues: readonly string[];
  readonly concurrency: number;
  readonly leaseMs: number;
  /** Resolves once the executor has stopped and every write has landed. */
  readonly done: Promise<void>;
  readonly #queue: JobQueue;
  readonly #attempts = new Map<string, AttemptRun>();
  readonly #settings: AttemptSettings;
  readonly #producer: Producer;
  readonly #slots: Slots;
  readonly #completer: Completer;
  readonly #heartbeat: Heartbeat;
  readonly #rescuer: Rescuer;
  readonly #scheduler: Scheduler;
  readonly #shutdownGraceMs: number;
  readonly #exitWhenEmpty: boolean;
  readonly #handleSignals: boolean;
  readonly #pollIntervalMs: number;
  #resolveDone!: () => void;
  #stopping: Promise<void> | null = null;
  #loop: Promise<void> | null = null;
  #unlisten: (() => Promise<void>) | null = null;
  #lastEmptyCheck = 0;
  #lastErrorLog = 0;

  constructor(queue: JobQueue, queues: string[], handler: JobHandler, options: WorkOptions) {
    super();
    if (typeof handler !== 'function') {
      throw new ValidationError(`Expected \`handler\` to be a function, got ${typeof handler}`);
    }
    if (queues.length === 0) throw new ValidationError('Expected at least one queue to work on');
    queues.forEach((name, index) => assertName(name, `queues[${index}]`));
    this.#queue = queue;
    this.queues = [...new Set(queues)];
    this.workerId =
      options.workerId === undefined ? newWorkerId() : assertName(options.workerId, 'workerId');
    this.concurrency =
      options.concurrency === undefined
        ? DEFAULTS.concurrency
        : assertInteger(options.concurrency, 'concurrency', 1, 10_000);
    this.leaseMs = resolveDuration(options.lease, 'lease', DEFAULTS.leaseMs);
    if (this.leaseMs < 100)
      throw new ValidationError(`Expected \`lease\` to be at least 100ms, got ${this.leaseMs}ms`);
    this.#pollIntervalMs = resolveDuration(
      options.pollInterval,
      'pollInterval',
      DEFAULTS.pollIntervalMs,
    );
    if (this.#pollIntervalMs < 1)
      throw new ValidationError('Expected `pollInterval` to be at least 1ms');
    this.#shutdownGraceMs = resolveDuration(
      options.shutdownGrace,
      'shutdownGrace',
      DEFAULTS.shutdownGraceMs,
    );
    // These feed timers directly: past 24.8 days Node fires them after 1 ms (a busy poll loop, no grace at all).
    for (const [name, ms] of [
      ['pollInterval', this.#pollIntervalMs],
      ['shutdownGrace', this.#shutdownGraceMs],
    ] as const) {
      if (ms > MAX_TIMER_MS)
        throw new ValidationError(
          `Expected \`${name}\` to be at most 24 days (${MAX_TIMER_MS}ms), got ${ms}ms`,
        );
    }
    const prefetch =
      options.prefetch === undefined
        ? DEFAULTS.prefetch
        : assertInteger(options.prefetch, 'prefetch', 0, 10_000);
    this.#exitWhenEmpty = options.exitWhenEmpty ?? false;
    this.#handleSignals = options.handleSignals ?? false;
    const logger = options.logger ?? consoleLogger;
    const backoff = resolveBackoff(options.backoff);
    const onError = (error: Error) => this.#backgroundError(error);
    this.#slots = new Slots({
      concurrency: this.concurrency,
      prefetch,
      start: (job) => this.#startAttempt(job),
      handBack: (jobs) => this.#handBack(jobs),
      unwritten: () => this.#attempts.size,
    });
    const slots = this.#slots;
    this.#completer = new Completer(queue.store, onError, {
      claim: { queues: this.queues as string[], workerId: this.workerId, leaseMs: this.leaseMs },
      // Only while there is a backlog: otherwise a write of ends would claim for nothing.
      reserve: () => (slots.backlog ? slots.reserve() : 0),
      claimed: (jobs, reserved) => slots.claimed(jobs, reserved),
      cancel: (reserved) => slots.cancel(reserved),
    });
    this.#settings = {
      handler,
      completer: this.#completer,
      events: queue,
      workerId: this.workerId,
      backoff,
      progressThrottleMs: Math.min(
        resolveDuration(options.progressThrottle, 'progressThrottle', DEFAULTS.progressThrottleMs),
        MAX_TIMER_MS,
      ),
      maxResultBytes: queue.maxPayloadBytes,
      logger,
    };
    this.#heartbeat = new Heartbeat(queue.store, this.#heldJobs(), this.leaseMs, onError);
    this.#rescuer = new Rescuer(queue.store, backoff, queue);
    this.#scheduler = new Scheduler(queue.store, {
      events: queue,
      onEnqueued: () => this.#producer.wake(),
    });
    this.#producer = new Producer({
      store: queue.store,
      queues: this.queues as string[],
      workerId: this.workerId,
      leaseMs: this.leaseMs,
      pollIntervalMs: this.#pollIntervalMs,
      changePollMs: DEFAULTS.changePollMs,
      slots: this.#slots,
      completerWillClaim: () => this.#completer.willClaim,
      onIdle: () => this.#checkEmpty(),
      onError,
    });
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  /** Handlers running now. */
  get active(): number {
    return this.#slots.running;
  }

  start(): void {
    if (this.#loop) return;
    running.add(this);
    // Heartbeat at a third of the lease (capped at 5 s, which also bounds how long a cancel
    // from another process takes to reach the handler); rescue at half the lease (capped at 15 s).
    this.#heartbeat.start(Math.min(Math.max(Math.floor(this.leaseMs / 3), 50), 5_000));
    this.#rescuer.start(Math.min(Math.max(Math.floor(this.leaseMs / 2), 50), 15_000));
    void this.#rescuer.rescue();
    this.#scheduler.start();
    if (this.#queue.store.capabilities.listenNotify && this.#queue.store.listen) {
      this.#queue.store
        .listen((queue) => {
          if (this.queues.includes(queue)) this.#producer.wake();
        })
        .then((unlisten) => {
          if (this.#stopping) void unlisten();
          else this.#unlisten = unlisten;
        })
        .catch((error: Error) => this.#backgroundError(error));
    }
    if (this.#handleSignals) {
      process.on('SIGINT', this.#onSignal);
      process.on('SIGTERM', this.#onSignal);
    }
    this.#loop = this.#producer.run().then(() => {
      void this.stop();
    });
  }

  /** Wakes the claim loop now (an enqueue in this process). */
  wake(): void {
    this.#producer.wake();
  }

  /** Aborts attempts of these jobs running here (a cancel asked in this process). */
  cancelLocal(jobIds: string[]): void {
    for (const id of jobIds) this.#attempts.get(id)?.abort(new JobCancelledError());
  }

  /**
   * Stops gracefully: no new claims; running jobs get `graceMs` (default: shutdownGrace) to
   * finish, then are aborted and handed back without counting the attempt.
   */
  stop(options: { graceMs?: number } = {}): Promise<void> {
    this.#stopping ??= this.#shutdown(options.graceMs ?? this.#shutdownGraceMs);
    return this.#stopping;
  }

  readonly #onSignal = (): void => {
    if (this.#stopping) {
      // Second signal: do not wait for the grace period.
      for (const run of this.#attempts.values()) run.abort(new ShutdownError());
      return;
    }
    void this.stop();
  };

  async #shutdown(graceMs: number): Promise<void> {
    this.#producer.stop();
    await this.#loop;
    this.#handBack(this.#slots.close());
    const attemptsDone = () => Promise.all([...this.#attempts.values()].map((run) => run.done));
    if (this.#attempts.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        attemptsDone(),
        new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
      for (const run of this.#attempts.values()) run.abort(new ShutdownError());
      await attemptsDone();
    }
    await this.#completer.drain();
    this.#completer.close();
    this.#heartbeat.stop();
    this.#rescuer.stop();
    await this.#scheduler.stop();
    await this.#unlisten?.().catch(() => undefined);
    if (this.#handleSignals) {
      process.off('SIGINT', this.#onSignal);
      process.off('SIGTERM', this.#onSignal);
    }
    running.delete(this);
    this.emit('stopped');
    this.#resolveDone();
  }

  /** Jobs claimed but never started go back to pending, leaving no attempt in their history. */
  #handBack(jobs: ClaimedJob[]): void {
    for (const job of jobs) {
      void this.#completer.finish({
        jobId: job.id,
        token: job.leaseToken,
        batchId: job.batchId,
        status: 'pending',
        attemptOutcome: 'interrupted',
        release: true,
      });
    }
  }

  /** The heartbeat's view: every job held here, running or waiting for a slot. */
  #heldJobs(): HeldJobs {
    return {
      leases: () => [
        ...[...this.#attempts.values()]
          .filter((run) => !run.signal.aborted)
          .map((run) => ({ jobId: run.job.id, token: run.job.leaseToken })),
        ...this.#slots.waiting.map((job) => ({ jobId: job.id, token: job.leaseToken })),
      ],
      lost: (id) => {
        this.#attempts.get(id)?.abort(new LeaseLostError());
        // Another worker owns it now: drop it without a write.
        this.#slots.remove(id);
      },
      cancelRequested: (id) => {
        this.#attempts.get(id)?.abort(new JobCancelledError());
        const waiting = this.#slots.remove(id);
        // Recorded as cancelled without running its handler.
        if (waiting) this.#startAttempt(waiting, new JobCancelledError());
      },
    };
  }

  #startAttempt(job: ClaimedJob, abortFirst?: Error): void {
    const guardKey = `${this.#queue.store.description}#${job.id}`;
    const previous = activeJobs.get(guardKey);
    if (previous) {
      // The store let us claim it, so the previous attempt's end is written (a retry due at once,
      // claimed in the very transaction that wrote it) or fenced off: it has not yet left the map,
      // which happens a few microtasks later. Start this attempt once it has.
      void previous.done.then(() => this.#startAttempt(job, abortFirst));
      return;
    }
    // A job started outside a slot (cancelled while waiting) never runs its handler: no slot to free.
    const onSettled = abortFirst ? () => undefined : () => this.#slots.handlerDone();
    const run = new AttemptRun(job, this.#settings, onSettled, abortFirst);
    this.#attempts.set(job.id, run);
    activeJobs.set(guardKey, run);
    void run.done.then(() => {
      this.#attempts.delete(job.id);
      activeJobs.delete(guardKey);
      this.#producer.slotFreed();
    });
  }

  /** exitWhenEmpty: stop once no job of these queues is pending, running or retrying (checked at most every poll interval). */
  async #checkEmpty(): Promise<boolean> {
    if (
      !this.#exitWhenEmpty ||
      Date.now() - this.#lastEmptyCheck < Math.min(this.#pollIntervalMs, 250)
    )
      return false;
    this.#lastEmptyCheck = Date.now();
    try {
      return !(await this.#queue.store.hasActiveJobs({ queues: [...this.queues] }));
    } catch (error) {
      this.#backgroundError(error as Error);
      return false;
    }
  }

  #backgroundError(error: Error): void {
    if (this.#queue.listenerCount('error') > 0) {
      this.#queue.emit('error', error);
      return;
    }
    // Without a listener, log at most once every 5 s: a busy or restarting database can raise this in a loop.
    if (Date.now() - this.#lastErrorLog < 5_000) return;
    this.#lastErrorLog = Date.now();
    this.#settings.logger.warn(`worker ${this.workerId}: ${error.message} (retrying)`);
  }
}
