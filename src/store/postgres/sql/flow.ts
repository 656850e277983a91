/**
 * Queue settings (pause, limits) and the claim of a queue with limits.
 *
 * Under read committed two claimers could each count 1 running job of a key and both start
 * one more, so a limited queue's claim takes a transaction-scoped advisory lock on the queue
 * first: its claims run one at a time, each sees the previous one's committed rows (every
 * statement of read committed takes a fresh snapshot), and the lock goes with the commit.
 * Claims of queues without limits never take it. Start times are read after the lock
 * (clock_timestamp, not the transaction's now()), so the recorded starts are in lock order.
 */
import type { ClaimedJob } from '../../store.js';
import {
  ClaimBudget,
  ClaimRounds,
  applyChanges,
  defaultQueueConfig,
  noteThrottled,
  type QueueConfig,
  type QueueConfigChanges,
} from '../../flow.js';
import type { Queryable } from '../connection.js';
import { toClaimedJob, toDate, type Row } from '../rows.js';

/** Second key of the advisory lock is hashtext(schema:queue); the first keeps holdfast's locks apart from an app's. */
const FLOW_LOCK_CLASS = 0x666c6f77; // "flow"

function toConfig(row: Row): QueueConfig {
  const rate = (limit: unknown, interval: unknown) =>
    limit === null ? null : { limit: Number(limit), intervalMs: Number(interval) };
  return {
    queue: row.name as string,
    paused: Boolean(row.paused),
    perKeyConcurrency: row.per_key_concurrency === null ? null : Number(row.per_key_concurrency),
    rate: rate(row.rate_limit, row.rate_interval_ms),
    perKeyRate: rate(row.per_key_rate_limit, row.per_key_rate_interval_ms),
    updatedAt: toDate(row.updated_at),
  };
}

export async function readConfigs(
  client: Queryable,
  s: string,
  queues?: string[],
): Promise<QueueConfig[]> {
  const result =
    queues === undefined
      ? await client.query<Row>(`select * from ${s}.queues order by name`)
      : await client.query<Row>(`select * from ${s}.queues where name = any($1::text[])`, [queues]);
  return result.rows.map(toConfig);
}

/** Call inside a transaction: the row is locked while the change is merged. */
export async function setQueueConfig(
  client: Queryable,
  s: string,
  queue: string,
  changes: QueueConfigChanges,
): Promise<QueueConfig> {
  await client.query(`insert into ${s}.queues (name) values ($1) on conflict (name) do nothing`, [
    queue,
  ]);
  const found = await client.query<Row>(
    `select *, now() as now from ${s}.queues where name = $1 for update`,
    [queue],
  );
  const now = toDate(found.rows[0]!.now);
  const current = found.rows[0] ? toConfig(found.rows[0]) : defaultQueueConfig(queue, now);
  const next = applyChanges(current, changes, now);
  await client.query(
    `update ${s}.queues set paused = $2, per_key_concurrency = $3, rate_limit = $4, rate_interval_ms = $5,
       per_key_rate_limit = $6, per_key_rate_interval_ms = $7, updated_at = now()
     where name = $1`,
    [
      queue,
      next.paused,
      next.perKeyConcurrency,
      next.rate?.limit ?? null,
      next.rate?.intervalMs ?? null,
      next.perKeyRate?.limit ?? null,
      next.perKeyRate?.intervalMs ?? null,
    ],
  );
  return next;
}

/** Names of the queues that have any limit (paused or not): the ones `claimLimited` serves. */
export async function limitedQueues(client: Queryable, s: string): Promise<string[]> {
  const result = await client.query<{ name: string }>(
    `select name from ${s}.queues
     where per_key_concurrency is not null or rate_limit is not null or per_key_rate_limit is not null`,
  );
  return result.rows.map((row) => row.name);
}

export async function runningByKey(
  client: Queryable,
  s: string,
  queue: string,
): Promise<Array<{ key: string; running: number }>> {
  const result = await client.query<{ key: string; n: number }>(
    `select concurrency_key as key, count(*)::int as n from ${s}.jobs
     where queue = $1 and status = 'running' and concurrency_key is not null
     group by concurrency_key`,
    [queue],
  );
  return result.rows.map((row) => ({ key: row.key, running: row.n }));
}

