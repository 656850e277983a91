import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { formatDuration, parseByteSize, parseDuration } from '../../src/util/duration.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['7d', 604_800_000],
    ['1.5s', 1_500],
    ['250', 250],
    [' 2S ', 2_000],
    [0, 0],
  ])('%s is %i ms', (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  it.each(['', 'abc', '5 minutes', '-1s', '1y', '1e3s', 'NaN'])(
    'refuses %j, naming the input',
    (input) => {
      expect(() => parseDuration(input, '--lease')).toThrow(ValidationError);
      expect(() => parseDuration(input, '--lease')).toThrow(/--lease.*like 500ms, 30s/);
    },
  );

  it('refuses negative and non-finite numbers', () => {
    expect(() => parseDuration(-1)).toThrow(ValidationError);
    expect(() => parseDuration(Number.NaN)).toThrow(ValidationError);
  });

  it('refuses durations too long to be exact', () => {
    expect(() => parseDuration('99999999999999999d')).toThrow(/shorter/);
  });
});

describe('formatDuration', () => {
  it('prints short human forms', () => {
    expect([12, 1_500, 42_000, 125_000, 7_380_000, 90_000_000].map(formatDuration)).toEqual([
      '12ms',
      '1.5s',
      '42s',
      '2m5s',
      '2h3m',
      '1d1h',
    ]);
  });
});

describe('parseByteSize', () => {
  it('parses units', () => {
    expect(parseByteSize('20mb')).toBe(20 * 1024 * 1024);
    expect(parseByteSize('512kb')).toBe(512 * 1024);
    expect(parseByteSize('1GiB')).toBe(1024 ** 3);
    expect(parseByteSize('100')).toBe(100);
  });

  it('refuses nonsense with the input named', () => {
    expect(() => parseByteSize('lots', '--max-image-size')).toThrow(/--max-image-size/);
    expect(() => parseByteSize('0')).toThrow(ValidationError);
  });
});
