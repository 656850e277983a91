/**
 * The hot path: claims, heartbeats, progress and attempt ends. Each is one statement, so
 * a claim or a tick's completions cost one round trip whatever their number.
 */
import type { JobProgress } from '../../../types.js';
import type {
  AttemptEnd,
  ClaimedJob,
  ClaimParams,
  EndsAndClaims,
  ExpiredLease,
  Lease,
} from '../../store.js';
import type { Queryable } from '../connection.js';
import { toClaimedJob, type Row } from '../rows.js';

/**
 * The claim's CTEs (picked, claimed, claim_recorded), parameters from $`first`: queue(s),
 * limit, worker id, lease ms. SKIP LOCKED under read committed: concurrent claimers pass over
 * rows another claimer has locked instead of waiting for it, so N workers claim N different
 * batches at once. The order matches the jobs_ready index.
 * `id = any(array(select id from picked))`: the update reaches its rows by primary key whatever
 * the planner estimates. Written as `from picked where j.id = picked.id`, it hash-joined a
 * sequential scan of the whole jobs table: 3-5 ms per claim at 20,000 rows, growing with the
 * table (EXPLAIN ANALYZE, bench/NOTES.md).
 */
function claimCtes(
  s: string,
  params: ClaimParams,
  first: number,
): { sql: string; values: unknown[] } {
  const p = (n: number) => `$${first + n}`;
  // One queue (the usual case) as plain equality, so the planner walks jobs_ready in order.
  const single = params.queues.length === 1;
  const queues = single ? `${p(0)}::text` : `any(${p(0)}::text[])`;
  // Paused queues and queues with limits (claimed by flow.ts) are left out, by the settings as
  // they are now: an uncorrelated subquery, evaluated once per claim, not per row.
  const flowFilter = `queue <> all (select name from ${s}.queues c where c.name = ${queues}
         and (c.paused or c.per_key_concurrency is not null or c.rate_limit is not null or c.per_key_rate_limit is not null))`;
  return {
    sql: `picked as (
       select id, status as was, priority from ${s}.jobs
       where queue = ${queues} and ${flowFilter} and status in ('pending', 'retrying') and run_at <= now()
       order by (status = 'pending'), priority desc, id
       limit ${p(1)}
       for update skip locked
     ), claimed as (
       update ${s}.jobs j
       set status = 'running', attempts = j.attempts + 1, worker_id = ${p(2)},
           lease_token = gen_random_uuid()::text,
           lease_expires_at = now() + ${p(3)}::bigint * interval '1 millisecond',
           started_at = coalesce(j.started_at, now()), updated_at = now()
       where j.id = any(array(select id from picked))
       returning j.*
     ), claim_recorded as (
       insert into ${s}.attempts (job_id, attempt, worker_id, lease_token, started_at, outcome)
       select id, attempts, worker_id, lease_token, now(), 'running' from claimed
     )`,
    values: [
      single ? params.queues[0] : params.queues,
      params.limit,
      params.workerId,
      params.leaseMs,
    ],
  };
}

/** Claims in one statement; rows come back in claim order. */
export async function claimJobs(
  client: Queryable,
  s: string,
  params: ClaimParams,
): Promise<ClaimedJob[]> {
  const claim = claimCtes(s, params, 1);
  const result = await client.query<Row>(
    `with ${claim.sql}
     select c.*, p.was from claimed c join picked p on p.id = c.id
     order by (p.was = 'pending'), c.priority desc, c.id`,
    claim.values,
  );
  return result.rows.map(toClaimedJob);
}

function leaseArrays(leases: Lease[]): [string[], string[]] {
  return [leases.map((lease) => lease.jobId), leases.map((lease) => lease.token)];
}

export async function renewLeases(
  client: Queryable,
  s: string,
  params: { leases: Lease[]; leaseMs: number },
): Promise<{ lost: string[]; cancelRequested: string[] }> {
  const [ids, tokens] = leaseArrays(params.leases);
  const result = await client.query<{ id: string; cancel_requested: boolean }>(
    `update ${s}.jobs j
     set lease_expires_at = now() + $3::bigint * interval '1 millisecond'
     from unnest($1::bigint[], $2::text[]) as l(id, token)
     where j.id = l.id and j.lease_token = l.token and j.status = 'running'
     returning j.id, j.cancel_requested`,
    [ids, tokens, params.leaseMs],
  );
  const held = new Set(result.rows.map((row) => String(row.id)));
  return {
    lost: ids.filter((id) => !held.has(id)),
    cancelRequested: result.rows.filter((row) => row.cancel_requested).map((row) => String(row.id)),
  };
}

export async function writeProgress(
  client: Queryable,
  s: string,
  updates: Array<Lease & { progress: JobProgress }>,
): Promise<void> {
  const [ids, tokens] = leaseArrays(updates);
  await client.query(
    `update ${s}.jobs j set progress = l.progress, updated_at = now()
     from unnest($1::bigint[], $2::text[], $3::text[]) as l(id, token, progress)
     where j.id = l.id and j.lease_token = l.token and j.status = 'running'`,
    [ids, tokens, updates.map((update) => JSON.stringify(update.progress))],
  );
}

