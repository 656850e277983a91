/**
 * The hot path: claims, heartbeats, progress and attempt ends. Each is one statement, so
 * a claim or a tick's completions cost one round trip whatever their number.
 */
import type { JobProgress } from '../../../types.js';
import type { AttemptEnd, ClaimedJob, ExpiredLease, Lease } from '../../store.js';
import type { Queryable } from '../connection.js';
import { toClaimedJob, type Row } from '../rows.js';

/**
 * SKIP LOCKED under read committed: concurrent claimers pass over rows another claimer has
 * locked instead of waiting for it, so N workers claim N different batches at once. The
 * order matches the jobs_ready index; rows come back in claim order.
 */
export async function claimJobs(
  client: Queryable,
  s: string,
  params: { queues: string[]; limit: number; workerId: string; leaseMs: number },
): Promise<ClaimedJob[]> {
  // One queue (the usual case) as plain equality, so the planner walks jobs_ready in order.
  const single = params.queues.length === 1;
  const queueFilter = single ? `queue = $1::text` : `queue = any($1::text[])`;
  // Paused queues and queues with limits (claimed by flow.ts) are left out, by the settings as
  // they are now: an uncorrelated subquery, evaluated once per claim, not per row.
  const flowFilter = `queue <> all (select name from ${s}.queues c where c.name = ${single ? '$1::text' : 'any($1::text[])'}
         and (c.paused or c.per_key_concurrency is not null or c.rate_limit is not null or c.per_key_rate_limit is not null))`;
  const result = await client.query<Row>(
    `with picked as (
       select id, status as was, priority from ${s}.jobs
       where ${queueFilter} and ${flowFilter} and status in ('pending', 'retrying') and run_at <= now()
       order by (status = 'pending'), priority desc, id
       limit $2
       for update skip locked
     ), claimed as (
       update ${s}.jobs j
       set status = 'running', attempts = j.attempts + 1, worker_id = $3,
           lease_token = gen_random_uuid()::text,
           lease_expires_at = now() + $4::bigint * interval '1 millisecond',
           started_at = coalesce(j.started_at, now()), updated_at = now()
       from picked where j.id = picked.id
       returning j.*, picked.was
     ), recorded as (
       insert into ${s}.attempts (job_id, attempt, worker_id, lease_token, started_at, outcome)
       select id, attempts, worker_id, lease_token, now(), 'running' from claimed
     )
     select * from claimed order by (was = 'pending'), priority desc, id`,
    [single ? params.queues[0] : params.queues, params.limit, params.workerId, params.leaseMs],
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
 * Applies attempt ends, each only while its job is still running under its token (fencing).
 * An end that already applied (the commit landed but its reply was lost in a reconnect)
 * reports true again, so finishing is safe to retry.
 */
export async function finishAttempts(
  client: Queryable,
  s: string,
  ends: AttemptEnd[],
): Promise<boolean[]> {
  const result = await client.query<{ id: string; token: string }>(
    `with input as (
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
       where j.id = i.id and j.lease_token = i.token and j.status = 'running'
         and (not i.only_expired or j.lease_expires_at < now())
       returning j.id, i.token, i.outcome, i.error, i.stack, i.release
     ), recorded as (
       update ${s}.attempts a
       set finished_at = now(), outcome = e.outcome, error = e.error, stack = e.stack
       from ended e
       where a.job_id = e.id and a.outcome = 'running' and not e.release
     ), released as (
       -- A prefetched job handed back before it started: no attempt ran, so none is kept.
       delete from ${s}.attempts a using ended e
       where a.job_id = e.id and a.outcome = 'running' and e.release
     )
     select id, token from ended
     union all
     select a.job_id, a.lease_token from ${s}.attempts a join input i
       on a.job_id = i.id and a.lease_token = i.token and a.outcome = i.outcome and a.finished_at is not null`,
    [
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
  );
  const applied = new Set(result.rows.map((row) => `${row.id}:${row.token}`));
  return ends.map((end) => applied.has(`${end.jobId}:${end.token}`));
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
