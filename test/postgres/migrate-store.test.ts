/** `holdfast migrate-store` from a SQLite file to PostgreSQL, through the built CLI. */
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import type { ClaimedJob, Store } from '../../src/store/store.js';
import type { Job } from '../../src/types.js';
import { runCli } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';
import { newJob, waitUntil } from '../store/conformance-helpers.js';
import { TEST_PG, dropSchema, openTestStore, randomSchema, requirePostgres } from './pg-helpers.js';

beforeAll(requirePostgres);

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh schema name on the test server, dropped after the test. */
function targetSchema(prefix: string): string {
  const schema = randomSchema(prefix);
  cleanups.push(() => dropSchema(schema));
  return schema;
}

/** An open SQLite queue in a temp folder, closed after the test. */
async function sqliteSource(): Promise<{ db: string; queue: JobQueue }> {
  const db = join(tempDir(), 'queue.db');
  const queue = await JobQueue.open({ db });
  cleanups.push(() => queue.close());
  return { db, queue };
}

function migrate(db: string, schema: string) {
  return runCli(['migrate-store', '--from', db, '--to', TEST_PG, '--schema', schema]);
}

async function claim(store: Store, queue: string, leaseMs = 30_000): Promise<ClaimedJob> {
  const [job] = await store.claim({
    queues: [queue],
    limit: 1,
    workerId: 'old-host:1:abc',
    leaseMs,
  });
  return job!;
}

/** A SQLite queue with jobs in every state, batches, and several attempts per job. */
async function seedSqlite(db: string): Promise<void> {
  const queue = await JobQueue.open({ db });
  const store = queue.store;
  try {
    await queue.enqueueMany([
      { queue: 'done', payload: { n: 1 }, options: { key: '1 Main St', batch: 'import-1' } },
      { queue: 'bad', payload: { n: 2 }, options: { maxAttempts: 2, batch: 'import-1' } },
      { queue: 'later', payload: { n: 3 } },
      { queue: 'drop', payload: { n: 4 } },
      { queue: 'dead', payload: { n: 5 } },
      { queue: 'back', payload: { n: 6 }, options: { priority: 3 } },
      {
        queue: 'wait',
        payload: { n: 7, text: 'ünïcode ✓' },
        options: {
          key: 'k7',
          batch: 'import-2',
          timeout: '5s',
          concurrencyKey: 'photos.example.com',
        },
      },
    ]);
    const done = await claim(store, 'done');
    await store.saveProgress({
      updates: [
        {
          jobId: done.id,
          token: done.leaseToken,
          progress: { current: 3, total: 4, message: 'images' },
        },
      ],
    });
    await store.finish({
      ends: [
        {
          jobId: done.id,
          token: done.leaseToken,
          status: 'completed',
          attemptOutcome: 'completed',
          result: '{"images":4}',
        },
      ],
    });

    for (const status of ['retrying', 'failed'] as const) {
      const bad = await claim(store, 'bad');
      await store.finish({
        ends: [
          {
            jobId: bad.id,
            token: bad.leaseToken,
            status,
            attemptOutcome: 'failed',
            runAt: new Date(),
            error: { message: `HTTP 503 (${status})`, stack: 'Error: HTTP 503\n    at fetch' },
          },
        ],
      });
    }
    const later = await claim(store, 'later');
    await store.finish({
      ends: [
        {
          jobId: later.id,
          token: later.leaseToken,
          status: 'retrying',
          attemptOutcome: 'retrying',
          runAt: new Date(Date.now() + 3_600_000),
          error: { message: 'flaky', stack: null },
        },
      ],
    });
    await store.cancel({ jobId: (await store.listJobs({ queue: 'drop', limit: 1 }))[0]!.id });
    // A worker that died: running, lease expired.
    const dead = await claim(store, 'dead', 1);
    await waitUntil(
      async () => (await store.now()).getTime() > dead.leaseExpiresAt!.getTime() + 2,
      'the dead worker’s lease expired',
    );
    // A graceful shutdown handed this one back: an interrupted attempt, not counted.
    const back = await claim(store, 'back');
    await store.finish({
      ends: [
        {
          jobId: back.id,
          token: back.leaseToken,
          status: 'pending',
          attemptOutcome: 'interrupted',
        },
      ],
    });
  } finally {
    await queue.close();
  }
}

