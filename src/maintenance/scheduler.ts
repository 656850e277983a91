/**
 * Enqueues the jobs of cron schedules. Every JobExecutor runs one, so schedules fire while any
 * worker runs; however many run, each tick is one job: the store records a tick and enqueues
 * its job in one compare-and-set (`fireSchedule`), and only one racer wins it. Which tick is
 * due, and whether a missed one is enqueued (catch-up policy), is decided in flow/schedules.ts.
 */
import type { QueueEvents, TypedEmitter } from '../events.js';
import { DEFAULTS } from '../options.js';
import type { Store } from '../store/store.js';
import { dueTick, scheduleJobKey } from '../flow/schedules.js';

export interface SchedulerOptions {
  /** The clock ticks are measured by. Default: the store's clock. Tests inject their own. */
  now?: () => Promise<Date> | Date;
  /** Emits `error` for a failed pass and `enqueued` for a fired job. */
  events?: TypedEmitter<QueueEvents>;
  /** Called after a pass enqueued jobs (the executor wakes its claim loop). */
  onEnqueued?: () => void;
}

export class Scheduler {
  readonly #store: Store;
  readonly #now: () => Promise<Date> | Date;
  readonly #events: TypedEmitter<QueueEvents> | undefined;
  readonly #onEnqueued: (() => void) | undefined;
  #timer: NodeJS.Timeout | null = null;
  #running = false;

  constructor(store: Store, options: SchedulerOptions = {}) {
    this.#store = store;
    this.#now = options.now ?? (() => store.now());
    this.#events = options.events;
    this.#onEnqueued = options.onEnqueued;
  }

  /** Cron's finest unit is a minute (a second with 6 fields); a pass a second is one cheap read. */
  start(intervalMs = 1_000): void {
    if (!this.#store.listSchedules || !this.#store.fireSchedule) return;
    this.#timer = setInterval(() => (this.#pass = this.tick()), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer; resolves once a pass in flight has ended (before the store closes). */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#pass;
  }

  #pass: Promise<unknown> = Promise.resolve();

  /** One pass: fires every schedule's due tick. Returns the ids of the jobs this pass enqueued. */
  async tick(): Promise<string[]> {
    if (this.#running || !this.#store.listSchedules || !this.#store.fireSchedule) return [];
    this.#running = true;
    try {
      const [schedules, now] = await Promise.all([this.#store.listSchedules(), this.#now()]);
      const enqueued: string[] = [];
      for (const schedule of schedules) {
        const due = dueTick(schedule, now);
        if (!due) continue;
        const job = due.enqueue
          ? {
              queue: schedule.queue,
              key: scheduleJobKey(schedule.name, due.tick),
              payload: schedule.payload,
              priority: DEFAULTS.priority,
              runAt: null,
              maxAttempts: DEFAULTS.maxAttempts,
              timeoutMs: null,
              batchName: null,
            }
          : null;
        const outcome = await this.#store.fireSchedule({
          name: schedule.name,
          tick: due.tick,
          job,
        });
        if (outcome.job) {
          enqueued.push(outcome.job.id);
          this.#events?.emit('enqueued', outcome.job);
        }
      }
      if (enqueued.length > 0) this.#onEnqueued?.();
      return enqueued;
    } catch (error) {
      this.#events?.emit('error', error as Error);
      return [];
    } finally {
      this.#running = false;
    }
  }
}
