import { statSync } from 'node:fs';
import type Database from 'better-sqlite3';

/**
 * Keeps the -wal file bounded while readers never stop. SQLite's automatic checkpoint (every
 * 1,000 pages, ~4 MB) is PASSIVE: it copies only frames no reader still needs, and the WAL can
 * start over from its beginning only once every reader is on the newest snapshot. With the
 * dashboard reading continuously (three page loops) while workers wrote, that moment never came
 * and the WAL grew linearly: 53 MB after 60 s, 100,000 jobs (test/chaos, `wal` step).
 *
 * So, at most every CHECK_MS after a write, look at the WAL's size; past LIMIT_BYTES run a
 * TRUNCATE checkpoint, which holds off new writers and waits (up to WAIT_MS, the busy timeout
 * meanwhile) for the current readers to finish, then copies everything back and empties the file.
 * If readers still hold it (SQLite reports busy), try again later with doubling delays up to 4 s,
 * so a slow reader costs this process at most WAIT_MS every so often.
 */
const LIMIT_BYTES = 16 * 1024 * 1024;
// Every 250 ms: at 11,000 jobs/s (two workers and a writer, test/chaos growth) the WAL grew
// past 40 MB between checks a second apart; a stat costs a few microseconds.
const CHECK_MS = 250;
const MAX_BACKOFF_MS = 4_000;
const WAIT_MS = 200;

export class WalLimit {
  readonly #db: Database.Database;
  readonly #wal: string;
  #nextCheck = 0;
  #backoffMs = CHECK_MS;

  constructor(db: Database.Database, file: string) {
    this.#db = db;
    this.#wal = `${file}-wal`;
  }

  afterWrite(): void {
    const now = Date.now();
    if (now < this.#nextCheck) return;
    this.#nextCheck = now + this.#backoffMs;
    const size = statSync(this.#wal, { throwIfNoEntry: false })?.size ?? 0;
    if (size < LIMIT_BYTES) {
      this.#backoffMs = CHECK_MS;
      return;
    }
    const busyTimeout = this.#db.pragma('busy_timeout', { simple: true }) as number;
    try {
      this.#db.pragma(`busy_timeout = ${WAIT_MS}`);
      const [result] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      this.#backoffMs = result?.busy ? Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS) : CHECK_MS;
    } catch {
      // SQLITE_BUSY from another checkpointer: it is doing the work; look again later.
      this.#backoffMs = Math.min(this.#backoffMs * 2, MAX_BACKOFF_MS);
    } finally {
      this.#db.pragma(`busy_timeout = ${busyTimeout}`);
    }
    this.#nextCheck = Date.now() + this.#backoffMs;
  }
}
