import type { Lease, Store } from '../store/store.js';

/** What the heartbeat renews, and where it reports what other processes asked. */
export interface HeldJobs {
  /** Leases of the jobs this worker holds: running, ended but unwritten, and waiting for a slot. */
  leases(): Lease[];
  /** The job is running under another lease now (we stalled past ours and it was rescued). */
  lost(jobId: string): void;
  /** Another process asked to cancel the job. */
  cancelRequested(jobId: string): void;
}

/**
 * Renews the leases of this worker's jobs, all in one store call, every `intervalMs` (a third of
 * the lease by default: two heartbeats can be missed before a lease expires). The answer also
 * carries what other processes asked: a cancel aborts the attempt's signal; a lease that is no
 * longer ours (we stalled past it and the job was rescued) aborts it with LeaseLostError, and
 * fencing has already made its later writes no-ops.
 */
export class Heartbeat {
  readonly #store: Store;
  readonly #held: HeldJobs;
  readonly #leaseMs: number;
  readonly #onError: (error: Error) => void;
  #timer: NodeJS.Timeout | null = null;
  #beating = false;

  constructor(store: Store, held: HeldJobs, leaseMs: number, onError: (error: Error) => void) {
    this.#store = store;
    this.#held = held;
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
    if (this.#beating) return;
    const leases = this.#held.leases();
    if (leases.length === 0) return;
    this.#beating = true;
    try {
      const { lost, cancelRequested } = await this.#store.heartbeat({
        leases,
        leaseMs: this.#leaseMs,
      });
      for (const id of cancelRequested) this.#held.cancelRequested(id);
      for (const id of lost) this.#held.lost(id);
    } catch (error) {
      this.#onError(error as Error);
    } finally {
      this.#beating = false;
    }
  }
}
