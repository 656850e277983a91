import type { TypedEmitter, QueueEvents } from '../events.js';
import type { ResolvedBackoff } from '../options.js';
import type { Store } from '../store/store.js';
import { endForExpiredLease } from '../worker/retry-policy.js';

/**
 * Reclaims jobs whose lease expired: their worker died (kill -9) or stalled. There is no
 * time-based guess ("running for over an hour"): a lease is renewed by heartbeats, so only a
 * job nobody renews is rescued. The attempt is recorded as lost and counts toward maxAttempts
 * (a job that kills its worker every time ends failed instead of looping forever).
 *
 * Read and write are two steps; the write is fenced by the attempt's token AND by the lease
 * still being expired, so a job that completed (or was renewed) in between stays as it is.
 */
export class Rescuer {
  readonly #store: Store;
  readonly #backoff: ResolvedBackoff;
  readonly #events: TypedEmitter<QueueEvents>;
  #timer: NodeJS.Timeout | null = null;
  #running = false;

  constructor(store: Store, backoff: ResolvedBackoff, events: TypedEmitter<QueueEvents>) {
    this.#store = store;
    this.#backoff = backoff;
    this.#events = events;
  }

  start(intervalMs: number): void {
    this.#timer = setInterval(() => void this.rescue(), intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** One pass; returns how many jobs it rescued. */
  async rescue(limit = 100): Promise<number> {
    if (this.#running) return 0;
    this.#running = true;
    try {
      const expired = await this.#store.findExpiredLeases({ limit });
      if (expired.length === 0) return 0;
      const ends = expired.map((lease) => endForExpiredLease(lease, this.#backoff));
      const applied = await this.#store.finish({ ends });
      let rescued = 0;
      applied.forEach((ok, index) => {
        if (!ok) return;
        rescued++;
        const lease = expired[index]!;
        this.#events.emit(
          'rescued',
          lease.jobId,
          lease.queue,
          ends[index]!.status as 'retrying' | 'failed',
        );
      });
      return rescued;
    } catch (error) {
      this.#events.emit('error', error as Error);
      return 0;
    } finally {
      this.#running = false;
    }
  }
}
