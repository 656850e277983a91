import type { ClaimedJob, Store } from '../store/store.js';
import { crashPoint } from '../util/crash-points.js';
import { throttledClaims } from '../store/flow.js';
import type { Slots } from './slots.js';
import { WakeSignal } from './wake-signal.js';

export interface ProducerSettings {
  store: Store;
  queues: string[];
  workerId: string;
  leaseMs: number;
  pollIntervalMs: number;
  changePollMs: number;
  /** Room for claims (slots.ts). */
  slots: Slots;
  /** The completer will claim with its next write of ends (finishAndClaim, while there is a backlog). */
  completerWillClaim(): boolean;
  /** Called when a claim found nothing and nothing runs here; resolves true to stop the loop. */
  onIdle(): Promise<boolean>;
  onError(error: Error): void;
}

/**
 * The claim loop. It claims what there is room for (free slots, and prefetch while there is a
 * backlog: slots.ts) in ONE store call, then sleeps until something can have changed:
 * - an attempt's end is written while the loop slept full (with no room it watches nothing), or
 *   while the last claim got all it asked for (more work is likely waiting), unless the
 *   completer claims with the next write of ends (finishAndClaim);
 * - an enqueue in this process (`wake`), or a NOTIFY from another machine;
 * - the store's change counter moved (another process committed: SQLite data_version,
 *   polled every `changePollMs` only while slots are free — it is a read of shared memory);
 * - `pollIntervalMs` passed: the safety net for due retries and lost notifications.
 */
export class Producer {
  readonly #settings: ProducerSettings;
  readonly #signal = new WakeSignal();
  #stopped = false;
  /** The last claim left ready jobs waiting on a per-key or rate limit (flow control). */
  #lastClaimThrottled = false;
  #changeToken: number | undefined;
  /** Asleep without watching the change token, because there was no room to claim into. */
  #sleepingFull = false;

  constructor(settings: ProducerSettings) {
    this.#settings = settings;
  }

  wake(): void {
    this.#signal.wake();
  }

  /**
   * A slot freed up (its attempt's end is committed): worth a claim if the loop slept full, if
   * the last claim found more work than room, or if it was held back by a limit that this end
   * may have lifted (a job of a saturated key finished); otherwise a limited queue would wait a
   * whole poll interval.
   */
  slotFreed(): void {
    const { slots, completerWillClaim } = this.#settings;
    // Asleep while full, it watches nothing: without this wake a job enqueued by another process
    // would wait for the poll interval (pickup-xproc measured 970 ms instead of 6 ms).
    if (this.#sleepingFull || this.#lastClaimThrottled || (slots.backlog && !completerWillClaim()))
      this.#signal.wake();
  }

  #throttleCount(): number {
    let count = 0;
    for (const queue of this.#settings.queues) count += throttledClaims.get(queue) ?? 0;
    return count;
  }

  stop(): void {
    this.#stopped = true;
    this.#signal.wake();
  }

  async run(): Promise<void> {
    const { store, queues, workerId, leaseMs, slots } = this.#settings;
    let errorDelay = 50;
    while (!this.#stopped) {
      const limit = slots.reserve();
      if (limit > 0) {
        let jobs: ClaimedJob[];
        try {
          const throttledBefore = this.#throttleCount();
          // Read before the claim: a commit by another process after the claim's read then shows
          // as a change at the next sleep (read at the sleep, it was missed until the poll).
          if (store.changeToken) this.#changeToken = store.changeToken();
          jobs = await store.claim({ queues, limit, workerId, leaseMs });
          this.#lastClaimThrottled = this.#throttleCount() > throttledBefore;
          errorDelay = 50;
          if (jobs.length > 0) crashPoint('after-claim');
        } catch (error) {
          slots.cancel(limit);
          // Busy database, lost connection: never fatal, retried with backoff up to 5 s.
          this.#settings.onError(error as Error);
          await this.#signal.wait(errorDelay);
          errorDelay = Math.min(errorDelay * 2, 5_000);
          continue;
        }
        // Claimed while stopping: the slots run what fits; shutdown hands back the rest.
        slots.claimed(jobs, limit);
        if (this.#stopped) break;
        if (jobs.length === limit) continue;
        if (jobs.length === 0 && slots.idle && (await this.#settings.onIdle())) break;
      }
      await this.#sleep();
    }
  }

  async #sleep(): Promise<void> {
    const { store, pollIntervalMs, changePollMs } = this.#settings;
    const full = this.#settings.slots.wanted() === 0;
    if (!store.capabilities.changeToken || !store.changeToken || full) {
      this.#sleepingFull = full;
      await this.#signal.wait(pollIntervalMs);
      this.#sleepingFull = false;
      return;
    }
    const deadline = Date.now() + pollIntervalMs;
    this.#changeToken ??= store.changeToken();
    while (!this.#stopped && Date.now() < deadline) {
      if (await this.#signal.wait(Math.min(changePollMs, deadline - Date.now()))) return;
      const token = store.changeToken();
      if (token !== this.#changeToken) {
        this.#changeToken = token;
        return;
      }
    }
  }
}
