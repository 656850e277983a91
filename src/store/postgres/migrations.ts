/**
 * Versioned migrations. Many workers often start at the same moment (a deploy, a CI job
 * starting 4 processes), so migrating happens under a session advisory lock: the first
 * migrates, the rest wait and then find nothing to do. A schema written by a newer holdfast
 * is refused, never altered.
 */
import type pg from 'pg';
import { StoreError } from '../../errors.js';
import { inTransaction } from './connection.js';

/** Each entry's index + 1 is its version. Append only: never edit a released migration. */
function migrations(s: string): string[] {
  return [
    `
    create table ${s}.batches (
      -- Text ids like the SQLite store's (b_<16 hex>), so migrate-store copies them unchanged.
      id text primary key,
      name text not null unique,
      queue text not null,
      created_at timestamptz not null default now()
    );
    create table ${s}.jobs (
      id bigserial primary key,
      queue text not null,
      key text,
      payload text not null,
      status text not null check (status in ('pending','running','retrying','completed','failed','cancelled')),
      priority integer not null default 0,
      attempts integer not null default 0,
      max_attempts integer not null,
      round_start integer not null default 0,
      timeout_ms bigint,
      run_at timestamptz not null default now(),
      batch_id text references ${s}.batches (id),
      progress text,
      result text,
      last_error text,
      cancel_requested boolean not null default false,
      worker_id text,
      lease_token text,
      lease_expires_at timestamptz,
      created_at timestamptz not null default now(),
      updated_at timestamptz not null default now(),
      started_at timestamptz,
      finished_at timestamptz
    );
    -- Claim order (retrying first: false sorts before true, then priority, then FIFO), read
    -- straight off the index so a claim costs the same with 10 or 10 million waiting jobs.
    create index jobs_ready on ${s}.jobs (queue, (status = 'pending'), priority desc, id)
      where status in ('pending', 'retrying');
    create index jobs_lease on ${s}.jobs (lease_expires_at) where status = 'running';
    -- The key rule, enforced by the database so that concurrent enqueues cannot both insert:
    -- one active job per (queue, key), and a batch never holds a key twice.
    create unique index jobs_active_key on ${s}.jobs (queue, key)
      where key is not null and status in ('pending', 'running', 'retrying');
    create unique index jobs_batch_key on ${s}.jobs (batch_id, key)
      where batch_id is not null and key is not null;
    create index jobs_batch_status on ${s}.jobs (batch_id, status) where batch_id is not null;
    create index jobs_status_id on ${s}.jobs (status, id);
    create index jobs_queue_id on ${s}.jobs (queue, id);
    create index jobs_key on ${s}.jobs (key) where key is not null;
    create index jobs_finished on ${s}.jobs (finished_at) where finished_at is not null;
    create table ${s}.attempts (
      id bigserial primary key,
      job_id bigint not null references ${s}.jobs (id) on delete cascade,
      attempt integer not null,
      worker_id text not null,
      lease_token text,
      started_at timestamptz not null default now(),
      finished_at timestamptz,
      outcome text not null,
      error text,
      stack text
    );
    create index attempts_job on ${s}.attempts (job_id, id);
    create index attempts_started on ${s}.attempts (started_at);
    `,
    // 2: flow control and scheduling (issue #8).
    `
    alter table ${s}.jobs add column concurrency_key text;
    -- Per-key concurrency counts running jobs per key of one queue inside the claim.
    create index jobs_running_key on ${s}.jobs (queue, concurrency_key)
      where status = 'running' and concurrency_key is not null;
    -- Limits stored with the queue, so every worker obeys the same ones.
    create table ${s}.queues (
      name text primary key,
      paused boolean not null default false,
      per_key_concurrency integer,
      rate_limit integer,
      rate_interval_ms bigint,
      per_key_rate_limit integer,
      per_key_rate_interval_ms bigint,
      updated_at timestamptz not null default now()
    );
    -- A batch's completion callback; on_complete_job_id is set (once) when it fires.
    alter table ${s}.batches add column on_complete_queue text;
    alter table ${s}.batches add column on_complete_payload text;
    alter table ${s}.batches add column on_complete_job_id bigint;
    create table ${s}.schedules (
      name text primary key,
      cron text not null,
      tz text,
      queue text not null,
      payload text not null,
      catch_up text not null check (catch_up in ('none', 'latest')),
      created_at timestamptz not null default now(),
      last_tick timestamptz
    );
    `,
  ];
}

export const LATEST_VERSION = migrations('x').length;

/** Arbitrary constant: the first key of holdfast's advisory locks, so they never collide with an app's. */
const LOCK_CLASS = 0x686f6c64; // "hold"

export async function currentVersion(
  client: pg.ClientBase,
  schema: string,
): Promise<number | null> {
  const table = await client.query<{ exists: boolean }>(
    `select to_regclass($1) is not null as exists`,
    [`"${schema}".schema_version`],
  );
  if (!table.rows[0]?.exists) return null;
  const result = await client.query<{ version: number | null }>(
    `select max(version) as version from "${schema}".schema_version`,
  );
  return result.rows[0]?.version ?? 0;
}

function refuseNewer(version: number, schema: string): never {
  throw new StoreError(
    `PostgreSQL schema "${schema}" was written by a newer holdfast (schema version ${version}; this holdfast knows up to ${LATEST_VERSION}). Upgrade holdfast; the schema was not changed.`,
  );
}

/** Brings the schema to LATEST_VERSION, or refuses a newer one. */
export async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  const client = await pool.connect();
  // See Connection.run: without a listener, a server going away here would crash the process.
  let broken: Error | undefined;
  const onError = (error: Error) => (broken = error);
  client.on('error', onError);
  try {
    // Fast path: every worker but the first after an upgrade finds the schema current.
    const seen = await currentVersion(client, schema);
    if (seen !== null && seen > LATEST_VERSION) refuseNewer(seen, schema);
    if (seen === LATEST_VERSION) return;

    await client.query('select pg_advisory_lock($1, hashtext($2))', [LOCK_CLASS, schema]);
    try {
      const s = `"${schema}"`;
      await client.query(`create schema if not exists ${s}`);
      await client.query(
        `create table if not exists ${s}.schema_version (
           version integer primary key,
           applied_at timestamptz not null default now()
         )`,
      );
      const version = (await currentVersion(client, schema)) ?? 0;
      if (version > LATEST_VERSION) refuseNewer(version, schema);
      const all = migrations(s);
      for (let index = version; index < all.length; index += 1) {
        await inTransaction(client, async () => {
          await client.query(all[index]!);
          await client.query(`insert into ${s}.schema_version (version) values ($1)`, [index + 1]);
        });
      }
    } finally {
      await client.query('select pg_advisory_unlock($1, hashtext($2))', [LOCK_CLASS, schema]);
    }
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
