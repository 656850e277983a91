/**
 * Opens the PostgreSQL store: a `pg` pool on the URL, holdfast's tables in their own schema
 * (default `holdfast`, or `?schema=name`, or `options.schema`), migrated under an advisory lock.
 */
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
    await migrate(pool, config.schema);
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
