import { describe, expect, it } from 'vitest';
import { PayloadError } from '../../src/errors.js';
import { toJsonText } from '../../src/util/json.js';

describe('toJsonText: payloads must round-trip through JSON', () => {
  it('accepts plain JSON data and returns its text', () => {
    const value = { a: [1, 'two', null, true, { b: -0.5 }], 'odd key': {}, nested: { deep: [[]] } };
    const text = toJsonText(value, 'payload', 1024);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('accepts objects without a prototype', () => {
    const bare = Object.assign(Object.create(null), { x: 1 });
    expect(toJsonText(bare, 'payload', 100)).toBe('{"x":1}');
  });

  it.each([
    ['a function', { run: () => 1 }, /payload\.run is a function/],
    ['a BigInt', { n: 10n }, /payload\.n is a BigInt.*string/],
    ['NaN', { score: Number.NaN }, /payload\.score is NaN/],
    ['Infinity', [Infinity], /payload\[0\] is Infinity/],
    ['undefined', { gone: undefined }, /payload\.gone is undefined/],
    ['a symbol', { s: Symbol('x') }, /payload\.s is a symbol/],
    ['a Date', { when: new Date() }, /payload\.when is a Date.*toISOString/],
    ['a Map', { m: new Map() }, /payload\.m is a Map/],
    ['a quoted key', { 'a b': 1n }, /payload\["a b"\] is a BigInt/],
  ])('refuses %s, naming where it is', (_name, value, message) => {
    expect(() => toJsonText(value, 'payload', 1024)).toThrow(PayloadError);
    expect(() => toJsonText(value, 'payload', 1024)).toThrow(message);
  });

  it('refuses cycles', () => {
    const a: Record<string, unknown> = {};
    a.self = { back: a };
    expect(() => toJsonText(a, 'payload', 1024)).toThrow(
      /payload\.self\.back refers back to itself/,
    );
  });

  it('allows the same object twice when it is not a cycle', () => {
    const shared = { x: 1 };
    expect(toJsonText({ a: shared, b: shared }, 'payload', 1024)).toBe('{"a":{"x":1},"b":{"x":1}}');
  });

  it('refuses payloads over the size cap, counting UTF-8 bytes', () => {
    expect(() => toJsonText('é'.repeat(60), 'payload', 100)).toThrow(
      /payload is 122 bytes of JSON, over the limit of 100/,
    );
    expect(toJsonText('é'.repeat(40), 'payload', 100)).toHaveLength(42);
  });
});
