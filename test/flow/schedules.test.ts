/**
 * Cron schedules on both stores, with a controlled clock: 3 schedulers (3 connections, as 3
 * workers would have) race on every step across the DST changes of America/New_York, and each
 * tick becomes exactly one job. Catch-up after downtime: none skips, latest enqueues one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { Scheduler } from '../../src/maintenance/scheduler.js';
import { requirePostgres } from '../postgres/pg-helpers.js';
import { waitUntil } from '../store/conformance-helpers.js';
import { FLOW_DBS, type FlowDb } from './flow-helpers.js';

beforeAll(requirePostgres);

const MINUTE = 60_000;

/** Opens `count` queues (as many workers would) on a fresh database of `target`; drops it after. */
async function withQueues<T>(
  target: FlowDb,
  count: number,
  fn: (queues: JobQueue[]) => Promise<T>,
): Promise<T> {
  const { db, drop } = await target.create();
  const queues: JobQueue[] = [];
  try {
    for (let i = 0; i < count; i++) queues.push(await JobQueue.open({ db }));
    return await fn(queues);
  } finally {
    for (const queue of queues) await queue.close();
    await drop();
  }
}

/** Steps a shared clock from `from` to `to`; at every step all schedulers run one pass at once. */
async function race(queues: JobQueue[], from: string, to: string, stepMs: number): Promise<number> {
  let clock = new Date(from);
  const schedulers = queues.map((queue) => new Scheduler(queue.store, { now: () => clock }));
  let fired = 0;
  for (; clock.getTime() <= new Date(to).getTime(); clock = new Date(clock.getTime() + stepMs)) {
    const passes = await Promise.all(schedulers.map((scheduler) => scheduler.tick()));
    fired += passes.flat().length;
  }
  return fired;
}

async function ticksOf(queue: JobQueue, name: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const job of queue.listAll({ queue: 'cron' })) {
    if (job.key?.startsWith(`schedule:${name}:`))
      keys.push(job.key.slice(`schedule:${name}:`.length));
  }
  return keys;
}

