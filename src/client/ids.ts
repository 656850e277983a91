import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { ValidationError } from '../errors.js';
import { describe } from '../options.js';

export function assertId(id: unknown, name = 'id'): string {
  const text = typeof id === 'number' ? String(id) : id;
  if (typeof text !== 'string' || !/^[1-9]\d{0,17}$/.test(text)) {
    throw new ValidationError(
      `Expected \`${name}\` to be a job id (a positive whole number), got ${describe(id)}`,
    );
  }
  return text;
}

/** A worker id unique per process and executor: host, pid and a random tail. */
export function newWorkerId(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
}
