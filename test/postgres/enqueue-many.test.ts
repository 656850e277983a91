/**
 * The PostgreSQL store's multi-job enqueue: a chunk of jobs per statement, with the results a
 * job-by-job insert gives (input order, the key rule within one call and across chunks), and
 * the ANALYZE after a large load.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ENQUEUE_CHUNK } from '../../src/store/postgres/sql/enqueue.js';
import type { NewJob } from '../../src/store/store.js';
import { claimOne, end, newJob } from '../store/conformance-helpers.js';
import { pgFixtures, requirePostgres } from './pg-helpers.js';

beforeAll(requirePostgres);

const { freshStore, client } = pgFixtures();

function jobs(count: number, make: (index: number) => Partial<NewJob> = () => ({})): NewJob[] {
  return Array.from({ length: count }, (_, index) =>
    newJob({ payload: String(index), ...make(index) }),
  );
}

/** The row count the planner's statistics describe (-1 or 0: never analyzed). */
async function statsRows(schema: string): Promise<number> {
  const c = await client();
  const result = await c.query<{ rows: number }>(
    `select reltuples::float8 as rows from pg_class where oid = '"${schema}".jobs'::regclass`,
  );
  return Number(result.rows[0]!.rows);
}

async function withoutAutovacuum(schema: string): Promise<void> {
  const c = await client();
  await c.query(`alter table "${schema}".jobs set (autovacuum_enabled = off)`);
}

describe('PostgreSQL enqueue of many jobs', () => {
  it('sends one statement per chunk, not one per job', async () => {
    const { store } = await freshStore('many');
    const c = await client();
    const statements: string[] = [];
    const counting = {
      query: (text: string, values?: unknown[]) => {
        statements.push(text);
        return c.query(text, values);
      },
    };
    const count = ENQUEUE_CHUNK * 2 + 10;
    await c.query('begin');
    const results = await store.enqueue({ jobs: jobs(count), connection: counting });
    await c.query('commit');
    expect(results).toHaveLength(count);
    expect(results.every((r) => !r.existing)).toBe(true);
    // Three inserts and the NOTIFY (one job per statement would be 20,011).
    expect(statements).toHaveLength(4);
  });

  it('returns results in input order, the key rule applying within the call and across chunks', async () => {
    const { store } = await freshStore('many');
    const [older] = await store.enqueue({ jobs: [newJob({ key: 'old', payload: '"older"' })] });
    const last = ENQUEUE_CHUNK; // the first job of the second chunk
    const input = jobs(ENQUEUE_CHUNK + 3, (index) => {
      if (index === 1) return { key: 'old' };
      if (index === 2 || index === 5 || index === last) return { key: 'dup' };
      if (index === 3 || index === last + 1) return { key: 'b-key', batchName: 'b1' };
      if (index === last + 2) return { key: 'old', queue: 'other' };
      return {};
    });
    const results = await store.enqueue({ jobs: input });

    expect(results.map((r) => r.existing)).toEqual(
      input.map((_, index) => [1, 5, last, last + 1].includes(index)),
    );
    // A job created from its own input keeps that input's payload; a duplicate gets the first.
    const created = results.filter((r) => !r.existing);
    expect(created.map((r) => r.job.payload)).toEqual(
      input.filter((_, i) => ![1, 5, last, last + 1].includes(i)).map((j) => JSON.parse(j.payload)),
    );
    const ids = created.map((r) => Number(r.job.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(results[1]!.job.id).toBe(older!.job.id);
    expect(results[5]!.job.id).toBe(results[2]!.job.id);
    expect(results[last]!.job.id).toBe(results[2]!.job.id);
    expect(results[last]!.job.payload).toBe(2);
    expect(results[last + 1]!.job.id).toBe(results[3]!.job.id);
    expect(results[last + 1]!.job.batchId).toBeTruthy();
    expect(results[last + 2]!.job).toMatchObject({ queue: 'other', key: 'old' });
    expect(await store.countByQueueAndStatus()).toEqual(
      expect.arrayContaining([{ queue: 'q', status: 'pending', count: ENQUEUE_CHUNK - 1 }]),
    );
  });

  it('returns each new job exactly as stored', async () => {
    const { store } = await freshStore('many');
    const runAt = new Date((await store.now()).getTime() + 60_123);
    const results = await store.enqueue({
      jobs: [
        newJob({ payload: '{"a":[1,"x"]}' }),
        newJob({
          queue: 'mail',
          key: 'k',
          priority: -3,
          runAt,
          maxAttempts: 9,
          timeoutMs: 2_500,
          batchName: 'b',
          concurrencyKey: 'tenant-1',
        }),
      ],
    });
    for (const { job } of results) expect(await store.getJob(job.id)).toEqual(job);
    expect(results[1]!.job.runAt.getTime()).toBe(runAt.getTime());
    expect(results[0]!.job.runAt.getTime()).toBe(results[0]!.job.createdAt.getTime());
  });

  it('finds a terminal job of the same batch for a key, as one job at a time would', async () => {
    const { store } = await freshStore('many');
    await store.enqueue({ jobs: [newJob({ key: 'k', batchName: 'b' })] });
    const claimed = await claimOne(store);
    expect(await store.finish({ ends: [end(claimed)] })).toEqual([true]);
    const results = await store.enqueue({
      jobs: [newJob({ key: 'k', batchName: 'b' }), newJob({ key: 'k' }), newJob({ key: 'k' })],
    });
    expect(results.map((r) => [r.existing, r.job.status])).toEqual([
      [true, 'completed'],
      [false, 'pending'],
      [true, 'pending'],
    ]);
    expect(results[0]!.job.id).toBe(claimed.id);
    expect(results[2]!.job.id).toBe(results[1]!.job.id);
  });
});

describe('PostgreSQL statistics after a large load', () => {
  it('analyzes the jobs table after a large enqueueMany and a large enqueueStream', async () => {
    const { store, schema } = await freshStore('analyze');
    await withoutAutovacuum(schema);
    await store.enqueue({ jobs: jobs(2_000) });
    expect(await statsRows(schema)).toBe(2_000);
    async function* chunks() {
      for (let i = 0; i < 3; i += 1) yield jobs(1_000);
    }
    await store.enqueueStream({ chunks: chunks() });
    expect(await statsRows(schema)).toBe(5_000);
  });

  it('leaves small loads and loads small next to the table to autovacuum', async () => {
    const { store, schema } = await freshStore('analyze');
    await withoutAutovacuum(schema);
    await store.enqueue({ jobs: jobs(500) });
    expect(await statsRows(schema)).toBeLessThanOrEqual(0);
    await store.enqueue({ jobs: jobs(20_000) });
    expect(await statsRows(schema)).toBe(20_500);
    // 1,500 is under 10% of the 20,500 rows the statistics describe.
    await store.enqueue({ jobs: jobs(1_500) });
    expect(await statsRows(schema)).toBe(20_500);
  });

  it('never analyzes inside or after a transactional enqueue on the caller connection', async () => {
    const { store, schema } = await freshStore('analyze');
    await withoutAutovacuum(schema);
    const c = await client();
    await c.query('begin');
    await store.enqueue({ jobs: jobs(2_000), connection: c });
    await c.query('commit');
    expect(await statsRows(schema)).toBeLessThanOrEqual(0);
  });
});