for (const target of FLOW_DBS) {
  describe(`cron schedules: ${target.name}`, () => {
    it('fires every tick exactly once with 3 schedulers racing across spring-forward and fall-back', async () => {
      await withQueues(target, 3, async (queues) => {
        const api = queues[0]!.schedules;
        await api.add('hourly', {
          cron: '0 * * * *',
          queue: 'cron',
          tz: 'America/New_York',
          catchUp: 'latest',
        });
        await api.add('daily', { cron: '30 2 * * *', queue: 'cron', tz: 'America/New_York' });
        await api.add('late-night', {
          cron: '30 1 * * *',
          queue: 'cron',
          tz: 'America/New_York',
        });
        // Spring forward, 2027-03-14: 02:00 EST becomes 03:00 EDT (07:00Z).
        const spring = await race(
          queues,
          '2027-03-14T04:00:00Z',
          '2027-03-14T10:00:00Z',
          10 * MINUTE,
        );
        // Fall back, 2027-11-07: 02:00 EDT becomes 01:00 EST, so 01:xx happens twice.
        const fall = await race(
          queues,
          '2027-11-07T03:00:00Z',
          '2027-11-07T08:00:00Z',
          10 * MINUTE,
        );
        const hourly = await ticksOf(queues[0]!, 'hourly');
        expect(hourly).toEqual([
          // 23:00 EST, 00:00, 01:00 EST, then 03:00 EDT: no 02:00 that day, still hourly in UTC.
          '2027-03-14T04:00:00.000Z',
          '2027-03-14T05:00:00.000Z',
          '2027-03-14T06:00:00.000Z',
          '2027-03-14T07:00:00.000Z',
          '2027-03-14T08:00:00.000Z',
          '2027-03-14T09:00:00.000Z',
          '2027-03-14T10:00:00.000Z',
          // 23:00 EDT, 00:00 EDT, 01:00 EDT, 01:00 EST, 02:00 EST, 03:00 EST.
          '2027-11-07T03:00:00.000Z',
          '2027-11-07T04:00:00.000Z',
          '2027-11-07T05:00:00.000Z',
          '2027-11-07T06:00:00.000Z',
          '2027-11-07T07:00:00.000Z',
          '2027-11-07T08:00:00.000Z',
        ]);
        // 02:30 does not exist on 2027-03-14: it runs once, at 03:30 EDT. Catch-up none: the 02:30
        // of the day before, 20 h late at the first pass, is skipped.
        expect(await ticksOf(queues[0]!, 'daily')).toEqual([
          '2027-03-14T07:30:00.000Z',
          '2027-11-07T07:30:00.000Z',
        ]);
        // 01:30 happens twice on 2027-11-07; the job runs once.
        const lateNight = await ticksOf(queues[0]!, 'late-night');
        expect(lateNight.filter((tick) => tick.startsWith('2027-11-07'))).toHaveLength(1);
        expect(spring + fall).toBe(hourly.length + 2 + lateNight.length);
      });
    });

    it('after downtime, catch-up none skips the missed ticks and latest enqueues only the latest', async () => {
      await withQueues(target, 1, async ([queue]) => {
        await queue!.schedules.add('skip', {
          cron: '*/15 * * * *',
          queue: 'cron',
          catchUp: 'none',
        });
        await queue!.schedules.add('latest', {
          cron: '*/15 * * * *',
          queue: 'cron',
          catchUp: 'latest',
        });
        await race([queue!], '2027-01-01T00:00:00Z', '2027-01-01T00:00:00Z', MINUTE);
        // Down from 00:00 to 02:07: eight ticks missed.
        await race([queue!], '2027-01-01T02:07:00Z', '2027-01-01T02:16:00Z', MINUTE);
        expect(await ticksOf(queue!, 'skip')).toEqual([
          '2027-01-01T00:00:00.000Z',
          '2027-01-01T02:15:00.000Z',
        ]);
        expect(await ticksOf(queue!, 'latest')).toEqual([
          '2027-01-01T00:00:00.000Z',
          '2027-01-01T02:00:00.000Z',
          '2027-01-01T02:15:00.000Z',
        ]);
        const [latest] = (await queue!.schedules.list()).filter((s) => s.name === 'latest');
        expect(latest!.lastTick?.toISOString()).toBe('2027-01-01T02:15:00.000Z');
        expect(latest!.nextRunAt).toBeInstanceOf(Date);
      });
    });

    it('refuses a bad cron expression, time zone or catch-up with a clear error', async () => {
      await withQueues(target, 1, async ([queue]) => {
        await expect(queue!.schedules.add('x', { cron: 'every day', queue: 'q' })).rejects.toThrow(
          /`cron`.*"every day"/,
        );
        await expect(
          queue!.schedules.add('x', { cron: '0 3 * * *', queue: 'q', tz: 'Mars/Base' }),
        ).rejects.toThrow(/IANA time zone/);
        await expect(
          queue!.schedules.add('x', { cron: '0 3 * * *', queue: 'q', catchUp: 'all' as 'none' }),
        ).rejects.toThrow(/`catchUp` to be none or latest/);
        expect(await queue!.schedules.list()).toEqual([]);
      });
    });
  });
}

for (const target of FLOW_DBS) {
  describe(`schedules in running workers: ${target.name}`, () => {
    it('two workers on the real clock enqueue each tick of an every-second schedule once', async () => {
      await withQueues(target, 2, async (queues) => {
        await queues[0]!.schedules.add('every-second', {
          cron: '* * * * * *',
          queue: 'ticks',
          payload: { from: 'cron' },
        });
        const seen: string[] = [];
        const workers = queues.map((queue) =>
          queue.work('ticks', (job) => void seen.push(job.key!), { pollInterval: 50 }),
        );
        try {
          await waitUntil(() => seen.length >= 3, 'three ticks ran', 15_000);
        } finally {
          await Promise.all(workers.map((worker) => worker.stop()));
        }
        const keys: string[] = [];
        for await (const job of queues[0]!.listAll({ queue: 'ticks' })) keys.push(job.key!);
        expect(new Set(keys).size).toBe(keys.length);
        expect(new Set(seen).size).toBe(seen.length);
        for (const key of keys)
          expect(key).toMatch(/^schedule:every-second:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      });
    });
  });
}