/**
 * The ends' CTEs (input, ended, recorded, released) and the ends that count as applied
 * (`applied_ends`), parameters $1-$10. Each end applies only while its job is still running
 * under its token (fencing). An end that already applied (the commit landed but its reply was
 * lost in a reconnect) counts as applied again, so finishing is safe to retry.
 * The `= any($1::bigint[])` terms repeat the join on ids so each table is reached by index: the
 * already-applied check otherwise scanned the whole attempts table.
 */
function finishCtes(s: string, ends: AttemptEnd[]): { sql: string; values: unknown[] } {
  return {
    sql: `input as (
       select * from unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::timestamptz[],
                            $6::text[], $7::text[], $8::text[], $9::boolean[], $10::boolean[])
         as t(id, token, status, outcome, run_at, result, error, stack, only_expired, release)
     ), ended as (
       update ${s}.jobs j
       set status = i.status,
           attempts = case when i.status = 'pending' then greatest(j.attempts - 1, 0) else j.attempts end,
           run_at = case when i.status in ('pending', 'retrying') then coalesce(i.run_at, now()) else j.run_at end,
           result = case when i.status = 'completed' then i.result else j.result end,
           last_error = coalesce(i.error, j.last_error),
           worker_id = null, lease_token = null, lease_expires_at = null,
           finished_at = case when i.status in ('completed', 'failed', 'cancelled') then now() end,
           started_at = case when i.release and j.attempts = 1 then null else j.started_at end,
           updated_at = now()
       from input i
       where j.id = any($1::bigint[]) and j.id = i.id and j.lease_token = i.token and j.status = 'running'
         and (not i.only_expired or j.lease_expires_at < now())
       returning j.id, i.token, i.outcome, i.error, i.stack, i.release
     ), recorded as (
       update ${s}.attempts a
       set finished_at = now(), outcome = e.outcome, error = e.error, stack = e.stack
       from ended e
       where a.job_id = any($1::bigint[]) and a.job_id = e.id and a.outcome = 'running' and not e.release
     ), released as (
       -- A prefetched job handed back before it started: no attempt ran, so none is kept.
       delete from ${s}.attempts a using ended e
       where a.job_id = any($1::bigint[]) and a.job_id = e.id and a.outcome = 'running' and e.release
     ), applied_ends as (
       select id, token from ended
       union all
       select a.job_id, a.lease_token from ${s}.attempts a join input i
         on a.job_id = i.id and a.lease_token = i.token and a.outcome = i.outcome and a.finished_at is not null
       where a.job_id = any($1::bigint[])
     )`,
    values: [
      ends.map((end) => end.jobId),
      ends.map((end) => end.token),
      ends.map((end) => end.status),
      ends.map((end) => end.attemptOutcome),
      ends.map((end) => end.runAt ?? null),
      ends.map((end) => end.result ?? null),
      ends.map((end) => end.error?.message ?? null),
      ends.map((end) => end.error?.stack ?? null),
      ends.map((end) => end.onlyIfLeaseExpired === true),
      ends.map((end) => end.release === true),
    ],
  };
}

function appliedFlags(ends: AttemptEnd[], rows: Array<{ id: string; token: string }>): boolean[] {
  const applied = new Set(rows.map((row) => `${row.id}:${row.token}`));
  return ends.map((end) => applied.has(`${end.jobId}:${end.token}`));
}

/** Applies attempt ends in one statement; returns, per end, whether it applied. */
export async function finishAttempts(
  client: Queryable,
  s: string,
  ends: AttemptEnd[],
): Promise<boolean[]> {
  const finish = finishCtes(s, ends);
  const result = await client.query<{ id: string; token: string }>(
    `with ${finish.sql} select id, token from applied_ends`,
    finish.values,
  );
  return appliedFlags(ends, result.rows);
}

/**
 * Ends and a claim in ONE statement: one round trip and one commit. The claim reads the
 * snapshot from before the ends (a job an end made due again is claimed by the next claim).
 * The applied ends come as an array on every row; a left join keeps one row when nothing
 * was claimed.
 */
export async function finishAndClaimJobs(
  client: Queryable,
  s: string,
  ends: AttemptEnd[],
  params: ClaimParams,
): Promise<EndsAndClaims> {
  const finish = finishCtes(s, ends);
  const claim = claimCtes(s, params, finish.values.length + 1);
  const result = await client.query<Row & { applied_ends: string[] }>(
    `with ${finish.sql}, ${claim.sql}
     select a.applied_ends, c.*, p.was from
       (select coalesce(array_agg(id::text || ':' || token), '{}') as applied_ends from applied_ends) a
       left join claimed c on true left join picked p on p.id = c.id
     order by (p.was = 'pending'), c.priority desc, c.id`,
    [...finish.values, ...claim.values],
  );
  const applied = new Set(result.rows[0]?.applied_ends ?? []);
  return {
    applied: ends.map((end) => applied.has(`${end.jobId}:${end.token}`)),
    claimed: result.rows.filter((row) => row.id !== null).map(toClaimedJob),
  };
}

export async function expiredLeases(
  client: Queryable,
  s: string,
  limit: number,
): Promise<ExpiredLease[]> {
  const result = await client.query<Row>(
    `select id, lease_token, queue, attempts, max_attempts, round_start from ${s}.jobs
     where status = 'running' and lease_expires_at < now()
     order by lease_expires_at
     limit $1`,
    [limit],
  );
  return result.rows.map((row) => ({
    jobId: String(row.id),
    token: row.lease_token as string,
    queue: row.queue as string,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    roundStart: Number(row.round_start),
  }));
}
