/**
 * Every default in one place. Each option's doc ends with its default.
 */
import { ValidationError } from './errors.js';
import { parseDuration } from './util/duration.js';

export const DEFAULTS = {
  /** Database when neither `db` nor HOLDFAST_DB is given: SQLite in the working directory. Default `./.holdfast/queue.db`. */
  db: './.holdfast/queue.db',
  /** Largest payload or result, as UTF-8 JSON bytes. Default 1 MiB. */
  maxPayloadBytes: 1024 * 1024,
  /** Attempts per job before it is `failed` (lost attempts count). Default 5. */
  maxAttempts: 5,
  /** Job priority; higher runs first. Default 0. */
  priority: 0,
  /** Jobs a worker runs at once. Default 10. */
  concurrency: 10,
  /** Claimed jobs that may wait for a slot while the queue has a backlog (off by default: see WorkOptions.prefetch). */
  prefetch: 0,
  /** How long a claim is valid without a heartbeat; a dead worker's jobs are rescued after it. Default 30 s. */
  leaseMs: 30_000,
  /** First retry delay. Default 1 s. */
  backoffMinMs: 1_000,
  /** Longest retry delay (before jitter). Default 5 min. */
  backoffMaxMs: 300_000,
  /** Random extra delay, as a fraction of the delay (0.2 adds 0–20 %), so retries do not stampede. Default 0.2. */
  backoffJitter: 0.2,
  /** How often an idle worker looks for due jobs when nothing woke it. Default 1 s. */
  pollIntervalMs: 1_000,
  /**
   * How often an idle worker checks the store's cheap change counter (SQLite data_version)
   * to notice another process's enqueue; keeps cross-process pickup near 10 ms. Default 10 ms.
   */
  changePollMs: 10,
  /** On shutdown, how long running jobs may finish before they are aborted and handed back. Default 10 s. */
  shutdownGraceMs: 10_000,
  /** Progress writes per job are at most this often; the latest value always lands. Default 500 ms. */
  progressThrottleMs: 500,
  /** Jobs per chunk when a stream (CSV import) is enqueued. Default 1,000. */
  streamChunkSize: 1_000,
} as const;

export interface BackoffOptions {
  /** First retry delay (ms or duration string). Default 1 s. */
  min?: number | string;
  /** Longest retry delay. Default 5 min. */
  max?: number | string;
  /** Fraction of the delay added at random. Default 0.2. */
  jitter?: number;
}

export interface ResolvedBackoff {
  minMs: number;
  maxMs: number;
  jitter: number;
}

export function assertInteger(
  value: unknown,
  name: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `from ${min} and up` : `from ${min} to ${max}`;
    throw new ValidationError(
      `Expected \`${name}\` to be a whole number ${range}, got ${describe(value)}`,
    );
  }
  return value;
}

export function assertName(value: unknown, name: string): string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > 200 ||
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    /[\u0000-\u001f]/.test(value)
  ) {
    throw new ValidationError(
      `Expected \`${name}\` to be a non-empty string of at most 200 characters without control characters, got ${describe(value)}`,
    );
  }
  return value;
}

export function assertDate(value: unknown, name: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new ValidationError(`Expected \`${name}\` to be a valid Date, got ${describe(value)}`);
  }
  return value;
}

export function resolveDuration(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' && typeof value !== 'string') {
    throw new ValidationError(
      `Expected \`${name}\` to be a duration (ms or like 30s), got ${describe(value)}`,
    );
  }
  return parseDuration(value, `\`${name}\``);
}

export function resolveBackoff(options: BackoffOptions | undefined): ResolvedBackoff {
  const minMs = resolveDuration(options?.min, 'backoff.min', DEFAULTS.backoffMinMs);
  const maxMs = resolveDuration(
    options?.max,
    'backoff.max',
    Math.max(DEFAULTS.backoffMaxMs, minMs),
  );
  if (maxMs < minMs) {
    throw new ValidationError(
      `Expected \`backoff.max\` (${maxMs}ms) to be at least \`backoff.min\` (${minMs}ms)`,
    );
  }
  const jitter = options?.jitter ?? DEFAULTS.backoffJitter;
  if (typeof jitter !== 'number' || !(jitter >= 0 && jitter <= 10)) {
    throw new ValidationError(
      `Expected \`backoff.jitter\` to be a number from 0 to 10, got ${describe(jitter)}`,
    );
  }
  return { minMs, maxMs, jitter };
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null)
    return String(value);
  if (typeof value === 'bigint') return `${value}n`;
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}
