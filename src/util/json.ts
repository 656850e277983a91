import { PayloadError } from '../errors.js';

/**
 * Serialises a payload or result, refusing anything that would not come back the same from
 * JSON.parse: functions, symbols, undefined, BigInt, NaN and Infinity, class instances
 * (Date, Map, Set, Buffer...) and cycles. The error names the path, e.g. `payload.items[2].when`.
 */
export function toJsonText(value: unknown, what: string, maxBytes: number): string {
  assertJsonSafe(value, what, new Set());
  const text = JSON.stringify(value);
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
