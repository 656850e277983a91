import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { StoreError } from '../../src/errors.js';
import { READY_PENDING, READY_RETRYING } from '../../src/store/sqlite/leases.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { LATEST_VERSION } from '../../src/store/sqlite/schema.js';
import { tempDir } from '../helpers/tmp.js';
import { defineStoreConformance } from './conformance.js';
import { newJob } from './conformance-helpers.js';
import type { EnqueueResult } from '../../src/types.js';

defineStoreConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-conformance-'));
  const path = join(dir, 'queue.db');
  const store = await openSqliteStore(path);
  return {
    store,
    openAnother: () => openSqliteStore(path),
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function openError(path: string): Promise<StoreError> {
  const error = await openSqliteStore(path).then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe('SQLite store: opening', () => {
  it('creates missing folders and opens in WAL with busy_timeout and synchronous=NORMAL', async () => {
    const path = join(tempDir(), 'a', 'b', 'queue.db');
    const store = await openSqliteStore(path);
    try {
      expect(store.settings()).toEqual({
        journalMode: 'wal',
        synchronous: 'NORMAL',
        busyTimeoutMs: 5000,
      });
      expect(store.description).toBe(`sqlite:${path}`);
      expect(store.capabilities).toEqual({
        listenNotify: false,
        changeToken: true,
        skipLocked: false,
      });
    } finally {
      await store.close();
    }
  });

  it('uses synchronous=FULL when durable', async () => {
    const store = await openSqliteStore(join(tempDir(), 'queue.db'), { durable: true });
    try {
      expect(store.settings().synchronous).toBe('FULL');
    } finally {
      await store.close();
    }
  });

  it('keeps jobs across reopening, and reopening does not migrate again', async () => {
    const path = join(tempDir(), 'queue.db');
    const first = await openSqliteStore(path);
    const [{ job }] = (await first.enqueue({ jobs: [newJob({ key: 'kept' })] })) as [EnqueueResult];
    await first.close();
    const second = await openSqliteStore(path);
    try {
      expect(await second.getJob(job.id)).toMatchObject({ key: 'kept', status: 'pending' });
    } finally {
      await second.close();
    }
    const db = new Database(path, { readonly: true });
    expect(
      db.prepare(`SELECT value FROM holdfast_meta WHERE key = 'schema_version'`).pluck().get(),
    ).toBe(String(LATEST_VERSION));
    db.close();
  });

  it('refuses a file that is not a SQLite database, naming it, and leaves it unchanged', async () => {
    const path = join(tempDir(), 'notes.db');
    writeFileSync(path, 'address,city\n1 Main St,Springfield\n'.repeat(200));
    const before = sha256(path);
    const error = await openError(path);
    expect(error.message).toContain(path);
    expect(error.message).toContain('is not a SQLite database');
    expect(sha256(path)).toBe(before);
  });

  it('refuses a SQLite database that belongs to something else and never initialises it', async () => {
    const path = join(tempDir(), 'app.db');
    const db = new Database(path);
    db.exec(
      `CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO users (name) VALUES ('ann')`,
    );
    db.close();
    const before = sha256(path);
    const error = await openError(path);
    expect(error.message).toContain(path);
    expect(error.message).toContain('belongs to something else');
    expect(error.message).toContain('users');
    expect(sha256(path)).toBe(before);
  });

  it('refuses a database written by a newer holdfast and leaves it byte-identical', async () => {
    const path = join(tempDir(), 'queue.db');
    await (await openSqliteStore(path)).close();
    const db = new Database(path);
    db.prepare(`UPDATE holdfast_meta SET value = '99' WHERE key = 'schema_version'`).run();
    db.close();
    expect(existsSync(`${path}-wal`)).toBe(false);
    const before = sha256(path);
    const error = await openError(path);
    expect(error.message).toBe(
      `${path} was written by a newer holdfast (schema 99; this version knows up to ${LATEST_VERSION}). Upgrade holdfast.`,
    );
    expect(sha256(path)).toBe(before);
  });

  describe('read-only files and folders (checked as user nobody: root may write anything)', () => {
    const child = fileURLToPath(new URL('./sqlite-open-child.ts', import.meta.url));
    function openAsNobody(path: string): { ok: boolean; name?: string; message?: string } {
      const output = execFileSync(
        'setpriv',
        [
          '--reuid=nobody',
          '--regid=nogroup',
          '--clear-groups',
          process.execPath,
          '--import',
          'tsx',
          child,
          path,
        ],
        {
          encoding: 'utf8',
          cwd: fileURLToPath(new URL('../..', import.meta.url)),
          timeout: 30_000,
        },
      );
      return JSON.parse(output.trim().split('\n').pop()!) as {
        ok: boolean;
        name?: string;
        message?: string;
      };
    }

    async function databaseIn(dir: string): Promise<string> {
      const path = join(dir, 'queue.db');
      const store = await openSqliteStore(path);
      await store.enqueue({ jobs: [newJob()] });
      await store.close();
      return path;
    }

    it('names a read-only database file and says what to do', async () => {
      const dir = tempDir();
      const path = await databaseIn(dir);
      chmodSync(dir, 0o777);
      chmodSync(path, 0o444);
      const before = sha256(path);
      const outcome = openAsNobody(path);
      expect(outcome).toMatchObject({ ok: false, name: 'StoreError' });
      expect(outcome.message).toContain(`The database file ${path} is read-only`);
      expect(outcome.message).toContain('--db or HOLDFAST_DB');
      expect(sha256(path)).toBe(before);
      // SQLite left -wal and -shm files as read-only as the database: they are named next.
      chmodSync(path, 0o666);
      const sideFiles = openAsNobody(path);
      expect(sideFiles.message).toMatch(
        new RegExp(`The file ${path}-(wal|shm) next to the database is read-only`),
      );
      // Once all are writable it opens: the checks above were about permissions only.
      for (const side of [`${path}-wal`, `${path}-shm`])
        if (existsSync(side)) chmodSync(side, 0o666);
      expect(openAsNobody(path)).toEqual({ ok: true });
    });

    it('names a read-only folder (no room for the -wal and -shm files)', async () => {
      const dir = tempDir();
      const path = await databaseIn(dir);
      chmodSync(dir, 0o755);
      chmodSync(path, 0o666);
      const outcome = openAsNobody(path);
      expect(outcome).toMatchObject({ ok: false, name: 'StoreError' });
      expect(outcome.message).toContain(`The folder ${dir} of the database ${path} is read-only`);
      const fresh = openAsNobody(join(dir, 'sub', 'new.db'));
      expect(fresh.message).toContain(`Cannot create the folder ${join(dir, 'sub')}`);
    });
  });
});

describe('SQLite store: claims and streams', () => {
  it('claims by walking the jobs_ready index, with no sort over the waiting jobs', async () => {
    const path = join(tempDir(), 'queue.db');
    const store = await openSqliteStore(path);
    await store.close();
    const db = new Database(path, { readonly: true });
    try {
      for (const sql of [READY_PENDING, READY_RETRYING]) {
        const plan = (
          db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('q', Date.now(), 10) as Array<{
            detail: string;
          }>
        )
          .map((row) => row.detail)
          .join('\n');
        // Not covering: the claim reads whole rows. run_at is in the index, so rows not yet due
        // are still skipped before the table is read.
        expect(plan).toContain('USING INDEX jobs_ready (queue=? AND status=?)');
        expect(plan).not.toContain('TEMP B-TREE');
        expect(plan).not.toMatch(/SCAN jobs\b/);
      }
    } finally {
      db.close();
    }
  });

  it('does not hold the write lock while a stream waits for its source', async () => {
    const path = join(tempDir(), 'queue.db');
    const store = await openSqliteStore(path);
    const other = await openSqliteStore(path);
    try {
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      let firstChunkTaken!: () => void;
      const taken = new Promise<void>((resolve) => (firstChunkTaken = resolve));
      async function* chunks() {
        yield [newJob({ key: 'row-1' })];
        firstChunkTaken();
        await gate;
        yield [newJob({ key: 'row-2' })];
      }
      const streaming = store.enqueueStream({ chunks: chunks() });
      await taken;
      const started = Date.now();
      // Both connections write while the stream is open; with the lock held they would wait 5 s and fail.
      await store.enqueue({ jobs: [newJob({ key: 'meanwhile-1' })] });
      await other.enqueue({ jobs: [newJob({ key: 'meanwhile-2' })] });
      const claimed = await other.claim({
        queues: ['q'],
        limit: 10,
        workerId: 'w',
        leaseMs: 30_000,
      });
      expect(Date.now() - started).toBeLessThan(1000);
      expect(claimed.map((job) => job.key)).toEqual(['meanwhile-1', 'meanwhile-2']);
      release();
      expect(await streaming).toEqual({ inserted: 2, existing: 0 });
      expect((await store.listJobs({ limit: 10 })).map((job) => job.key)).toEqual([
        'meanwhile-1',
        'meanwhile-2',
        'row-1',
        'row-2',
      ]);
    } finally {
      await other.close();
      await store.close();
    }
  });
});
