import { StoreError } from '../errors.js';
import type { Store } from './store.js';

export interface StoreOptions {
  /** SQLite only: `synchronous=FULL`, so a committed job also survives power loss. Default false (survives any process crash). */
  durable?: boolean;
  /** PostgreSQL only: schema for holdfast's tables. Default `holdfast`. */
  schema?: string;
}

export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

/**
 * One database URL picks the store: `postgres://` or `postgresql://` is PostgreSQL, anything
 * else is a SQLite file path. Drivers load lazily so that SQLite users never load `pg`.
 */
export async function openStore(db: string, options: StoreOptions = {}): Promise<Store> {
  if (isPostgresUrl(db)) {
    const { openPostgresStore } = await import('./postgres/index.js').catch((error: unknown) => {
      throw new StoreError(
        `The PostgreSQL store could not be loaded (${(error as Error).message})`,
      );
    });
    return openPostgresStore(db, options);
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(db) && !/^file:\/\//i.test(db)) {
    throw new StoreError(
      `Unsupported database URL ${JSON.stringify(db)}: give a SQLite file path or a postgres:// URL`,
    );
  }
  const { openSqliteStore } = await import('./sqlite/index.js');
  return openSqliteStore(db.replace(/^file:\/\//i, ''), options);
}
