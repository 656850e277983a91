/**
 * Cron schedules: stored definitions, and the compare-and-set that makes one tick one job.
 * Which tick is due is decided by the scheduler (src/maintenance/scheduler.ts), not here.
 */
import type { Job } from '../../../types.js';
import type { NewSchedule, Schedule } from '../../flow.js';
import type { NewJob } from '../../store.js';
import type { Queryable } from '../connection.js';
import { toDate, type Row } from '../rows.js';
import { insertJob } from './enqueue.js';

function toSchedule(row: Row): Schedule {
  return {
    name: row.name as string,
    cron: row.cron as string,
    tz: (row.tz as string | null) ?? null,
    queue: row.queue as string,
    payload: row.payload as string,
    catchUp: row.catch_up as Schedule['catchUp'],
    createdAt: toDate(row.created_at),
    lastTick: row.last_tick === null ? null : toDate(row.last_tick),
  };
}

/** Replacing a schedule keeps its last tick, so a re-add does not fire a tick again. */
export async function upsertSchedule(
  client: Queryable,
  s: string,
  schedule: NewSchedule,
): Promise<Schedule> {
  const result = await client.query<Row>(
    `insert into ${s}.schedules (name, cron, tz, queue, payload, catch_up) values ($1, $2, $3, $4, $5, $6)
     on conflict (name) do update set cron = excluded.cron, tz = excluded.tz, queue = excluded.queue,
       payload = excluded.payload, catch_up = excluded.catch_up
     returning *`,
    [schedule.name, schedule.cron, schedule.tz, schedule.queue, schedule.payload, schedule.catchUp],
  );
  return toSchedule(result.rows[0]!);
}

export async function listSchedules(client: Queryable, s: string): Promise<Schedule[]> {
  return (await client.query<Row>(`select * from ${s}.schedules order by name`)).rows.map(
    toSchedule,
  );
}

export async function removeSchedule(client: Queryable, s: string, name: string): Promise<boolean> {
  return (
    ((await client.query(`delete from ${s}.schedules where name = $1`, [name])).rowCount ?? 0) === 1
  );
}

/** Call inside a transaction: the conditional update locks the row, so one racer wins each tick. */
export async function fireSchedule(
  client: Queryable,
  s: string,
  params: { name: string; tick: Date; job: NewJob | null },
): Promise<{ fired: boolean; job: Job | null }> {
  const won = await client.query(
    `update ${s}.schedules set last_tick = $2 where name = $1 and (last_tick is null or last_tick < $2)`,
    [params.name, params.tick],
  );
  if ((won.rowCount ?? 0) !== 1) return { fired: false, job: null };
  if (params.job === null) return { fired: true, job: null };
  const { job } = await insertJob(client, s, params.job, null);
  return { fired: true, job };
}
