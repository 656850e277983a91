/**
 * Cron schedules from the client's side: validation, next run times, and which tick is due.
 * Uses `cron-parser` (5-field, or 6 with seconds first), evaluated in the schedule's time zone,
 * so DST is the library's: a tick in a skipped hour runs at the shifted time, an hourly
 * schedule still ticks every hour through a repeated one.
 */
import { CronExpressionParser } from 'cron-parser';
import { ValidationError } from '../errors.js';
import { assertName, describe } from '../options.js';
import type { CatchUp, NewSchedule, Schedule, Store } from '../store/store.js';
import { toJsonText } from '../util/json.js';

export interface ScheduleOptions {
  cron: string;
  queue: string;
  payload?: unknown;
  /** IANA time zone, e.g. America/Phoenix. Default: UTC. */
  tz?: string;
  /** After downtime: `none` skips missed ticks, `latest` enqueues the latest missed one. Default `none`. */
  catchUp?: CatchUp;
}

export interface ScheduleInfo extends Schedule {
  /** The next tick after now (or after the last tick, if that is later). */
  nextRunAt: Date | null;
}

/**
 * A tick counts as on time (not missed) while it is at most this late. The scheduler looks
 * every second, so 60 s leaves room for a busy machine without firing yesterday's tick.
 */
export const ON_TIME_MS = 60_000;

function parse(cron: string, tz: string | null, from: Date) {
  return CronExpressionParser.parse(cron, { currentDate: from, tz: tz ?? 'UTC' });
}

export function validateSchedule(
  name: string,
  options: ScheduleOptions,
  maxBytes: number,
): NewSchedule {
  assertName(name, 'name');
  if (options === null || typeof options !== 'object') {
    throw new ValidationError(
      `Expected the schedule options to be an object, got ${describe(options)}`,
    );
  }
  const tz = options.tz ?? null;
  if (tz !== null) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: assertName(tz, 'tz') });
    } catch {
      throw new ValidationError(
        `Expected \`tz\` to be an IANA time zone such as America/Phoenix, got ${describe(tz)}`,
      );
    }
  }
  if (typeof options.cron !== 'string' || options.cron.trim() === '') {
    throw new ValidationError(
      `Expected \`cron\` to be a cron expression such as "0 3 * * *", got ${describe(options.cron)}`,
    );
  }
  try {
    parse(options.cron, tz, new Date()).next();
  } catch (error) {
    throw new ValidationError(
      `Expected \`cron\` to be a cron expression such as "0 3 * * *" (minute hour day month weekday), got ${JSON.stringify(options.cron)}: ${(error as Error).message}`,
    );
  }
  const catchUp = options.catchUp ?? 'none';
  if (catchUp !== 'none' && catchUp !== 'latest') {
    throw new ValidationError(
      `Expected \`catchUp\` to be none or latest, got ${describe(catchUp)}`,
    );
  }
  return {
    name,
    cron: options.cron.trim(),
    tz,
    queue: assertName(options.queue, 'queue'),
    payload: toJsonText(options.payload ?? {}, 'payload', maxBytes),
    catchUp,
  };
}

export function nextRun(schedule: Schedule, now: Date): Date | null {
  const from = schedule.lastTick && schedule.lastTick > now ? schedule.lastTick : now;
  try {
    return parse(schedule.cron, schedule.tz, from).next().toDate();
  } catch {
    return null;
  }
}

/**
 * The tick to act on now, if any: the latest tick due after the last one handled (or after
 * the schedule was created). `enqueue` false means it is only recorded: catch-up `none` and the
 * tick is more than ON_TIME_MS late. Earlier missed ticks are never enqueued.
 */
export function dueTick(schedule: Schedule, now: Date): { tick: Date; enqueue: boolean } | null {
  const anchor = schedule.lastTick ?? schedule.createdAt;
  // next() is the library's reference walk: a tick in a skipped hour moves to the shifted time,
  // and a repeated hour ticks once. prev() differs at both, so it only shortens a long walk after
  // downtime: the walk starts a day before prev()'s answer (DST changes are a day apart at least),
  // or at the last tick handled, whichever is later.
  let from = anchor;
  try {
    const previous = parse(schedule.cron, schedule.tz, new Date(now.getTime() + 1))
      .prev()
      .toDate();
    const start = previous.getTime() - 86_400_000;
    if (start > from.getTime()) from = new Date(start);
  } catch {
    // No tick before now: walk from the anchor.
  }
  let tick: Date | null = null;
  try {
    const walk = parse(schedule.cron, schedule.tz, from);
    for (let step = 0; step < 10_000; step += 1) {
      const next = walk.next().toDate();
      if (next.getTime() > now.getTime()) break;
      tick = next;
    }
  } catch {
    return null;
  }
  if (tick === null || tick.getTime() <= anchor.getTime()) return null;
  const late = now.getTime() - tick.getTime();
  return { tick, enqueue: schedule.catchUp === 'latest' || late <= ON_TIME_MS };
}

export function scheduleJobKey(name: string, tick: Date): string {
  return `schedule:${name}:${tick.toISOString()}`;
}

/** `queue.schedules`: add, list and remove cron schedules (stored in the database). */
export class Schedules {
  readonly #store: Store;
  readonly #maxBytes: number;

  constructor(store: Store, maxBytes: number) {
    this.#store = store;
    this.#maxBytes = maxBytes;
  }

  #need<K extends 'upsertSchedule' | 'listSchedules' | 'removeSchedule'>(
    name: K,
  ): NonNullable<Store[K]> {
    const method = this.#store[name];
    if (!method) throw new ValidationError(`${this.#store.description} does not support schedules`);
    return (method as (...args: never[]) => unknown).bind(this.#store) as NonNullable<Store[K]>;
  }

  /** Adds or replaces a schedule; a replaced one keeps its last tick, so no tick fires twice. */
  async add(name: string, options: ScheduleOptions): Promise<ScheduleInfo> {
    const saved = await this.#need('upsertSchedule')(
      validateSchedule(name, options, this.#maxBytes),
    );
    return { ...saved, nextRunAt: nextRun(saved, await this.#store.now()) };
  }

  async list(): Promise<ScheduleInfo[]> {
    const [all, now] = await Promise.all([this.#need('listSchedules')(), this.#store.now()]);
    return all.map((schedule) => ({ ...schedule, nextRunAt: nextRun(schedule, now) }));
  }

  /** Returns whether a schedule of that name existed. */
  async remove(name: string): Promise<boolean> {
    return this.#need('removeSchedule')(assertName(name, 'name'));
  }
}
