/**
 * Flow control, decided once for every driver: which ready jobs a claim may start, given a
 * queue's stored limits and what is running and has started. Drivers read the numbers (their
 * own SQL, inside their claim transaction) and ask a ClaimBudget; no SQL here.
 */
import type { JobStatus } from '../types.js';

/** At most `limit` starts in any window of `intervalMs`. */
export interface RateLimit {
  limit: number;
  intervalMs: number;
}

export interface QueueConfig {
  queue: string;
  /** Workers claim nothing from a paused queue; running jobs finish. */
  paused: boolean;
  /** Jobs of one concurrency key running at once across all workers; null: no limit. */
  perKeyConcurrency: number | null;
  /** Starts of the whole queue per interval; null: no limit. */
  rate: RateLimit | null;
  /** Starts per concurrency key per interval; null: no limit. */
  perKeyRate: RateLimit | null;
  updatedAt: Date;
}

/** Fields to change; `null` clears a limit. */
export type QueueConfigChanges = Partial<
  Pick<QueueConfig, 'paused' | 'perKeyConcurrency' | 'rate' | 'perKeyRate'>
>;

export interface BatchCallback {
  queue: string;
  /** JSON text, handed to the follow-up job as `payload`. */
  payload: string;
}

export type CatchUp = 'none' | 'latest';

export interface NewSchedule {
  name: string;
  cron: string;
  /** IANA time zone; null: UTC. */
  tz: string | null;
  queue: string;
  /** JSON text. */
  payload: string;
  catchUp: CatchUp;
}

export interface Schedule extends NewSchedule {
  createdAt: Date;
  /** The last tick enqueued or skipped; null before the first. */
  lastTick: Date | null;
}

/** A queue configuration with no limit and not paused: what an unconfigured queue behaves as. */
export function defaultQueueConfig(queue: string, now: Date): QueueConfig {
  return {
    queue,
    paused: false,
    perKeyConcurrency: null,
    rate: null,
    perKeyRate: null,
    updatedAt: now,
  };
}

export function applyChanges(
  config: QueueConfig,
  changes: QueueConfigChanges,
  now: Date,
): QueueConfig {
  return { ...config, ...changes, updatedAt: now };
}

/** Whether claims from this queue must count running jobs or starts (the slower, exact path). */
export function isLimited(config: QueueConfig | undefined): boolean {
  return (
    !!config &&
    (config.perKeyConcurrency !== null || config.rate !== null || config.perKeyRate !== null)
  );
}

/** The longest window a claim must look back over for starts (0 when no rate is set). */
export function rateWindowMs(config: QueueConfig): number {
  return Math.max(config.rate?.intervalMs ?? 0, config.perKeyRate?.intervalMs ?? 0);
}

/** What the store counted, inside the claim transaction, for one queue. */
export interface FlowUsage {
  /** Running jobs per concurrency key. */
  runningByKey: Map<string, number>;
  /** Attempts of the queue started within `rate.intervalMs` before now. */
  queueStarts: number;
  /** Attempts per concurrency key started within `perKeyRate.intervalMs` before now. */
  keyStarts: Map<string, number>;
}

/**
 * The starts one claim may still make in one queue. Jobs without a concurrency key count only
 * toward the queue's rate; per-key limits apply to keyed jobs.
 */
export class ClaimBudget {
  readonly #config: QueueConfig;
  readonly #running: Map<string, number>;
  readonly #keyStarts: Map<string, number>;
  #queueLeft: number;
  /** Set when a candidate was refused: the claim was throttled (for metrics). */
  throttled = false;

  constructor(config: QueueConfig, usage: FlowUsage) {
    this.#config = config;
    this.#running = new Map(usage.runningByKey);
    this.#keyStarts = new Map(usage.keyStarts);
    this.#queueLeft =
      config.rate === null ? Infinity : Math.max(0, config.rate.limit - usage.queueStarts);
  }

  /** Starts the queue's rate still allows. */
  get queueLeft(): number {
    return this.#queueLeft;
  }

