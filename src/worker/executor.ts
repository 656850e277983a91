/**
 * One attempt of one job: builds its signal and context, runs the handler, decides the outcome
 * and hands the write to the completer.
 *
 * The attempt's AbortSignal aborts for four reasons, each with its own error as `reason`:
 *   JobTimeoutError    the job's timeout passed            -> retry or fail (counts as an attempt)
 *   JobCancelledError  cancel(id) from any process         -> cancelled
 *   ShutdownError      the worker stops past its grace     -> handed back, attempt not counted
 *   LeaseLostError     another worker owns the job now     -> nothing written (fenced anyway)
 * An abort settles the attempt at once, without waiting for a handler that ignores its signal,
 * so a stuck handler cannot hold a job or a slot past its timeout.
 */
import {
  JobTimeoutError,
  LeaseLostError,
  PayloadError,
  PermanentError,
  ShutdownError,
  ValidationError,
} from '../errors.js';
import type { TypedEmitter, QueueEvents } from '../events.js';
import type { ResolvedBackoff } from '../options.js';
import type { AttemptEnd, ClaimedJob } from '../store/store.js';
import type { Job, JobContext, JobHandler, JobInfo, JobLogger, JobProgress } from '../types.js';
import { crashPoint } from '../util/crash-points.js';
import { MAX_TIMER_MS } from '../util/duration.js';
import { toJsonText } from '../util/json.js';
import { withFields } from '../util/logger.js';
import type { Completer } from './completer.js';
import { endForError } from './retry-policy.js';

export interface AttemptSettings {
  handler: JobHandler;
  completer: Completer;
  events: TypedEmitter<QueueEvents>;
  workerId: string;
  backoff: ResolvedBackoff;
  progressThrottleMs: number;
  maxResultBytes: number;
  logger: JobLogger;
}

type Settled =
  | { kind: 'returned'; value: unknown }
  | { kind: 'threw'; error: Error }
  | { kind: 'aborted'; reason: Error };

export class AttemptRun {
  readonly job: ClaimedJob;
  /** Resolves when the attempt's outcome is written (or fenced off). Never rejects. */
  readonly done: Promise<void>;
  readonly #controller = new AbortController();
  readonly #settings: AttemptSettings;
  readonly #startedAt = Date.now();
  #progress: JobProgress | null = null;
  #progressWrittenAt = 0;
  #progressTimer: NodeJS.Timeout | null = null;

  /**
   * `onSettled` runs once the handler has settled (returned, thrown or been abandoned on an
   * abort), before the end is written: the slot can take the next job. `abortFirst`: the attempt
   * is aborted before its handler starts (a cancel asked while it waited for a slot), and the
   * handler is never called.
   */
  constructor(
    job: ClaimedJob,
    settings: AttemptSettings,
    onSettled: () => void,
    abortFirst?: Error,
  ) {
    this.job = job;
    this.#settings = settings;
    if (abortFirst) this.#controller.abort(abortFirst);
    this.done = this.#run(onSettled);
  }

