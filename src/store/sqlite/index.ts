/**
 * Opens the SQLite store: one file, WAL, migrations. Every failure to open becomes a StoreError
 * that names the file and says what to do; a file holdfast must not touch is left unchanged.
 */
import { accessSync, constants, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from '../../errors.js';
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

export async function openSqliteStore(
  path: string,
  options: SqliteStoreOptions = {},
): Promise<SqliteStore> {
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
    if (mode !== 'wal')
      throw new StoreError(`${file}: could not switch to WAL mode (got ${String(mode)})`);
    db.pragma(`synchronous = ${options.durable ? 'FULL' : 'NORMAL'}`);
    migrate(conn, file);
    probeWrite(db);
    return new SqliteStore(db, file);
  } catch (error) {
    db?.close();
    throw explain(error, file, folder);
  }
}

/**
 * A read-only file opens without error, and in WAL mode even BEGIN IMMEDIATE succeeds; only the
 * first page write fails. So write a row (no-op update) and roll it back, to fail here, at open,
 * with a clear message instead of at the first enqueue.
 */
function probeWrite(db: Database.Database): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    db.prepare(`UPDATE holdfast_meta SET value = value WHERE key = 'schema_version'`).run();
  } finally {
    db.exec('ROLLBACK');
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
  if (
    code.startsWith('SQLITE_READONLY') ||
    code === 'SQLITE_CANTOPEN' ||
    code === 'SQLITE_PERM' ||
    code === 'SQLITE_AUTH'
  ) {
    return new StoreError(
      `${whatCannotBeWritten(file, folder)} (${message}). holdfast writes the database file and, next to it, its -wal and -shm files: make both writable by this user, or choose another path with --db or HOLDFAST_DB.`,
    );
  }
  if (code === 'SQLITE_BUSY') {
    return new StoreError(
      `${file} stayed locked by another connection for ${BUSY_TIMEOUT_MS}ms while opening; try again.`,
    );
  }
  return new StoreError(`Cannot open the SQLite database ${file}: ${message}`);
}

/** Names what is read-only: the file, or its folder. access() only checks permissions; it does not open the file. */
function whatCannotBeWritten(file: string, folder: string): string {
  if (!writable(folder)) return `The folder ${folder} of the database ${file} is read-only`;
  if (existsSync(file) && !writable(file)) return `The database file ${file} is read-only`;
  for (const side of [`${file}-wal`, `${file}-shm`]) {
    if (existsSync(side) && !writable(side))
      return `The file ${side} next to the database is read-only`;
  }
  return `The database ${file} cannot be opened for writing`;
}

function writable(path: string): boolean {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
