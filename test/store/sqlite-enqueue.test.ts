/**
 * The SQLite enqueue paths (enqueue.ts): one keyless job in autocommit, keyless runs of a list in
 * several rows per statement with ids given, keyed jobs one by one. Each must give what reading
 * the rows back gives.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { NewJob } from '../../src/store/store.js';
import { tempDir } from '../helpers/tmp.js';
import { newJob } from './conformance-helpers.js';

async function openStore() {
  return openSqliteStore(join(tempDir(), 'queue.db'));
}

describe('SQLite store: enqueue paths', () => {
  it('returns, for a mixed list, the jobs as stored, in order, keys deduplicated', async () => {
    const store = await openStore();
    try {
      const [old] = await store.enqueue({ jobs: [newJob({ key: 'k-old' })] });
      const jobs: NewJob[] = Array.from({ length: 300 }, (_, i) =>
        newJob({
          payload: JSON.stringify({ i }),
          priority: i % 3,
          ...(i % 50 === 7 ? { key: `k-${i % 100}` } : {}),
          ...(i % 40 === 3 ? { batchName: `batch-${i % 80}` } : {}),
          ...(i % 9 === 0 ? { runAt: new Date(Date.now() + 60_000), timeoutMs: 1_000 } : {}),
          ...(i % 11 === 0 ? { concurrencyKey: `host-${i % 2}` } : {}),
        }),
      );
      jobs.splice(150, 0, newJob({ key: 'k-old' }));
      const results = await store.enqueue({ jobs });
      expect(results).toHaveLength(301);
      // Keys k-7 (i = 7, 107, 207) and k-57 (57, 157, 257): each later one is its first one.
      const byKey = new Map<string, string>();
      const fresh: number[] = [];
      for (const [index, { job, existing }] of results.entries()) {
        const input = jobs[index]!;
        if (input.key === 'k-old') {
          expect(existing).toBe(true);
          expect(job.id).toBe(old!.job.id);
          continue;
        }
        if (input.key !== null && byKey.has(input.key)) {
          expect(existing).toBe(true);
          expect(job.id).toBe(byKey.get(input.key));
          continue;
        }
        expect(existing).toBe(false);
        expect(job.payload).toEqual(JSON.parse(input.payload));
        if (input.key !== null) byKey.set(input.key, job.id);
        expect(job).toEqual(await store.getJob(job.id));
        fresh.push(Number(job.id));
      }
      expect(fresh).toEqual([...fresh].sort((a, b) => a - b));
      expect(new Set(fresh).size).toBe(fresh.length);
      expect(fresh[0]).toBeGreaterThan(Number(old!.job.id));
      expect(byKey.size).toBe(2);
      const [batch] = (await store.listBatches({})).filter((b) => b.name === 'batch-3');
      expect(batch?.counts.pending).toBe(4);
    } finally {
      await store.close();
    }
  });

  it('returns a single job as stored', async () => {
    const store = await openStore();
    try {
      const [result] = await store.enqueue({
        jobs: [newJob({ payload: '{"a":[1,"x",null]}', priority: 4, concurrencyKey: 'h' })],
      });
      expect(result!.existing).toBe(false);
      expect(result!.job).toEqual(await store.getJob(result!.job.id));
    } finally {
      await store.close();
    }
  });

  it('keeps nothing of a list when one of its jobs cannot be written', async () => {
    const store = await openStore();
    try {
      const jobs = Array.from({ length: 200 }, (_, i) =>
        newJob({ payload: String(i), batchName: 'b' }),
      );
      jobs[170] = { ...jobs[170]!, maxAttempts: null as unknown as number };
      await expect(store.enqueue({ jobs })).rejects.toThrow(/NOT NULL/);
      expect(await store.listJobs({ limit: 10 })).toEqual([]);
      expect(await store.getBatch('b')).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('never gives an id again, even after its job was purged', async () => {
    const store = await openStore();
    try {
      const first = await store.enqueue({ jobs: [newJob(), newJob(), newJob()] });
      const single = await store.enqueue({ jobs: [newJob()] });
      const ids = [...first, ...single].map((r) => r.job.id);
      for (const id of ids) await store.cancel({ jobId: id });
      expect(
        await store.purge({
          finishedBefore: new Date(Date.now() + 1_000),
          statuses: ['cancelled'],
        }),
      ).toBe(4);
      // A list first: its ids are given by enqueue.ts (NEXT_ID), not by AUTOINCREMENT.
      const many = await store.enqueue({ jobs: [newJob(), newJob()] });
      const [again] = await store.enqueue({ jobs: [newJob()] });
      const newIds = [again!, ...many].map((r) => Number(r.job.id));
      expect(Math.min(...newIds)).toBeGreaterThan(Math.max(...ids.map(Number)));
    } finally {
      await store.close();
    }
  });
});
