/**
 * Cron schedules: stored definitions, and the compare-and-set that makes one tick one job.
 * Which tick is due is decided by the scheduler (src/maintenance/scheduler.ts), not here.
 */
import type { Job } from '../../types.js';
import type { NewSchedule, Schedule } from '../flow.js';
import type { NewJob } from '../store.js';
import type { Connection } from './connection.js';
import { insertJob } from './enqueue.js';
import { toJob } from './rows.js';

interface ScheduleRow {
  name: string;
  cron: string;
  tz: string | null;
  queue: string;
  payload: string;
  catch_up: 'none' | 'latest';
  created_at: number;
  last_tick: number | null;
}

function toSchedule(row: ScheduleRow): Schedule {
  return {
    name: row.name,
    cron: row.cron,
    tz: row.tz,
    queue: row.queue,
    payload: row.payload,
    catchUp: row.catch_up,
    createdAt: new Date(row.created_at),
    lastTick: row.last_tick === null ? null : new Date(row.last_tick),
  };
}

/** Replacing a schedule keeps its last tick, so a re-add does not fire a tick again. */
export function upsertSchedule(conn: Connection, schedule: NewSchedule): Schedule {
  return conn.immediate(() => {
    conn
      .prepare(
        `INSERT INTO schedules (name, cron, tz, queue, payload, catch_up, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET cron = excluded.cron, tz = excluded.tz, queue = excluded.queue,
           payload = excluded.payload, catch_up = excluded.catch_up`,
      )
      .run(
        schedule.name,
        schedule.cron,
        schedule.tz,
        schedule.queue,
        schedule.payload,
        schedule.catchUp,
        Date.now(),
      );
    return toSchedule(
      conn.prepare<ScheduleRow>(`SELECT * FROM schedules WHERE name = ?`).get(schedule.name)!,
    );
  });
}

export function listSchedules(conn: Connection): Schedule[] {
  return conn.prepare<ScheduleRow>(`SELECT * FROM schedules ORDER BY name`).all().map(toSchedule);
}

export function removeSchedule(conn: Connection, name: string): boolean {
  return conn.immediate(
    () => conn.prepare(`DELETE FROM schedules WHERE name = ?`).run(name).changes === 1,
  );
}

export function fireSchedule(
  conn: Connection,
  params: { name: string; tick: Date; job: NewJob | null },
): { fired: boolean; job: Job | null } {
  return conn.immediate(() => {
    const tick = params.tick.getTime();
    const won = conn
      .prepare(
        `UPDATE schedules SET last_tick = ? WHERE name = ? AND (last_tick IS NULL OR last_tick < ?)`,
      )
      .run(tick, params.name, tick).changes;
    if (won !== 1) return { fired: false, job: null };
    if (params.job === null) return { fired: true, job: null };
    const { row } = insertJob(conn, params.job, Date.now(), new Map());
    return { fired: true, job: toJob(row) };
  });
}