  /** Keys that can take no more now: the candidate query leaves their jobs out, so they block no one. */
  blockedKeys(): string[] {
    const blocked = new Set<string>();
    const perKey = this.#config.perKeyConcurrency;
    if (perKey !== null) for (const [key, n] of this.#running) if (n >= perKey) blocked.add(key);
    const rate = this.#config.perKeyRate;
    if (rate !== null)
      for (const [key, n] of this.#keyStarts) if (n >= rate.limit) blocked.add(key);
    return [...blocked];
  }

  /** Admits one start of a job with this key (counting it), or refuses it. */
  admit(key: string | null): boolean {
    if (this.#queueLeft <= 0) return this.#refuse();
    if (key !== null) {
      const perKey = this.#config.perKeyConcurrency;
      if (perKey !== null && (this.#running.get(key) ?? 0) >= perKey) return this.#refuse();
      const rate = this.#config.perKeyRate;
      if (rate !== null && (this.#keyStarts.get(key) ?? 0) >= rate.limit) return this.#refuse();
      this.#running.set(key, (this.#running.get(key) ?? 0) + 1);
      this.#keyStarts.set(key, (this.#keyStarts.get(key) ?? 0) + 1);
    }
    this.#queueLeft -= 1;
    return true;
  }

  #refuse(): false {
    this.throttled = true;
    return false;
  }
}

/**
 * Claims in rounds, the same loop for every driver (sync SQLite, async PostgreSQL):
 *
 *   const rounds = new ClaimRounds(budget, limit);
 *   for (let r = rounds.next(); r; r = rounds.next()) take(rounds.accept(read(r.want, r.blockedKeys)));
 *
 * Each round reads up to `want` ready jobs in claim order, leaving out blocked keys, and admits
 * what the budget allows. A refused job's key is blocked from then on, so the next round reads
 * past it: waiting jobs of other keys are never stuck behind a saturated key.
 */
export class ClaimRounds {
  readonly #budget: ClaimBudget;
  readonly #limit: number;
  #claimed = 0;
  #rounds = 0;
  #done = false;

  constructor(budget: ClaimBudget, limit: number) {
    this.#budget = budget;
    this.#limit = limit;
  }

  get claimed(): number {
    return this.#claimed;
  }

  /** The next read, or null when the claim is done. */
  next(): { want: number; blockedKeys: string[] } | null {
    // Each round claims all it read, ends the loop, or blocks one more key; 50 rounds bound a
    // claim against a queue where that many keys saturate at once (the next claim goes on).
    if (this.#done || this.#rounds >= 50) return null;
    const want = Math.min(this.#limit - this.#claimed, this.#budget.queueLeft);
    if (want <= 0) return null;
    this.#rounds += 1;
    this.#lastWant = want;
    return { want, blockedKeys: this.#budget.blockedKeys() };
  }

  #lastWant = 0;

  /** The candidates the last read returned, in claim order; returns the ones to claim. */
  accept<C extends { concurrencyKey: string | null }>(candidates: C[]): C[] {
    if (candidates.length < this.#lastWant) this.#done = true;
    const admitted = candidates.filter((candidate) => this.#budget.admit(candidate.concurrencyKey));
    this.#claimed += admitted.length;
    return admitted;
  }
}

/** Claims (in this process) that left a ready job waiting because of a limit, per queue: the metrics' throttled waits. */
export const throttledClaims = new Map<string, number>();

export function noteThrottled(queue: string): void {
  throttledClaims.set(queue, (throttledClaims.get(queue) ?? 0) + 1);
}

/** The follow-up job's payload when a batch completes. */
export function batchCompletePayload(
  batch: { id: string; name: string },
  counts: Partial<Record<JobStatus, number>>,
  payloadText: string,
): string {
  const completed = counts.completed ?? 0;
  const failed = counts.failed ?? 0;
  const cancelled = counts.cancelled ?? 0;
  return JSON.stringify({
    batch: { id: batch.id, name: batch.name },
    counts: { total: completed + failed + cancelled, completed, failed, cancelled },
    payload: JSON.parse(payloadText) as unknown,
  });
}

/** Key of the follow-up job, so a batch's callback is recognisable in listings. */
export function batchCompleteKey(batchId: string): string {
  return `batch-complete:${batchId}`;
}
