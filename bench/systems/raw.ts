/**
 * The floor: the least SQL one job's life needs (insert, claim, complete), straight on the driver
 * holdfast uses, with the same durability. `batch` jobs per transaction: 1 (every statement its
 * own transaction) or 100.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PG_URL, dropSchema, pgDurability, pgQuery, uniqueName } from '../lib/servers.js';

export interface Floor {
  readonly name: string;
  readonly config: string[];
  durability(): Promise<string>;
  /**
   * Runs up to `jobs` jobs through their life, `batch` at a time: insert them, claim them,
   * complete them. Stops early after `capMs`; returns the jobs done and the ms taken.
   */
  run(jobs: number, batch: number, capMs: number): Promise<{ jobs: number; ms: number }>;
}

export class RawSqliteFloor implements Floor {
  readonly name = 'raw-sqlite';
  readonly config = [
    'better-sqlite3 (the build holdfast uses), WAL, synchronous=NORMAL; a jobs table with a partial index on pending rows',
    'claim: UPDATE ... WHERE id IN (SELECT id ... ORDER BY id LIMIT n) RETURNING; complete: UPDATE by id',
  ];

  async durability(): Promise<string> {
    return 'SQLite WAL, synchronous=NORMAL (as holdfast)';
  }

  async run(jobs: number, batch: number, capMs: number): Promise<{ jobs: number; ms: number }> {
    const folder = mkdtempSync(join(tmpdir(), 'raw-sqlite-bench-'));
    const db = new Database(join(folder, 'floor.db'));
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.exec(`CREATE TABLE jobs (id INTEGER PRIMARY KEY, payload TEXT NOT NULL, status INTEGER NOT NULL DEFAULT 0);
               CREATE INDEX jobs_pending ON jobs (id) WHERE status = 0;`);
      const insert = db.prepare('INSERT INTO jobs (payload) VALUES (?)');
      const claim = db.prepare(
        'UPDATE jobs SET status = 1 WHERE id IN (SELECT id FROM jobs WHERE status = 0 ORDER BY id LIMIT +?) RETURNING id, payload',
      );
      const complete = db.prepare('UPDATE jobs SET status = 2 WHERE id = ?');
      const insertMany = db.transaction((count: number, from: number) => {
        for (let i = 0; i < count; i++) insert.run(JSON.stringify({ i: from + i }));
      });
      const claimMany = db.transaction(
        (count: number) => claim.all(count) as Array<{ id: number; payload: string }>,
      );
      const completeMany = db.transaction((ids: number[]) => {
        for (const id of ids) complete.run(id);
      });
      const started = performance.now();
      let done = 0;
      while (done < jobs && performance.now() - started < capMs) {
        const count = Math.min(batch, jobs - done);
        if (batch === 1) insert.run(JSON.stringify({ i: done }));
        else insertMany(count, done);
        const rows =
          batch === 1 ? (claim.all(1) as Array<{ id: number; payload: string }>) : claimMany(count);
        for (const row of rows) JSON.parse(row.payload);
        if (batch === 1) complete.run(rows[0]!.id);
        else completeMany(rows.map((row) => row.id));
        done += rows.length;
      }
      return { jobs: done, ms: performance.now() - started };
    } finally {
      db.close();
      rmSync(folder, { recursive: true, force: true });
    }
  }
}

export class RawPgFloor implements Floor {
  readonly name = 'raw-pg';
  readonly config = [
    'pg (the client holdfast uses), one connection, named prepared statements; a jobs table with a partial index on pending rows',
    'claim: UPDATE ... WHERE id IN (SELECT id ... ORDER BY id LIMIT n FOR UPDATE SKIP LOCKED) RETURNING; complete: UPDATE by id(s)',
  ];

  async durability(): Promise<string> {
    return pgDurability();
  }

  async run(jobs: number, batch: number, capMs: number): Promise<{ jobs: number; ms: number }> {
    const schema = uniqueName('rawpg');
    await pgQuery(`CREATE SCHEMA "${schema}"`);
    const client = new pg.Client({ connectionString: PG_URL });
    await client.connect();
    try {
      await client.query(`SET search_path = "${schema}"`);
      await client.query(`CREATE TABLE jobs (id bigserial PRIMARY KEY, payload jsonb NOT NULL, status smallint NOT NULL DEFAULT 0);
                          CREATE INDEX jobs_pending ON jobs (id) WHERE status = 0;`);
      const claimText =
        'UPDATE jobs SET status = 1 WHERE id IN (SELECT id FROM jobs WHERE status = 0 ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING id, payload';
      const started = performance.now();
      let done = 0;
      while (done < jobs && performance.now() - started < capMs) {
        const count = Math.min(batch, jobs - done);
        if (batch === 1) {
          await client.query({
            name: 'insert1',
            text: 'INSERT INTO jobs (payload) VALUES ($1)',
            values: [JSON.stringify({ i: done })],
          });
        } else {
          const payloads = Array.from({ length: count }, (_, k) => JSON.stringify({ i: done + k }));
          await client.query({
            name: 'insertN',
            text: 'INSERT INTO jobs (payload) SELECT unnest($1::jsonb[])',
            values: [payloads],
          });
        }
        const { rows } = await client.query<{ id: string }>({
          name: 'claim',
          text: claimText,
          values: [count],
        });
        if (batch === 1) {
          await client.query({
            name: 'complete1',
            text: 'UPDATE jobs SET status = 2 WHERE id = $1',
            values: [rows[0]!.id],
          });
        } else {
          await client.query({
            name: 'completeN',
            text: 'UPDATE jobs SET status = 2 WHERE id = ANY($1::bigint[])',
            values: [rows.map((row) => row.id)],
          });
        }
        done += rows.length;
      }
      return { jobs: done, ms: performance.now() - started };
    } finally {
      await client.end();
      await dropSchema(schema);
    }
  }
}
