import type {
  AttemptEnd,
  ClaimParams,
  ClaimedJob,
  EndsAndClaims,
  Lease,
  Store,
} from '../store/store.js';
import type { JobProgress } from '../types.js';

/**
 * Claims made with the write of a tick's ends (`Store.finishAndClaim`): one commit ends some jobs
 * and claims their successors. `reserve` returns how many to claim now (0: write the ends alone).
 */
export interface Refill {
  claim: Omit<ClaimParams, 'limit'>;
  reserve(): number;
  claimed(jobs: ClaimedJob[], reserved: number): void;
  cancel(reserved: number): void;
}

interface PendingEnd {
  end: AttemptEnd;
  resolve: (applied: boolean) => void;
}

/**
 * Batches the writes of one tick: attempts that end in the same turn of the event loop are
 * committed in ONE transaction (20 no-op jobs finishing together cost one fsync, not 20).
 * Progress that was throttled and not yet written lands just before.
 * A failed write (busy database, connection lost) is retried with backoff until it lands or
 * the completer is closed; the attempt stays held (its lease renewed) until then, though its
 * slot is free for the next job as soon as its handler settled.
 */
export class Completer {
  readonly #store: Store;
  readonly #onError: (error: Error) => void;
  readonly #refill: Refill | null;
  #ends: PendingEnd[] = [];
  #progress = new Map<string, Lease & { progress: JobProgress }>();
  #scheduled = false;
  #flushing: Promise<void> | null = null;
  #closed = false;

  constructor(store: Store, onError: (error: Error) => void, refill?: Refill) {
    this.#store = store;
    this.#onError = onError;
    this.#refill = refill && store.finishAndClaim ? refill : null;
  }

  /** Whether the next write claims too: it has ends queued and the store has finishAndClaim. */
  get willClaim(): boolean {
    return this.#refill !== null && this.#ends.length > 0;
  }

  /** Resolves with whether the end applied (false: the lease had been lost; nothing changed). */
  finish(end: AttemptEnd): Promise<boolean> {
    return new Promise((resolve) => {
      this.#ends.push({ end, resolve });
      this.#schedule();
    });
  }

  /** Queues the latest progress of an attempt; only the newest value per job is written. */
  progress(update: Lease & { progress: JobProgress }): void {
    this.#progress.set(update.jobId, update);
    this.#schedule();
  }

  get idle(): boolean {
    return this.#ends.length === 0 && this.#progress.size === 0 && this.#flushing === null;
  }

  /** Waits until everything queued so far is written. */
  async drain(): Promise<void> {
    while (!this.idle) {
      if (this.#flushing) await this.#flushing;
      else await this.#flush();
    }
  }

  close(): void {
    this.#closed = true;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      if (!this.#flushing) void this.#flush();
    });
  }

  async #write(ends: AttemptEnd[], reserved: number): Promise<boolean[]> {
    if (ends.length === 0) return [];
    if (reserved === 0) return this.#store.finish({ ends });
    const refill = this.#refill!;
    let result: EndsAndClaims;
    try {
      result = await this.#store.finishAndClaim!({
        ends,
        claim: { ...refill.claim, limit: reserved },
      });
    } catch (error) {
      refill.cancel(reserved);
      throw error;
    }
    refill.claimed(result.claimed, reserved);
    return result.applied;
  }

  async #flush(): Promise<void> {
    const ends = this.#ends;
    const progress = [...this.#progress.values()];
    this.#ends = [];
    this.#progress.clear();
    if (ends.length === 0 && progress.length === 0) return;
    const run = async () => {
      // Only the first try claims: a retry writes the ends alone (they are fenced; a claim is not).
      let mayClaim = ends.length > 0;
      for (let delay = 10; ; delay = Math.min(delay * 2, 2_000)) {
        try {
          if (progress.length > 0) await this.#store.saveProgress({ updates: progress });
          const reserved = mayClaim ? (this.#refill?.reserve() ?? 0) : 0;
          mayClaim = false;
          const applied = await this.#write(
            ends.map((p) => p.end),
            reserved,
          );
          ends.forEach((pending, index) => pending.resolve(applied[index] ?? false));
          return;
        } catch (error) {
          this.#onError(error as Error);
          if (this.#closed) {
            ends.forEach((pending) => pending.resolve(false));
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    };
    this.#flushing = run();
    try {
      await this.#flushing;
    } finally {
      this.#flushing = null;
    }
    // Ends queued while this flush was running go out in the next one.
    if (this.#ends.length > 0 || this.#progress.size > 0) this.#schedule();
  }
}
