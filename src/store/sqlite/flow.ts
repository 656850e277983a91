/**
 * Queue settings (pause, limits) and the claim of a queue with limits. Everything here runs
 * inside the claim's BEGIN IMMEDIATE: SQLite has one writer, so the counts read here cannot
 * change before this transaction's own claims are written; the limits are exact.
 */
import type { ClaimedJob } from '../store.js';
import {
  ClaimBudget,
  ClaimRounds,
  applyChanges,
  defaultQueueConfig,
  noteThrottled,
  isLimited,
  type QueueConfig,
  type QueueConfigChanges,
} from '../flow.js';
import type { Connection } from './connection.js';
import { claimRow } from './leases.js';

interface QueueRow {
  name: string;
  paused: number;
  per_key_concurrency: number | null;
  rate_limit: number | null;
  rate_interval_ms: number | null;
  per_key_rate_limit: number | null;
  per_key_rate_interval_ms: number | null;
  updated_at: number;
}

function toConfig(row: QueueRow): QueueConfig {
  return {
    queue: row.name,
    paused: row.paused !== 0,
    perKeyConcurrency: row.per_key_concurrency,
    rate:
      row.rate_limit === null ? null : { limit: row.rate_limit, intervalMs: row.rate_interval_ms! },
    perKeyRate:
      row.per_key_rate_limit === null
        ? null
        : { limit: row.per_key_rate_limit, intervalMs: row.per_key_rate_interval_ms! },
    updatedAt: new Date(row.updated_at),
  };
}

const CONFIG = `SELECT * FROM queues WHERE name = ?`;

export function listQueueConfigs(conn: Connection): QueueConfig[] {
  return conn.prepare<QueueRow>(`SELECT * FROM queues ORDER BY name`).all().map(toConfig);
}

export function setQueueConfig(
  conn: Connection,
  queue: string,
  changes: QueueConfigChanges,
): QueueConfig {
  return conn.immediate(() => {
    const now = new Date();
    const row = conn.prepare<QueueRow>(CONFIG).get(queue);
    const next = applyChanges(row ? toConfig(row) : defaultQueueConfig(queue, now), changes, now);
    conn
      .prepare(
        `INSERT INTO queues (name, paused, per_key_concurrency, rate_limit, rate_interval_ms, per_key_rate_limit, per_key_rate_interval_ms, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET paused = excluded.paused, per_key_concurrency = excluded.per_key_concurrency,
           rate_limit = excluded.rate_limit, rate_interval_ms = excluded.rate_interval_ms,
           per_key_rate_limit = excluded.per_key_rate_limit, per_key_rate_interval_ms = excluded.per_key_rate_interval_ms,
           updated_at = excluded.updated_at`,
      )
      .run(
        queue,
        next.paused ? 1 : 0,
        next.perKeyConcurrency,
        next.rate?.limit ?? null,
        next.rate?.intervalMs ?? null,
        next.perKeyRate?.limit ?? null,
        next.perKeyRate?.intervalMs ?? null,
        now.getTime(),
      );
    return next;
  });
}

/** The claim's queues without the paused ones, split into those without and with limits. */
export function splitQueues(
  conn: Connection,
  queues: string[],
): { plain: string[]; limited: QueueConfig[] } {
  const plain: string[] = [];
  const limited: QueueConfig[] = [];
  for (const queue of new Set(queues)) {
    const row = conn.prepare<QueueRow>(CONFIG).get(queue);
    const config = row ? toConfig(row) : undefined;
    if (config?.paused) continue;
    if (config && isLimited(config)) limited.push(config);
    else plain.push(queue);
  }
  return { plain, limited };
}

const RUNNING_BY_KEY = `
  SELECT concurrency_key AS key, count(*) AS n FROM jobs
  WHERE queue = ? AND status = 'running' AND concurrency_key IS NOT NULL
  GROUP BY concurrency_key`;

export function runningByKey(
  conn: Connection,
  queue: string,
): Array<{ key: string; running: number }> {
  return conn
    .prepare<{ key: string; n: number }>(RUNNING_BY_KEY)
    .all(queue)
    .map((row) => ({ key: row.key, running: row.n }));
}

// Starts are the attempts rows (one per claim, kept with the job), so the limiter needs no
// writes of its own and survives restarts. attempts_started bounds the scan to the window.
const QUEUE_STARTS = `
  SELECT count(*) FROM attempts a JOIN jobs j ON j.id = a.job_id
  WHERE a.started_at > ? AND j.queue = ?`;
const KEY_STARTS = `
  SELECT j.concurrency_key AS key, count(*) AS n FROM attempts a JOIN jobs j ON j.id = a.job_id
  WHERE a.started_at > ? AND j.queue = ? AND j.concurrency_key IS NOT NULL
  GROUP BY j.concurrency_key`;

// Claim order per status, as leases.ts, leaving out the blocked keys (a JSON array).
const READY_FLOW = (status: 'retrying' | 'pending') => `
  SELECT id, concurrency_key AS concurrencyKey FROM jobs
  WHERE queue = ? AND status = '${status}' AND status IN ('pending','retrying') AND run_at <= ?
    AND (concurrency_key IS NULL OR concurrency_key NOT IN (SELECT value FROM json_each(?)))
  ORDER BY priority DESC, id
  LIMIT +?`;

interface FlowCandidate {
  id: number;
  concurrencyKey: string | null;
}

export function claimLimited(
  conn: Connection,
  config: QueueConfig,
  params: { limit: number; workerId: string; leaseMs: number },
  now: number,
): ClaimedJob[] {
  const queue = config.queue;
  const runningMap = new Map<string, number>();
  if (config.perKeyConcurrency !== null) {
    for (const row of runningByKey(conn, queue)) runningMap.set(row.key, row.running);
  }
  const queueStarts =
    config.rate === null
      ? 0
      : (conn
          .prepare(QUEUE_STARTS)
          .pluck()
          .get(now - config.rate.intervalMs, queue) as number);
  const keyStarts = new Map<string, number>();
  if (config.perKeyRate !== null) {
    for (const row of conn
      .prepare<{ key: string; n: number }>(KEY_STARTS)
      .all(now - config.perKeyRate.intervalMs, queue)) {
      keyStarts.set(row.key, row.n);
    }
  }
  const budget = new ClaimBudget(config, { runningByKey: runningMap, queueStarts, keyStarts });
  const rounds = new ClaimRounds(budget, params.limit);
  const claimed: ClaimedJob[] = [];
  for (let round = rounds.next(); round; round = rounds.next()) {
    const blocked = JSON.stringify(round.blockedKeys);
    const read = conn
      .prepare<FlowCandidate>(READY_FLOW('retrying'))
      .all(queue, now, blocked, round.want);
    if (read.length < round.want) {
      read.push(
        ...conn
          .prepare<FlowCandidate>(READY_FLOW('pending'))
          .all(queue, now, blocked, round.want - read.length),
      );
    }
    for (const candidate of rounds.accept(read)) {
      const job = claimRow(conn, candidate.id, params.workerId, params.leaseMs, now);
      if (job) claimed.push(job);
    }
  }
  if (budget.throttled) noteThrottled(queue);
  return claimed;
}
