import { PayloadError } from '../errors.js';

/**
 * Serialises a payload or result, refusing anything that would not come back the same from
 * JSON.parse: functions, symbols, undefined, BigInt, NaN and Infinity, class instances
 * (Date, Map, Set, Buffer...) and cycles. The error names the path, e.g. `payload.items[2].when`.
 */
export function toJsonText(value: unknown, what: string, maxBytes: number): string {
  // The full check names the path of a bad value, so it builds a path string per key and keeps a
  // Set against cycles: it was most of an enqueue's client-side cost (0.39 µs of 0.60 µs per job
  // for `{ i }`; 0.21 µs with the quick look first). A value the quick look passes is plain JSON,
  // which the full check would pass too; anything else (or deeper than MAX_QUICK_DEPTH, as a
  // cycle is) goes to the full check, which decides and names the problem.
  if (!plainJson(value, 0)) assertJsonSafe(value, what, new Set());
  const text = JSON.stringify(value);
  // A UTF-16 unit is at most 3 UTF-8 bytes: most texts need no byte count.
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw new PayloadError(
      `${what} is ${bytes} bytes of JSON, over the limit of ${maxBytes}; store large data elsewhere and pass a reference (or raise maxPayloadBytes)`,
    );
  }
  return text;
}

function assertJsonSafe(value: unknown, path: string, seen: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new PayloadError(
          `${path} is ${value}, which JSON cannot hold; use null or a finite number`,
        );
      }
      return;
    case 'undefined':
      throw new PayloadError(
        `${path} is undefined, which JSON drops; use null or leave the key out`,
      );
    case 'bigint':
      throw new PayloadError(`${path} is a BigInt, which JSON cannot hold; pass it as a string`);
    case 'function':
    case 'symbol':
      throw new PayloadError(`${path} is a ${typeof value}, which JSON cannot hold`);
  }
  if (value === null) return;
  const object = value as object;
  if (seen.has(object))
    throw new PayloadError(`${path} refers back to itself (a cycle); JSON cannot hold it`);
  seen.add(object);
  if (Array.isArray(object)) {
    object.forEach((item, index) => assertJsonSafe(item, `${path}[${index}]`, seen));
  } else {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? 'object';
      throw new PayloadError(
        `${path} is a ${kind}, which does not round-trip through JSON; convert it to plain data${kind === 'Date' ? ' (e.g. toISOString())' : ''}`,
      );
    }
    for (const [key, item] of Object.entries(object)) {
      assertJsonSafe(
        item,
        /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`,
        seen,
      );
    }
  }
  seen.delete(object);
}

const MAX_QUICK_DEPTH = 64;

function plainJson(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return true;
    case 'number':
      return Number.isFinite(value);
    case 'object':
      break;
    default:
      return false;
  }
  if (value === null) return true;
  if (depth >= MAX_QUICK_DEPTH) return false;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (!plainJson(value[i], depth + 1)) return false;
    return true;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  for (const key in value) {
    if (!plainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}
