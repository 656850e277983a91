import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  optionalArg,
  parseDurationArg,
  parseIntegerArg,
  parseJsonArg,
  parseStatusArg,
} from '../../src/cli/args.js';
import {
  EXIT_FAILURE,
  EXIT_USAGE,
  NotFoundError,
  UsageError,
  exitCodeOf,
  formatError,
} from '../../src/cli/errors.js';
import { jsonErrorPosition } from '../../src/cli/json-position.js';
import { JobNotFoundError, PayloadError, StoreError, ValidationError } from '../../src/errors.js';

describe('CLI argument parsers', () => {
  it('accepts only plain whole numbers in range, naming the flag otherwise', () => {
    expect(parseIntegerArg('42', '--priority', -10, 100)).toBe(42);
    expect(parseIntegerArg('-3', '--priority', -10, 100)).toBe(-3);
    for (const bad of ['abc', 'NaN', '', '1.5', '1e3', '0x10', '101', 'Infinity']) {
      expect(() => parseIntegerArg(bad, '--priority', -10, 100)).toThrow(
        `--priority must be a whole number from -10 to 100, got ${JSON.stringify(bad)}`,
      );
    }
  });

  it('parses durations and statuses', () => {
    expect(parseDurationArg('1.5s', '--lease')).toBe(1_500);
    expect(parseDurationArg('7d', '--older-than')).toBe(604_800_000);
    expect(() => parseDurationArg('soon', '--lease')).toThrow(UsageError);
    expect(() => parseDurationArg('50ms', '--lease', 100)).toThrow(
      '--lease must be at least 100ms, got "50ms"',
    );
    expect(optionalArg(undefined, parseIntegerArg, '--concurrency', 1)).toBeUndefined();
    expect(optionalArg('3', parseIntegerArg, '--concurrency', 1)).toBe(3);
    expect(() => optionalArg('0', parseIntegerArg, '--concurrency', 1)).toThrow('--concurrency');
    expect(parseStatusArg('failed', '--status')).toBe('failed');
    expect(() => parseStatusArg('bogus', '--status')).toThrow(
      '--status must be one of pending, running, retrying, completed, failed, cancelled; got "bogus"',
    );
  });

  it('names the position of a JSON mistake', () => {
    expect(parseJsonArg('{"a":[1,2]}', '--payload')).toEqual({ a: [1, 2] });
    expect(() => parseJsonArg('{"to": ada}', '--payload')).toThrow(
      '--payload is not valid JSON: error at position 7 (at "ada}")',
    );
    expect(() => parseJsonArg('{"a":1', '--payload')).toThrow('error at position 6 (at the end)');
  });

  it('finds a JSON error position exactly when JSON.parse refuses the text', () => {
    const texts = fc.oneof(
      fc.json(),
      fc.json().map((text) => text.slice(0, -1)),
      fc.tuple(fc.json(), fc.string({ maxLength: 3 }), fc.nat()).map(([text, junk, at]) => {
        const i = at % (text.length + 1);
        return text.slice(0, i) + junk + text.slice(i);
      }),
    );
    fc.assert(
      fc.property(texts, (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const position = jsonErrorPosition(text);
        if (valid) expect(position).toBe(-1);
        else expect(position).toBeGreaterThanOrEqual(0);
        expect(position).toBeLessThanOrEqual(text.length);
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('CLI error mapping', () => {
  it('exits 2 for bad input and 1 for runtime failures', () => {
    expect(exitCodeOf(new UsageError('x'))).toBe(EXIT_USAGE);
    expect(exitCodeOf(new ValidationError('x'))).toBe(EXIT_USAGE);
    expect(exitCodeOf(new PayloadError('x'))).toBe(EXIT_USAGE);
    expect(exitCodeOf(new StoreError('x'))).toBe(EXIT_FAILURE);
    expect(exitCodeOf(new JobNotFoundError('7'))).toBe(EXIT_FAILURE);
    expect(exitCodeOf(new NotFoundError('x'))).toBe(EXIT_FAILURE);
    expect(exitCodeOf(new ValidationError('No batch with id or name "x"'))).toBe(EXIT_FAILURE);
    expect(exitCodeOf(new Error('boom'))).toBe(EXIT_FAILURE);
  });

  it('prints one line, with a stack only when HOLDFAST_DEBUG=1', () => {
    expect(formatError(new StoreError('queue.db is not a SQLite database'), false)).toBe(
      'holdfast: queue.db is not a SQLite database\n',
    );
    const odd = Object.assign(new Error('disk I/O error'), { code: 'SQLITE_IOERR' });
    expect(formatError(odd, false)).toBe('holdfast: disk I/O error (SQLITE_IOERR)\n');
    expect(formatError(odd, true)).toMatch(
      /^holdfast: disk I\/O error \(SQLITE_IOERR\)\nError: disk I\/O error\n\s+at /,
    );
  });
});
