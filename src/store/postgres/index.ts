/**
 * Opens the PostgreSQL store: a `pg` pool on the URL, holdfast's tables in their own schema
 * (default `holdfast`, or `?schema=name`, or `options.schema`), migrated under an advisory lock.
 */
import type pg from 'pg';
import { StoreError, ValidationError } from '../../errors.js';
import type { Store } from '../store.js';
import { resolveConfig } from './config.js';
import { createPool, defaultLogger, isTransient, type Logger } from './connection.js';
import { migrate } from './migrations.js';
import { PostgresStore } from './postgres-store.js';

export { PostgresStore } from './postgres-store.js';
export { isTransient } from './connection.js';

export interface PostgresStoreOptions {
  /** Schema for holdfast's tables; overrides the URL's `?schema=`. Default `holdfast`. */
  schema?: string;
  /** Where reconnects and lost connections are reported. Default: a line on stderr. */
  logger?: Logger;
}

export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<Store> {
  const config = resolveConfig(url, options);
  const log = options.logger ?? defaultLogger;
  const pool = createPool(config.connectionString, log);
  try {
    await migrateWhenReady(pool, config.schema, log);
  } catch (error) {
    await pool.end().catch(() => undefined);
    if (error instanceof StoreError || error instanceof ValidationError) throw error;
    const hint = isTransient(error)
      ? ' Check that PostgreSQL is running and the URL is right.'
      : '';
    throw new StoreError(
      `Cannot open the PostgreSQL store at ${config.description}: ${(error as Error).message}.${hint}`,
      {
        cause: error,
      },
    );
  }
  return new PostgresStore(pool, config, log);
}

/**
 * A server that is starting up or shutting down (57P03, 57P01: a restart in progress) is waited
 * for, up to 30 s, so workers started during a restart come up with it. Anything else (a wrong
 * port, a wrong password) fails at once.
 */
async function migrateWhenReady(pool: pg.Pool, schema: string, log: Logger): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
    try {
      return await migrate(pool, schema);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if ((code !== '57P03' && code !== '57P01') || Date.now() + delay > deadline) throw error;
      log(`PostgreSQL is not ready (${(error as Error).message}); waiting`);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
