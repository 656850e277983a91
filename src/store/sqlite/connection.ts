import type Database from 'better-sqlite3';
import { WalLimit } from './wal-limit.js';
import { explainWriteError, fileGuard } from './write-guard.js';

/**
 * One better-sqlite3 connection with its prepared statements. Statements are prepared once per
 * SQL text and reused: preparing costs more than running a small statement (about 10 µs vs 2 µs
 * on the claim path), and the set of texts is small and fixed.
 */
export class Connection {
  readonly db: Database.Database;
  readonly #statements = new Map<string, Database.Statement>();
  /**
   * One transaction wrapper for every call: `db.transaction(fn)` builds five wrapped functions
   * each time, which cost more than the BEGIN IMMEDIATE itself (110 µs of a 170 µs empty
   * transaction on the loaded 2-core bench machine; bench/NOTES.md).
   */
  #transaction: Database.Transaction<(fn: () => unknown) => unknown> | null = null;
  readonly #file: string | undefined;
  readonly #guard: (() => void) | undefined;
  readonly #walLimit: WalLimit | undefined;

  /**
   * With `file`, every write transaction first checks the file is still there, its errors are
   * explained, and the WAL is kept bounded (wal-limit.ts).
   */
  constructor(db: Database.Database, file?: string) {
    this.db = db;
    this.#file = file;
    this.#guard = file === undefined ? undefined : fileGuard(file);
    this.#walLimit = file === undefined ? undefined : new WalLimit(db, file);
  }

  prepare<Row = unknown>(sql: string): Database.Statement<unknown[], Row> {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement as Database.Statement<unknown[], Row>;
  }

  /**
   * Runs `fn`, which makes exactly one write statement, without BEGIN: SQLite commits a lone
   * statement on its own (autocommit), all or nothing, taking the write lock and waiting on
   * busy_timeout as BEGIN IMMEDIATE does (an autocommit write begins like BEGIN IMMEDIATE), with
   * two statements and the transaction wrapper fewer: 30.6 -> 28.7 µs per single insert (p25 of
   * 40 rounds of 1,000, the bench machine).
   */
  autocommit<T>(fn: () => T): T {
    this.#guard?.();
    let result: T;
    try {
      result = fn();
    } catch (error) {
      throw this.#file === undefined ? error : explainWriteError(error, this.#file);
    }
    this.#walLimit?.afterWrite();
    return result;
  }

  /** Runs `fn` in one BEGIN IMMEDIATE transaction: the write lock is taken up front, so two claimers never both read then write. */
  immediate<T>(fn: () => T): T {
    this.#guard?.();
    this.#transaction ??= this.db.transaction((run: () => unknown) => run());
    let result: T;
    try {
      result = this.#transaction.immediate(fn) as T;
    } catch (error) {
      throw this.#file === undefined ? error : explainWriteError(error, this.#file);
    }
    this.#walLimit?.afterWrite();
    return result;
  }
}
