import { ValidationError } from '../errors.js';

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses `500ms`, `30s`, `5m`, `1h`, `7d` (or a bare number of ms) into milliseconds.
 * `what` names the input in the error, e.g. `--lease`.
 */
export function parseDuration(input: string | number, what = 'duration'): number {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) {
      throw new ValidationError(`Expected ${what} to be a duration of 0 or more, got ${input}`);
    }
    // Whole milliseconds, as the string form gives; 1e300 would reach timers as garbage.
    const ms = Math.round(input);
    if (!Number.isSafeInteger(ms))
      throw new ValidationError(`Expected ${what} to be a shorter duration, got ${input}`);
    return ms;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(input);
  if (!match) {
    throw new ValidationError(
      `Expected ${what} to be a duration like 500ms, 30s, 5m, 1h or 7d, got ${JSON.stringify(input)}`,
    );
  }
  const value = Number(match[1]) * UNIT_MS[(match[2] ?? 'ms').toLowerCase()]!;
  if (!Number.isSafeInteger(Math.round(value))) {
    throw new ValidationError(
      `Expected ${what} to be a shorter duration, got ${JSON.stringify(input)}`,
    );
  }
  return Math.round(value);
}

/** 1500 → "1.5s"; for messages and tables. */
export function formatDuration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1_000)}s`;
  if (ms < 86_400_000)
    return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000)}m`;
  return `${Math.floor(ms / 86_400_000)}d${Math.round((ms % 86_400_000) / 3_600_000)}h`;
}

/** Parses `20mb`, `512kb`, `1gb` or a number of bytes. */
export function parseByteSize(input: string | number, what = 'size'): number {
  if (typeof input === 'number' && Number.isSafeInteger(input) && input > 0) return input;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|kib|mib|gib)?\s*$/i.exec(String(input));
  if (!match) {
    throw new ValidationError(
      `Expected ${what} to be a size like 512kb, 20mb or 1gb, got ${JSON.stringify(input)}`,
    );
  }
  const unit = (match[2] ?? 'b').toLowerCase().replace('i', '');
  const factor = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[unit]!;
  const bytes = Math.round(Number(match[1]) * factor);
  if (bytes <= 0)
    throw new ValidationError(
      `Expected ${what} to be more than 0 bytes, got ${JSON.stringify(input)}`,
    );
  return bytes;
}

/**
 * Node's timers hold at most 2^31 - 1 ms (24.8 days); a longer delay fires after 1 ms instead,
 * with only a warning. Durations that feed a timer directly are checked against this.
 */
export const MAX_TIMER_MS = 2_147_483_647;
