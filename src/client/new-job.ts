import { ValidationError } from '../errors.js';
import { DEFAULTS, assertInteger, assertName, describe, resolveDuration } from '../options.js';
import type { NewJob } from '../store/store.js';
import { toJsonText } from '../util/json.js';
import type { EnqueueItem, EnqueueOptions } from './options.js';

/** Validates and serialises one job; `prefix` locates it in a list for error messages. */
export function toNewJob(
  queue: string,
  payload: unknown,
  options: EnqueueOptions,
  maxPayloadBytes: number,
  prefix = '',
): NewJob {
  assertName(queue, `${prefix}queue`);
  if (options === null || typeof options !== 'object') {
    throw new ValidationError(
      `Expected \`${prefix}options\` to be an object, got ${describe(options)}`,
    );
  }
  if (options.delay !== undefined && options.runAt !== undefined) {
    throw new ValidationError(`Give \`${prefix}delay\` or \`${prefix}runAt\`, not both`);
  }
  let runAt: Date | null = null;
  if (options.runAt !== undefined) {
    if (!(options.runAt instanceof Date) || Number.isNaN(options.runAt.getTime())) {
      throw new ValidationError(
        `Expected \`${prefix}runAt\` to be a valid Date, got ${describe(options.runAt)}`,
      );
    }
    runAt = options.runAt;
  } else if (options.delay !== undefined) {
    runAt = new Date(Date.now() + resolveDuration(options.delay, `${prefix}delay`, 0));
  }
  const timeoutMs =
    options.timeout === undefined ? null : resolveDuration(options.timeout, `${prefix}timeout`, 0);
  if (timeoutMs !== null && timeoutMs < 1) {
    throw new ValidationError(
      `Expected \`${prefix}timeout\` to be at least 1ms, got ${describe(options.timeout)}`,
    );
  }
  return {
    queue,
    key: options.key === undefined ? null : assertName(options.key, `${prefix}key`),
    payload: toJsonText(payload, `${prefix}payload`, maxPayloadBytes),
    priority:
      options.priority === undefined
        ? DEFAULTS.priority
        : assertInteger(options.priority, `${prefix}priority`, -1_000_000, 1_000_000),
    runAt,
    maxAttempts:
      options.maxAttempts === undefined
        ? DEFAULTS.maxAttempts
        : assertInteger(options.maxAttempts, `${prefix}maxAttempts`, 1, 1_000),
    timeoutMs,
    batchName: options.batch === undefined ? null : assertName(options.batch, `${prefix}batch`),
    concurrencyKey:
      options.concurrencyKey === undefined
        ? null
        : assertName(options.concurrencyKey, `${prefix}concurrencyKey`),
  };
}

/** Validates a stream of items into chunks of jobs, so an import of any size stays in bounded memory. */
export async function* newJobChunks(
  items: AsyncIterable<EnqueueItem>,
  size: number,
  toJob: (item: EnqueueItem) => NewJob,
): AsyncGenerator<NewJob[]> {
  let chunk: NewJob[] = [];
  for await (const item of items) {
    chunk.push(toJob(item));
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}