/** Starts are the attempts rows, so the limiter needs no writes of its own and survives restarts. */
async function startsSince(
  client: Queryable,
  s: string,
  queue: string,
  since: Date,
  byKey: boolean,
) {
  const result = await client.query<{ key: string | null; n: number }>(
    byKey
      ? `select j.concurrency_key as key, count(*)::int as n from ${s}.attempts a join ${s}.jobs j on j.id = a.job_id
         where a.started_at > $1 and j.queue = $2 and j.concurrency_key is not null group by j.concurrency_key`
      : `select null as key, count(*)::int as n from ${s}.attempts a join ${s}.jobs j on j.id = a.job_id
         where a.started_at > $1 and j.queue = $2`,
    [since, queue],
  );
  return result.rows;
}

/** Call inside a transaction (the advisory lock is released by its commit). */
export async function claimLimited(
  client: Queryable,
  s: string,
  queue: string,
  params: { limit: number; workerId: string; leaseMs: number },
): Promise<ClaimedJob[]> {
  await client.query(`select pg_advisory_xact_lock($1, hashtext($2))`, [
    FLOW_LOCK_CLASS,
    `${s}:${queue}`,
  ]);
  // The settings as they are under the lock (the caller's list of limited queues may be a second old).
  const config = (await readConfigs(client, s, [queue]))[0];
  if (!config || config.paused) return [];
  const now = toDate((await client.query<Row>(`select clock_timestamp() as now`)).rows[0]!.now);
  const running = new Map<string, number>();
  if (config.perKeyConcurrency !== null) {
    for (const row of await runningByKey(client, s, queue)) running.set(row.key, row.running);
  }
  let queueStarts = 0;
  if (config.rate !== null) {
    const since = new Date(now.getTime() - config.rate.intervalMs);
    queueStarts = (await startsSince(client, s, queue, since, false))[0]?.n ?? 0;
  }
  const keyStarts = new Map<string, number>();
  if (config.perKeyRate !== null) {
    const since = new Date(now.getTime() - config.perKeyRate.intervalMs);
    for (const row of await startsSince(client, s, queue, since, true))
      keyStarts.set(row.key!, row.n);
  }
  const budget = new ClaimBudget(config, { runningByKey: running, queueStarts, keyStarts });
  const rounds = new ClaimRounds(budget, params.limit);
  const claimed: ClaimedJob[] = [];
  for (let round = rounds.next(); round; round = rounds.next()) {
    const read = await client.query<{ id: string; concurrencyKey: string | null }>(
      `select id, concurrency_key as "concurrencyKey" from ${s}.jobs
       where queue = $1 and status in ('pending', 'retrying') and run_at <= $2
         and (concurrency_key is null or not (concurrency_key = any($3::text[])))
       order by (status = 'pending'), priority desc, id
       limit $4
       for update skip locked`,
      [queue, now, round.blockedKeys, round.want],
    );
    const admitted = rounds.accept(read.rows);
    if (admitted.length === 0) continue;
    const ids = admitted.map((row) => String(row.id));
    const result = await client.query<Row>(
      `with claimed as (
         update ${s}.jobs j
         set status = 'running', attempts = j.attempts + 1, worker_id = $2,
             lease_token = gen_random_uuid()::text,
             lease_expires_at = $3::timestamptz + $4::bigint * interval '1 millisecond',
             started_at = coalesce(j.started_at, $3::timestamptz), updated_at = $3::timestamptz
         where j.id = any($1::bigint[]) and j.status in ('pending', 'retrying')
         returning j.*
       ), recorded as (
         insert into ${s}.attempts (job_id, attempt, worker_id, lease_token, started_at, outcome)
         select id, attempts, worker_id, lease_token, $3::timestamptz, 'running' from claimed
       )
       select * from claimed`,
      [ids, params.workerId, now, params.leaseMs],
    );
    const byId = new Map(result.rows.map((row) => [String(row.id), row]));
    for (const id of ids) {
      const row = byId.get(id);
      if (row) claimed.push(toClaimedJob(row));
    }
  }
  if (budget.throttled) noteThrottled(queue);
  return claimed;
}