async function everything(
  store: Store,
): Promise<{ jobs: Job[]; attempts: unknown[]; batches: unknown[] }> {
  const jobs = await store.listJobs({ limit: 1_000 });
  const attempts = await Promise.all(jobs.map((job) => store.listAttempts(job.id)));
  const batches = await store.listBatches({});
  return { jobs, attempts, batches };
}

describe('holdfast migrate-store (SQLite -> PostgreSQL)', () => {
  it('copies every job, batch and attempt; re-running copies nothing; new ids follow the copied ones', async () => {
    const db = join(tempDir(), 'queue.db');
    await seedSqlite(db);
    const schema = targetSchema('mig');

    const first = await migrate(db, schema);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('jobs:     7 copied, 0 already there');
    expect(first.stdout).toContain('counts match.');
    expect(first.stdout).toMatch(/completed\s+1\s+1/);

    const sqlite = await JobQueue.open({ db });
    cleanups.push(() => sqlite.close());
    const pg = await openTestStore(schema);
    cleanups.push(() => pg.close());
    const source = await everything(sqlite.store);
    const target = await everything(pg);
    expect(target).toEqual(source);
    expect(new Set(source.jobs.map((job) => job.status))).toEqual(
      new Set(['pending', 'running', 'retrying', 'completed', 'failed', 'cancelled']),
    );
    expect(source.attempts.flat().length).toBe(6);

    const again = await runCli([
      'migrate-store',
      '--from',
      db,
      '--to',
      `${TEST_PG}?schema=${schema}`,
    ]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('jobs:     0 copied, 7 already there');
    expect(again.stdout).toContain('attempts: 0 copied');
    expect(await everything(pg)).toEqual(source);

    // The sequence moved past the copied ids, and the key rule holds on the copied data.
    const [fresh, keyed] = await pg.enqueue({
      jobs: [newJob({ queue: 'new' }), newJob({ queue: 'wait', key: 'k7' })],
    });
    expect(Number(fresh!.job.id)).toBeGreaterThan(
      Math.max(...source.jobs.map((job) => Number(job.id))),
    );
    expect(keyed!.existing).toBe(true);
    // The dead worker's job is rescued on PostgreSQL, its attempt recorded as lost.
    const [expired] = await pg.findExpiredLeases({ limit: 10 });
    expect(expired).toBeDefined();
    expect(
      await pg.finish({
        ends: [
          {
            jobId: expired!.jobId,
            token: expired!.token,
            status: 'retrying',
            attemptOutcome: 'lost',
            runAt: new Date(),
            onlyIfLeaseExpired: true,
            error: { message: 'lease expired', stack: null },
          },
        ],
      }),
    ).toEqual([true]);
    expect((await pg.listAttempts(expired!.jobId)).map((a) => a.outcome)).toEqual(['lost']);
  });

  it('refuses while workers hold live leases on the source, and copies nothing', async () => {
    const { db, queue } = await sqliteSource();
    await queue.store.enqueue({ jobs: [newJob(), newJob()] });
    await claim(queue.store, 'q', 60_000);
    const schema = targetSchema('live');

    const result = await migrate(db, schema);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/1 running job with live leases/);
    expect(result.stderr).toMatch(/stop the workers first \(SIGTERM/);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const pg = await openTestStore(schema);
    cleanups.push(() => pg.close());
    expect(await pg.listJobs({ limit: 10 })).toEqual([]);
  });

  it('refuses a target that holds other jobs under the same ids, and copies nothing', async () => {
    const { db, queue: source } = await sqliteSource();
    await source.store.enqueue({
      jobs: [newJob({ queue: 'from-sqlite' }), newJob({ queue: 'from-sqlite' })],
    });
    const schema = targetSchema('used');
    const pg = await openTestStore(schema);
    cleanups.push(() => pg.close());
    await pg.enqueue({ jobs: [newJob({ queue: 'already-here' })] });

    const result = await migrate(db, schema);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/already holds a different job 1 .*empty schema/);
    expect((await pg.listJobs({ limit: 10 })).map((job) => job.queue)).toEqual(['already-here']);
  });

  it('names a missing source file instead of creating an empty one', async () => {
    const missing = join(tempDir(), 'nope.db');
    const result = await runCli(['migrate-store', '--from', missing, '--to', TEST_PG]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('does not exist');
  });
});
