/**
 * Opens the SQLite store: one file, WAL, migrations. Every failure to open becomes a StoreError
 * that names the file and says what to do; a file holdfast must not touch is left unchanged.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../../errors.js';
import type { Store } from '../store.js';
import { Connection } from './connection.js';
import { assertUsable, migrate } from './migrate.js';
import { SqliteStore } from './sqlite-store.js';

export { SqliteStore } from './sqlite-store.js';

export interface SqliteStoreOptions {
  /**
   * `synchronous=FULL`: a committed job also survives power loss or an OS crash, at the cost of an
   * fsync per commit. Default false: `synchronous=NORMAL`, which in WAL mode survives any crash of
   * the process (kill -9) and only risks the last commits on power loss.
   */
  durable?: boolean;
}

/** Waits this long for another connection's write lock before failing with SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

export async function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Promise<Store> {
  const file = resolve(path);
  const folder = dirname(file);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (error) {
    throw new StoreError(
      `Cannot create the folder ${folder} for the database ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Create it, or choose another path with --db or HOLDFAST_DB.`,
    );
  }
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { fileMustExist: false });
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const conn = new Connection(db);
    // Checked before the first write (the switch to WAL writes the header): a refused file stays byte-identical.
    assertUsable(conn, file);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new StoreError(`${file}: could not switch to WAL mode (got ${String(mode)})`);
    db.pragma(`synchronous = ${options.durable ? 'FULL' : 'NORMAL'}`);
    migrate(conn, file);
    // A write probe: a read-only file opens without error and fails only at its first write.
    conn.immediate(() => undefined);
    return new SqliteStore(db, file);
  } catch (error) {
    db?.close();
    throw explain(error, file, folder);
  }
}

function explain(error: unknown, file: string, folder: string): StoreError {
  if (error instanceof StoreError) return error;
  const code = (error as { code?: string }).code ?? '';
  const message = (error as Error).message;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return new StoreError(
      `${file} is not a SQLite database (${message}). Point --db or HOLDFAST_DB at a holdfast database, or at a new file.`,
    );
  }
  if (code.startsWith('SQLITE_READONLY') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'SQLITE_AUTH') {
    return new StoreError(
      `${file} cannot be written (${message}). holdfast needs write access to the file and to its folder ${folder} (for the -wal and -shm files next to it): fix the permissions, or choose another path with --db or HOLDFAST_DB.`,
    );
  }
  if (code === 'SQLITE_BUSY') {
    return new StoreError(`${file} stayed locked by another connection for ${BUSY_TIMEOUT_MS}ms while opening; try again.`);
  }
  return new StoreError(`Cannot open the SQLite database ${file}: ${message}`);
}
