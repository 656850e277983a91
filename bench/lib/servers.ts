/** The servers the bench talks to, and whether each is up. Override with BENCH_PG_URL / BENCH_REDIS_URL. */
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import type { Redis } from 'ioredis';

export const PG_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function redisOptions(): { host: string; port: number; db: number } {
  const url = new URL(REDIS_URL);
  return {
    host: url.hostname,
    port: Number(url.port || 6379),
    db: Number(url.pathname.slice(1) || 0),
  };
}

function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Why PostgreSQL cannot be used, or null when it answers a query. */
export async function postgresMissing(): Promise<string | null> {
  const url = new URL(PG_URL);
  if (!(await portOpen(url.hostname, Number(url.port || 5432))))
    return `no PostgreSQL at ${url.host}`;
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL at ${url.host} refused: ${(error as Error).message}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function redisMissing(): Promise<string | null> {
  const { host, port } = redisOptions();
  return (await portOpen(host, port)) ? null : `no Redis at ${host}:${port}`;
}

/** A name unique to this run: schemas, key prefixes, temp files. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;
}

/** Runs SQL on PostgreSQL with a short-lived client (schema create/drop, SHOW). */
export async function pgQuery<Row = Record<string, unknown>>(
  sql: string,
  params: unknown[] = [],
): Promise<Row[]> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    return (await client.query(sql, params)).rows as Row[];
  } finally {
    await client.end();
  }
}

/** Drops a schema a run made, with everything in it. */
export async function dropSchema(schema: string): Promise<void> {
  await pgQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Deletes the keys matching `pattern` by SCAN batches (KEYS would block a shared server). */
export async function deleteKeys(redis: Redis, pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

export async function pgDurability(): Promise<string> {
  const rows = await pgQuery<{ name: string; setting: string }>(
    `SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_commit', 'fsync', 'wal_sync_method') ORDER BY name`,
  );
  return `PostgreSQL ${rows.map((row) => `${row.name}=${row.setting}`).join(', ')}`;
}

/** Drops what a child process that died before its own cleanup left: its schemas and Redis keys (named with its pid). */
export async function cleanupAfter(pid: number): Promise<void> {
  if ((await postgresMissing()) === null) {
    const schemas = await pgQuery<{ nspname: string }>(
      `SELECT nspname FROM pg_namespace WHERE nspname ~ $1`,
      [`^(hfbench|pgboss|gworker|rawpg)_${pid}_[0-9a-f]{8}$`],
    );
    for (const { nspname } of schemas) await dropSchema(nspname);
  }
  if ((await redisMissing()) === null) {
    const { Redis } = await import('ioredis');
    const redis = new Redis(redisOptions());
    try {
      await deleteKeys(redis, `hfbench_${pid}_*`);
    } finally {
      redis.disconnect();
    }
  }
}
