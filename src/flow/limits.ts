/**
 * Queue settings from the client's side: parsing and validating limits, and pause/resume.
 * The store keeps them and its claim enforces them; this file only checks what users give.
 */
import { ValidationError } from '../errors.js';
import { assertInteger, assertName, describe } from '../options.js';
import type {
  BatchCallback,
  QueueConfig,
  QueueConfigChanges,
  RateLimit,
  Store,
} from '../store/store.js';
import { toJsonText } from '../util/json.js';
import { defaultQueueConfig } from '../store/flow.js';
import { parseDuration } from '../util/duration.js';

/** A rate as `N/duration` (`10/1s`, `100/5m`) or `{ limit, interval }`; null clears it. */
export type RateInput = string | { limit: number; interval: number | string } | null;

export interface QueueLimits {
  /** Jobs of one concurrency key running at once across every worker; null clears it. */
  perKeyConcurrency?: number | null;
  /** Job starts of the queue per interval, e.g. `10/1s`; null clears it. */
  rate?: RateInput;
  /** Job starts per concurrency key per interval; null clears it. */
  perKeyRate?: RateInput;
}

/** Parses `N/duration`; the error names `what` and shows the expected form. */
export function parseRate(input: RateInput, what: string): RateLimit | null {
  if (input === null) return null;
  let limit: unknown;
  let interval: unknown;
  if (typeof input === 'string') {
    const match = /^\s*([^/]*)\/(.*)$/.exec(input);
    if (!match) {
      throw new ValidationError(
        `Expected ${what} to be N/duration such as 10/1s or 100/5m, got ${JSON.stringify(input)}`,
      );
    }
    limit = /^\s*\d+\s*$/.test(match[1]!) ? Number(match[1]) : Number.NaN;
    interval = match[2]!;
  } else if (typeof input === 'object' && input !== null) {
    limit = input.limit;
    interval = input.interval;
  } else {
    throw new ValidationError(
      `Expected ${what} to be N/duration such as 10/1s, got ${describe(input)}`,
    );
  }
  if (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 1 || limit > 1_000_000) {
    throw new ValidationError(
      `Expected the count in ${what} to be a whole number from 1 to 1000000, got ${JSON.stringify(input)}`,
    );
  }
  if (typeof interval !== 'string' && typeof interval !== 'number') {
    throw new ValidationError(
      `Expected the interval in ${what} to be a duration like 1s or 5m, got ${describe(interval)}`,
    );
  }
  const intervalMs = parseDuration(interval, `the interval in ${what}`);
  if (intervalMs < 1 || intervalMs > 7 * 86_400_000) {
    throw new ValidationError(
      `Expected the interval in ${what} to be from 1ms to 7d, got ${JSON.stringify(input)}`,
    );
  }
  return { limit, intervalMs };
}

/** `10/1s`, `3/1m`, `5/400ms`: the form `parseRate` reads back. */
export function formatRate(rate: RateLimit | null): string {
  if (rate === null) return '-';
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1_000],
  ];
  const [unit, ms] = units.find(([, size]) => rate.intervalMs % size === 0) ?? ['ms', 1];
  return `${rate.limit}/${rate.intervalMs / ms}${unit}`;
}

export function toChanges(limits: QueueLimits): QueueConfigChanges {
  if (limits === null || typeof limits !== 'object') {
    throw new ValidationError(`Expected the queue limits to be an object, got ${describe(limits)}`);
  }
  const changes: QueueConfigChanges = {};
  if (limits.perKeyConcurrency !== undefined) {
    changes.perKeyConcurrency =
      limits.perKeyConcurrency === null
        ? null
        : assertInteger(limits.perKeyConcurrency, 'perKeyConcurrency', 1, 100_000);
  }
  if (limits.rate !== undefined) changes.rate = parseRate(limits.rate, '`rate`');
  if (limits.perKeyRate !== undefined)
    changes.perKeyRate = parseRate(limits.perKeyRate, '`perKeyRate`');
  return changes;
}

function flowStore(store: Store): Required<Pick<Store, 'setQueueConfig' | 'listQueueConfigs'>> {
  if (!store.setQueueConfig || !store.listQueueConfigs) {
    throw new ValidationError(
      `${store.description} does not support queue settings (pause, limits)`,
    );
  }
  return {
    setQueueConfig: store.setQueueConfig.bind(store),
    listQueueConfigs: store.listQueueConfigs.bind(store),
  };
}

export async function configureQueue(
  store: Store,
  queue: string,
  changes: QueueConfigChanges,
): Promise<QueueConfig> {
  return flowStore(store).setQueueConfig({ queue: assertName(queue, 'queue'), changes });
}

export async function queueConfigs(store: Store): Promise<QueueConfig[]> {
  return flowStore(store).listQueueConfigs();
}

/** A queue's settings; an unconfigured queue has the defaults (not paused, no limits). */
export async function queueConfig(store: Store, queue: string): Promise<QueueConfig> {
  assertName(queue, 'queue');
  const found = (await queueConfigs(store)).find((config) => config.queue === queue);
  return found ?? defaultQueueConfig(queue, await store.now());
}

export async function runningByKey(
  store: Store,
  queue: string,
): Promise<Array<{ key: string; running: number }>> {
  assertName(queue, 'queue');
  return store.runningByKey ? store.runningByKey({ queue }) : [];
}

export interface BatchCompleteOptions {
  /** Queue of the follow-up job. */
  queue: string;
  /** Handed to the follow-up job as `payload`. Default null. */
  payload?: unknown;
}

/** Checks a batch callback (`queue.onBatchComplete`) and that the store supports it. */
export function batchCallback(
  store: Store,
  options: BatchCompleteOptions,
  maxBytes: number,
): BatchCallback {
  if (!store.setBatchCallback) {
    throw new ValidationError(`${store.description} does not support batch callbacks`);
  }
  if (options === null || typeof options !== 'object') {
    throw new ValidationError(
      `Expected \`options\` to be an object with a \`queue\`, got ${describe(options)}`,
    );
  }
  return {
    queue: assertName(options.queue, 'options.queue'),
    payload: toJsonText(options.payload ?? null, 'options.payload', maxBytes),
  };
}
