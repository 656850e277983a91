import { JobCancelledError, LeaseLostError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { AttemptRun } from './executor.js';

/**
 * Renews the leases of this worker's running attempts, all in one store call, every
 * `intervalMs` (a third of the lease by default: two heartbeats can be missed before a lease
 * expires). The answer also carries what other processes asked: a cancel aborts the attempt's
 * signal; a lease that is no longer ours (we stalled past it and the job was rescued) aborts it
 * with LeaseLostError, and fencing has already made its later writes no-ops.
 */
export class Heartbeat {
  readonly #store: Store;
  readonly #running: Map<string, AttemptRun>;
  readonly #leaseMs: number;
  readonly #onError: (error: Error) => void;
  #timer: NodeJS.Timeout | null = null;
  #beating = false;

  constructor(
    store: Store,
    running: Map<string, AttemptRun>,
    leaseMs: number,
    onError: (error: Error) => void,
  ) {
    this.#store = store;
    this.#running = running;
    this.#leaseMs = leaseMs;
    this.#onError = onError;
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.beat(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  async beat(): Promise<void> {
    if (this.#beating || this.#running.size === 0) return;
    this.#beating = true;
    const runs = [...this.#running.values()].filter((run) => !run.signal.aborted);
    try {
      const { lost, cancelRequested } = await this.#store.heartbeat({
        leases: runs.map((run) => ({ jobId: run.job.id, token: run.job.leaseToken })),
        leaseMs: this.#leaseMs,
      });
      for (const id of cancelRequested) this.#running.get(id)?.abort(new JobCancelledError());
      for (const id of lost) this.#running.get(id)?.abort(new LeaseLostError());
    } catch (error) {
      this.#onError(error as Error);
    } finally {
      this.#beating = false;
    }
  }
}
