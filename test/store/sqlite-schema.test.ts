/** Schema version 3 (schema.ts): upgrading a version-2 file, and the reads that moved indexes. */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { MIGRATIONS } from '../../src/store/sqlite/schema.js';
import { tempDir } from '../helpers/tmp.js';
import { newJob } from './conformance-helpers.js';

/** A file as holdfast with schema version 2 left it, holding one job of each given status. */
function versionTwoFile(path: string, jobs: Array<[queue: string, status: string]>): void {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  for (const migration of MIGRATIONS.filter((m) => m.version <= 2)) db.exec(migration.sql);
  db.prepare(`INSERT INTO holdfast_meta (key, value) VALUES ('schema_version', '2')`).run();
  const insert = db.prepare(
    `INSERT INTO jobs (queue, payload, status, max_attempts, run_at, created_at, updated_at, finished_at)
     VALUES (?, '{}', ?, 3, 0, 0, 0, ?)`,
  );
  for (const [queue, status] of jobs)
    insert.run(queue, status, ['completed', 'failed', 'cancelled'].includes(status) ? 1 : null);
  db.close();
}

function indexes(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs'`)
      .pluck()
      .all() as string[];
  } finally {
    db.close();
  }
}

describe('SQLite store: schema version 3', () => {
  it('upgrades a version-2 file: jobs kept, counted and listed by queue and status', async () => {
    const path = join(tempDir(), 'queue.db');
    versionTwoFile(path, [
      ['a', 'pending'],
      ['a', 'running'],
      ['a', 'failed'],
      ['a', 'failed'],
      ['b', 'completed'],
      ['b', 'pending'],
    ]);
    expect(indexes(path)).toContain('jobs_queue_status');
    const store = await openSqliteStore(path);
    try {
      expect(indexes(path)).not.toContain('jobs_queue_status');
      expect(indexes(path)).toContain('jobs_queue_status_settled');
      expect(await store.countByQueueAndStatus()).toEqual([
        { queue: 'a', status: 'failed', count: 2 },
        { queue: 'a', status: 'pending', count: 1 },
        { queue: 'a', status: 'running', count: 1 },
        { queue: 'b', status: 'completed', count: 1 },
        { queue: 'b', status: 'pending', count: 1 },
      ]);
      const failed = await store.listJobs({ queue: 'a', status: 'failed', limit: 10 });
      expect(failed.map((job) => job.id)).toEqual(['3', '4']);
      const pending = await store.listJobs({ queue: 'b', status: 'pending', limit: 10 });
      expect(pending.map((job) => job.id)).toEqual(['6']);
      expect(await store.hasActiveJobs({ queues: ['b'] })).toBe(true);
      expect((await store.retry({ queue: 'a' })).retried).toEqual(['3', '4']);
      const [result] = await store.enqueue({ jobs: [newJob({ queue: 'b' })] });
      expect(result!.job.id).toBe('7');
    } finally {
      await store.close();
    }
    const db = new Database(path, { readonly: true });
    expect(
      db.prepare(`SELECT value FROM holdfast_meta WHERE key = 'schema_version'`).pluck().get(),
    ).toBe('3');
    db.close();
  });

  it('counts a queue whose only active job is running as active', async () => {
    const path = join(tempDir(), 'queue.db');
    versionTwoFile(path, [
      ['a', 'running'],
      ['b', 'completed'],
    ]);
    const store = await openSqliteStore(path);
    try {
      expect(await store.hasActiveJobs({ queues: ['a'] })).toBe(true);
      expect(await store.hasActiveJobs({ queues: ['b'] })).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('pages through pending jobs of mixed priorities in id order, both ways', async () => {
    const path = join(tempDir(), 'queue.db');
    const store = await openSqliteStore(path);
    try {
      const priorities = [0, 5, -1, 5, 0, 2, -1, 0, 5, 2, 0, 0];
      const results = await store.enqueue({
        jobs: priorities.map((priority) => newJob({ queue: 'q', priority })),
      });
      await store.enqueue({ jobs: [newJob({ queue: 'other', priority: 9 })] });
      const ids = results.map((result) => result.job.id);
      for (const order of ['asc', 'desc'] as const) {
        const seen: string[] = [];
        let after: string | undefined;
        for (;;) {
          const page = await store.listJobs({
            queue: 'q',
            status: 'pending',
            limit: 5,
            order,
            ...(after === undefined ? {} : { after }),
          });
          seen.push(...page.map((job) => job.id));
          if (page.length < 5) break;
          after = page[page.length - 1]!.id;
        }
        expect(seen).toEqual(order === 'asc' ? ids : [...ids].reverse());
      }
    } finally {
      await store.close();
    }
  });

  it('pages pending jobs in id order past the priority-range limit too', async () => {
    const path = join(tempDir(), 'queue.db');
    const store = await openSqliteStore(path);
    try {
      // 40 distinct priorities, more than queries.ts merges range by range.
      const results = await store.enqueue({
        jobs: Array.from({ length: 40 }, (_, i) => newJob({ queue: 'q', priority: (i * 7) % 40 })),
      });
      const page = await store.listJobs({ queue: 'q', status: 'pending', limit: 10 });
      expect(page.map((job) => job.id)).toEqual(results.slice(0, 10).map((r) => r.job.id));
    } finally {
      await store.close();
    }
  });
});
