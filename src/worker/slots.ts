import type { ClaimedJob } from '../store/store.js';

/**
 * How many jobs a worker may claim, and where claimed jobs wait for a slot.
 *
 * A slot is taken while a handler runs; it frees when the handler settles, before the attempt's
 * end is written, so the next job starts while the write is in flight (on PostgreSQL a commit
 * waits for an fsync: a 5 ms job would otherwise spend a third of its slot waiting for it).
 *
 * While the queue has a backlog (the last claim got all it asked for), up to `prefetch` claimed
 * jobs wait here for a slot: a slot that frees starts one at once instead of waiting for a claim
 * round trip. Their leases are renewed like running ones; on shutdown they are handed back
 * without counting an attempt. Without a backlog nothing is prefetched, so a lone job is never
 * held by one worker while another is idle.
 *
 * Claims in flight reserve what they ask for, so the claim loop and the completer (which claims
 * in the transaction that writes the ends) never claim the same room twice. `maxHeld` bounds
 * everything this worker holds (running, ended but unwritten, waiting, being claimed), so a
 * database that stops answering stops the claims instead of piling up unwritten ends.
 */
export class Slots {
  readonly concurrency: number;
  readonly prefetch: number;
  readonly #start: (job: ClaimedJob) => void;
  /** Hands back jobs claimed after `close` (a claim that was in flight when the worker stopped). */
  readonly #handBack: (jobs: ClaimedJob[]) => void;
  /** Attempts that have not been written yet (running or ended), counted by the executor. */
  readonly #unwritten: () => number;
  readonly #maxHeld: number;
  readonly #waiting: ClaimedJob[] = [];
  #running = 0;
  #claiming = 0;
  #backlog = false;
  #closed = false;

  constructor(settings: {
    concurrency: number;
    prefetch: number;
    start: (job: ClaimedJob) => void;
    handBack: (jobs: ClaimedJob[]) => void;
    unwritten: () => number;
  }) {
    this.concurrency = settings.concurrency;
    this.prefetch = settings.prefetch;
    this.#start = settings.start;
    this.#handBack = settings.handBack;
    this.#unwritten = settings.unwritten;
    this.#maxHeld = 2 * settings.concurrency + settings.prefetch;
  }

  /** Handlers running now. */
  get running(): number {
    return this.#running;
  }

  /** Claimed jobs waiting for a slot. */
  get waiting(): readonly ClaimedJob[] {
    return this.#waiting;
  }

  /** The last claim got all it asked for: more work is likely ready. */
  get backlog(): boolean {
    return this.#backlog;
  }

  /** Nothing runs, waits or is being claimed here. */
  get idle(): boolean {
    return this.#running === 0 && this.#waiting.length === 0 && this.#claiming === 0;
  }

  /** How many jobs a claim now should ask for (0: none). */
  wanted(): number {
    if (this.#closed) return 0;
    const room =
      this.concurrency - this.#running + (this.#backlog ? this.prefetch : 0) - this.#waiting.length;
    const held = this.#unwritten() + this.#waiting.length + this.#claiming;
    return Math.max(0, Math.min(room - this.#claiming, this.#maxHeld - held));
  }

  /** Reserves room for a claim; pass the result to `claimed` or `cancel` once it is answered. */
  reserve(): number {
    const limit = this.wanted();
    this.#claiming += limit;
    return limit;
  }

  cancel(reserved: number): void {
    this.#claiming -= reserved;
  }

  /** A claim of `reserved` answered with `jobs`: start what fits, keep the rest waiting. */
  claimed(jobs: ClaimedJob[], reserved: number): void {
    this.#claiming -= reserved;
    if (this.#closed) {
      if (jobs.length > 0) this.#handBack(jobs);
      return;
    }
    if (reserved > 0) this.#backlog = jobs.length === reserved;
    this.#waiting.push(...jobs);
    this.#fill();
  }

  /** A handler settled: its slot takes the next waiting job. */
  handlerDone(): void {
    this.#running -= 1;
    this.#fill();
  }

  /** Stops claiming; returns the waiting jobs, which the caller hands back. */
  close(): ClaimedJob[] {
    this.#closed = true;
    return this.#waiting.splice(0);
  }

  /** Takes a waiting job out (its lease was lost, or its cancel was asked); null if not here. */
  remove(jobId: string): ClaimedJob | null {
    const index = this.#waiting.findIndex((job) => job.id === jobId);
    return index < 0 ? null : this.#waiting.splice(index, 1)[0]!;
  }

  #fill(): void {
    while (this.#running < this.concurrency && this.#waiting.length > 0) {
      this.#running += 1;
      this.#start(this.#waiting.shift()!);
    }
  }
}