  /** Aborts the attempt's signal; the reason decides what is written. First reason wins. */
  abort(reason: Error): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  async #run(onSettled: () => void): Promise<void> {
    const { events, workerId } = this.#settings;
    const startsHandler = !this.#controller.signal.aborted;
    // A snapshot is a copy of the job: built only when someone listens.
    if (startsHandler && events.listenerCount('started') > 0)
      events.emit('started', snapshot(this.job, 'running'), workerId);
    const clearTimer =
      this.job.timeoutMs && startsHandler
        ? longTimeout(this.job.timeoutMs, () =>
            this.abort(new JobTimeoutError(this.job.timeoutMs!)),
          )
        : null;
    const settled = startsHandler
      ? await this.#runHandler()
      : ({ kind: 'aborted', reason: this.#controller.signal.reason as Error } as const);
    clearTimer?.();
    if (this.#progressTimer) clearTimeout(this.#progressTimer);
    onSettled();

    if (settled.kind === 'aborted' && settled.reason instanceof LeaseLostError) {
      events.emit('lease-lost', snapshot(this.job, 'running'));
      return;
    }
    if (settled.kind === 'returned') crashPoint('after-handler');
    this.#writeProgress();
    const end = this.#endFor(settled);
    const applied = await this.#settings.completer.finish(end);
    if (!applied) {
      events.emit('lease-lost', snapshot(this.job, 'running'));
      return;
    }
    this.#announce(end, settled);
  }

  async #runHandler(): Promise<Settled> {
    const signal = this.#controller.signal;
    const aborted = new Promise<Settled>((resolve) => {
      const onAbort = () => resolve({ kind: 'aborted', reason: signal.reason as Error });
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    const ran = Promise.resolve()
      .then(() => this.#settings.handler(jobInfo(this.job), this.#context()))
      .then(
        (value): Settled => ({ kind: 'returned', value }),
        (error: unknown): Settled => ({ kind: 'threw', error: asError(error) }),
      );
    // An abort wins over whatever the handler does afterwards.
    return Promise.race([aborted, ran.then((result) => (signal.aborted ? aborted : result))]);
  }

  #endFor(settled: Settled): AttemptEnd {
    // batchId: a store may skip its batch-completion check for jobs outside a batch.
    const lease = { jobId: this.job.id, token: this.job.leaseToken, batchId: this.job.batchId };
    const { backoff, maxResultBytes } = this.#settings;
    if (settled.kind === 'returned') {
      try {
        const result = toJsonText(
          settled.value === undefined ? null : settled.value,
          'result',
          maxResultBytes,
        );
        return { ...lease, status: 'completed', attemptOutcome: 'completed', result };
      } catch (error) {
        // A result that cannot be stored is a bug in the handler: running it again cannot help.
        return endForError(this.job, new PermanentError((error as PayloadError).message), backoff);
      }
    }
    const error = settled.kind === 'threw' ? settled.error : settled.reason;
    if (error instanceof ShutdownError) {
      return {
        ...lease,
        status: 'pending',
        attemptOutcome: 'interrupted',
        error: { message: error.message, stack: null },
      };
    }
    return endForError(this.job, error, backoff);
  }

  #announce(end: AttemptEnd, settled: Settled): void {
    const { events } = this.#settings;
    const durationMs = Date.now() - this.#startedAt;
    const error =
      settled.kind === 'threw' ? settled.error : settled.kind === 'aborted' ? settled.reason : null;
    switch (end.status) {
      case 'completed':
        events.emit(
          'completed',
          snapshot(this.job, 'completed'),
          settled.kind === 'returned' ? (settled.value ?? null) : null,
          durationMs,
        );
        break;
      case 'failed':
        events.emit(
          'failed',
          snapshot(this.job, 'failed'),
          error ?? new Error(end.error?.message ?? 'failed'),
          durationMs,
        );
        break;
      case 'retrying':
        events.emit(
          'retrying',
          snapshot(this.job, 'retrying'),
          error ?? new Error('retrying'),
          end.runAt!,
        );
        break;
      case 'cancelled':
        events.emit('cancelled', snapshot(this.job, 'cancelled'));
        break;
      case 'pending':
        break;
    }
  }

  #context(): JobContext {
    return {
      signal: this.#controller.signal,
      progress: (current, total, message) => this.#reportProgress(current, total, message),
      logger: withFields(this.#settings.logger, {
        job: this.job.id,
        queue: this.job.queue,
        attempt: this.job.attempts,
      }),
      workerId: this.#settings.workerId,
    };
  }

  #reportProgress(current: number, total: number, message?: string): void {
    if (!Number.isFinite(current) || !Number.isFinite(total) || current < 0 || total < 0) {
      throw new ValidationError(
        `Expected progress(current, total) to be finite numbers of 0 or more, got (${current}, ${total})`,
      );
    }
    if (message !== undefined && typeof message !== 'string') {
      throw new ValidationError('Expected the progress message to be a string');
    }
    if (this.#controller.signal.aborted) return;
    this.#progress =
      message === undefined
        ? { current, total }
        : { current, total, message: message.slice(0, 1_000) };
    this.#settings.events.emit('progress', snapshot(this.job, 'running'), this.#progress);
    const wait = this.#progressWrittenAt + this.#settings.progressThrottleMs - Date.now();
    if (wait <= 0) this.#writeProgress();
    else this.#progressTimer ??= setTimeout(() => this.#writeProgress(), wait);
  }

  #writeProgress(): void {
    if (this.#progressTimer) clearTimeout(this.#progressTimer);
    this.#progressTimer = null;
    if (!this.#progress) return;
    this.#settings.completer.progress({
      jobId: this.job.id,
      token: this.job.leaseToken,
      progress: this.#progress,
    });
    this.job.progress = this.#progress;
    this.#progress = null;
    this.#progressWrittenAt = Date.now();
  }
}

/**
 * setTimeout for any length: a job timeout over 24.8 days (MAX_TIMER_MS) would otherwise fire
 * after 1 ms and fail the job at once. Re-arms until the deadline. Returns the cancel function.
 */
function longTimeout(ms: number, fire: () => void): () => void {
  const deadline = Date.now() + ms;
  let timer: NodeJS.Timeout;
  const arm = (delay: number) => {
    timer = setTimeout(
      () => {
        const left = deadline - Date.now();
        if (left > 0) arm(left);
        else fire();
      },
      Math.min(delay, MAX_TIMER_MS),
    );
  };
  arm(ms);
  return () => clearTimeout(timer);
}

function jobInfo(job: ClaimedJob): JobInfo {
  return {
    id: job.id,
    queue: job.queue,
    key: job.key,
    payload: job.payload,
    attempt: job.attempts,
    maxAttempts: job.maxAttempts,
    batchId: job.batchId,
    priority: job.priority,
    createdAt: job.createdAt,
  };
}

/** The job as events report it: the claimed row with its new status (not re-read from the store). */
function snapshot(job: ClaimedJob, status: Job['status']): Job {
  const { leaseToken: _token, roundStart: _round, ...rest } = job;
  return { ...rest, status };
}

function asError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(
    typeof value === 'string' ? value : `handler threw a non-Error value: ${String(value)}`,
  );
}
