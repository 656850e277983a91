/**
 * Strict parsers for option values. Commander hands every value over as a string; these turn
 * them into numbers, durations, statuses and JSON, or throw a UsageError naming the flag.
 */
import { JOB_STATUSES } from '../states.js';
import type { JobStatus } from '../types.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { UsageError } from './errors.js';
import { jsonErrorPosition } from './json-position.js';

export function parseIntegerArg(
  value: string,
  flag: string,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const range = max === Number.MAX_SAFE_INTEGER ? `from ${min} and up` : `from ${min} to ${max}`;
  // Number('') is 0 and Number('1e3') is 1000: accept only plain digits, so a typo never becomes a value.
  const number = /^\s*[-+]?\d+\s*$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(number) || number < min || number > max) {
    throw new UsageError(`${flag} must be a whole number ${range}, got ${JSON.stringify(value)}`);
  }
  return number;
}

/** `500ms`, `30s`, `5m`, `1h`, `7d` or a number of ms; one shorter than `minMs` is refused. */
export function parseDurationArg(value: string, flag: string, minMs = 0): number {
  let ms: number;
  try {
    ms = parseDuration(value, flag);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (ms < minMs) {
    throw new UsageError(
      `${flag} must be at least ${formatDuration(minMs)}, got ${JSON.stringify(value)}`,
    );
  }
  return ms;
}

/**
 * Parses a flag only when it was given, so the library's default applies otherwise:
 * `optionalArg(flags.lease, parseDurationArg, '--lease', 100)`.
 */
export function optionalArg<T, Rest extends unknown[]>(
  value: string | undefined,
  parse: (value: string, flag: string, ...rest: Rest) => T,
  flag: string,
  ...rest: Rest
): T | undefined {
  return value === undefined ? undefined : parse(value, flag, ...rest);
}

export function parseStatusArg(
  value: string,
  flag: string,
  allowed: readonly JobStatus[] = JOB_STATUSES,
): JobStatus {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(
      `${flag} must be one of ${allowed.join(', ')}; got ${JSON.stringify(value)}`,
    );
  }
  return value as JobStatus;
}

export function parseJsonArg(value: string, flag: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    const position = Math.max(0, jsonErrorPosition(value));
    const near =
      position >= value.length
        ? 'at the end'
        : `at ${JSON.stringify(value.slice(position, position + 12))}`;
    throw new UsageError(
      `${flag} is not valid JSON: error at position ${position} (${near}); quote it for the shell, e.g. ${flag} '{"to":"ada@example.com"}'`,
    );
  }
}

/** A name given on the command line (queue, batch, key): non-empty, no control characters. */
export function parseNameArg(value: string, flag: string): string {
  if (value.length === 0 || value.length > 200 || hasControlCharacter(value)) {
    throw new UsageError(
      `${flag} must be 1 to 200 characters without control characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** Names (queue, batch, key) may not hold control characters: they would break one-line output. */
export function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) < 0x20) return true;
  return false;
}
