/** What only the PostgreSQL store does: SKIP LOCKED, transactional enqueue, migrations, NOTIFY. */
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { StoreError, ValidationError } from '../../src/errors.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { Listener } from '../../src/store/postgres/listener.js';
import { LATEST_VERSION } from '../../src/store/postgres/migrations.js';
import { tempDir } from '../helpers/tmp.js';
import { newJob, waitUntil } from '../store/conformance-helpers.js';
import {
  TEST_PG,
  dropSchema,
  openTestStore,
  pgFixtures,
  quietLogger,
  randomSchema,
  requirePostgres,
  urlWithSchema,
} from './pg-helpers.js';

beforeAll(requirePostgres);

const { freshStore, client, onCleanup } = pgFixtures();

describe('PostgreSQL store', () => {
  it('claims past a row another transaction holds locked (SKIP LOCKED), then gets it once released', async () => {
    const { store, schema } = await freshStore('skip');
    const [first, second] = await store.enqueue({
      jobs: [newJob({ payload: '"first"' }), newJob({ payload: '"second"' })],
    });
    const holder = await client();
    await holder.query('begin');
    await holder.query(`select id from "${schema}".jobs where id = $1 for update`, [first!.job.id]);

    const claimed = await store.claim({ queues: ['q'], limit: 2, workerId: 'w1', leaseMs: 30_000 });
    expect(claimed.map((job) => job.id)).toEqual([second!.job.id]);
    expect((await store.getJob(first!.job.id))!.status).toBe('pending');

    await holder.query('rollback');
    const later = await store.claim({ queues: ['q'], limit: 2, workerId: 'w1', leaseMs: 30_000 });
    expect(later.map((job) => job.id)).toEqual([first!.job.id]);
  });

  it('enqueues inside the caller’s transaction: rolled back leaves no job, committed one exists', async () => {
    const { schema } = await freshStore('tx');
    const queue = await JobQueue.open({ db: urlWithSchema(schema) });
    onCleanup(() => queue.close());
    const pool = new pg.Pool({ connectionString: TEST_PG, max: 2 });
    onCleanup(() => pool.end());
    const app = await pool.connect();
    onCleanup(async () => app.release());

    await app.query('begin');
    const rolledBack = await queue.enqueue(
      'mail',
      { to: 'a@example.com' },
      { key: 'order-1', connection: app },
    );
    expect(rolledBack.existing).toBe(false);
    // Not visible outside the transaction before it commits.
    expect(await queue.get(rolledBack.job.id)).toBeNull();
    await app.query('rollback');
    expect(await queue.get(rolledBack.job.id)).toBeNull();
    expect((await queue.list({ queue: 'mail' })).items).toEqual([]);

    await app.query('begin');
    const [committed] = await queue.enqueueMany(
      [{ queue: 'mail', payload: { to: 'b@example.com' }, options: { key: 'order-2' } }],
      {
        connection: app,
      },
    );
    await app.query('commit');
    const stored = await queue.get(committed!.job.id);
    expect(stored).toMatchObject({
      queue: 'mail',
      key: 'order-2',
      status: 'pending',
      payload: { to: 'b@example.com' },
    });

    await expect(queue.enqueue('mail', {}, { connection: 42 })).rejects.toThrow(ValidationError);
    // A store without transactional enqueue refuses `connection` instead of ignoring it.
    const sqlite = await JobQueue.open({ db: join(tempDir(), 'queue.db') });
    onCleanup(() => sqlite.close());
    await expect(sqlite.enqueue('mail', {}, { connection: app })).rejects.toThrow(
      /needs a store that supports it, such as PostgreSQL/,
    );
    expect((await sqlite.list()).items).toEqual([]);
  });

  it('migrates once when several stores open the same fresh schema at the same moment', async () => {
    const schema = randomSchema('race');
    onCleanup(() => dropSchema(schema));
    const stores = await Promise.all(Array.from({ length: 6 }, () => openTestStore(schema)));
    onCleanup(async () => void (await Promise.all(stores.map((store) => store.close()))));
    const c = await client();
    const versions = await c.query(
      `select version from "${schema}".schema_version order by version`,
    );
    expect(versions.rows.map((row) => row.version)).toEqual(
      Array.from({ length: LATEST_VERSION }, (_, i) => i + 1),
    );
    // Every store works on the one schema.
    const results = await Promise.all(
      stores.map((store, i) => store.enqueue({ jobs: [newJob({ key: `k${i}` })] })),
    );
    expect(new Set(results.map(([r]) => r!.job.id)).size).toBe(6);
  });

  it('refuses a schema written by a newer holdfast, and leaves it unchanged', async () => {
    const { store, schema } = await freshStore('newer');
    await store.close();
    const c = await client();
    await c.query(`insert into "${schema}".schema_version (version) values ($1)`, [
      LATEST_VERSION + 1,
    ]);
    const before = await c.query(
      `select count(*)::int as n from information_schema.columns where table_schema = $1`,
      [schema],
    );

    const opening = openPostgresStore(TEST_PG, { schema, logger: quietLogger });
    await expect(opening).rejects.toThrow(StoreError);
    await expect(opening).rejects.toThrow(
      `written by a newer holdfast (schema version ${LATEST_VERSION + 1}`,
    );
    const after = await c.query(
      `select count(*)::int as n from information_schema.columns where table_schema = $1`,
      [schema],
    );
    expect(after.rows[0].n).toBe(before.rows[0].n);
    const versions = await c.query(`select max(version) as v from "${schema}".schema_version`);
    expect(versions.rows[0].v).toBe(LATEST_VERSION + 1);
  });

  it('takes the schema from the URL, validates it, and hides the password in its description', async () => {
    const { schema } = await freshStore('url');
    const store = await openPostgresStore(urlWithSchema(schema), { logger: quietLogger });
    onCleanup(() => store.close());
    expect(store.description).toContain(`schema ${schema}`);
    await expect(openPostgresStore(TEST_PG, { schema: 'Robert"; drop table x' })).rejects.toThrow(
      /Expected `schema` to be a lower-case identifier/,
    );
    await expect(openPostgresStore(urlWithSchema('9lives'))).rejects.toThrow(ValidationError);
    const withPassword = new URL(urlWithSchema(schema));
    withPassword.password = 'sekret';
    const other = await openPostgresStore(withPassword.toString(), { logger: quietLogger });
    onCleanup(() => other.close());
    expect(other.description).not.toContain('sekret');
  });

  it('fails to open with a clear StoreError when PostgreSQL is not there', async () => {
    const url = new URL(TEST_PG);
    url.port = '1'; // nothing listens on port 1
    await expect(openPostgresStore(url.toString(), { logger: quietLogger })).rejects.toThrow(
      /Cannot open the PostgreSQL store at .*Check that PostgreSQL is running/,
    );
  });

  it('wakes a listener in another store on enqueue (NOTIFY on commit, payload = queue)', async () => {
    const { store, schema } = await freshStore('notify');
    const other = await openTestStore(schema);
    onCleanup(() => other.close());
    const heard: string[] = [];
    const unlisten = await other.listen!((queue) => heard.push(queue));
    onCleanup(unlisten);
    await store.enqueue({ jobs: [newJob({ queue: 'images' })] });
    await waitUntil(() => heard.includes('images'), 'the listener heard the enqueue');
    // A rolled-back transactional enqueue notifies nobody.
    const app = await client();
    await app.query('begin');
    await store.enqueue({ jobs: [newJob({ queue: 'ghost' })], connection: app });
    await app.query('rollback');
    await store.enqueue({ jobs: [newJob({ queue: 'after' })] });
    await waitUntil(() => heard.includes('after'), 'the listener heard the later enqueue');
    expect(heard).not.toContain('ghost');
  });

  it('LISTENs again after its connection is killed, and reports the queues with ready jobs', async () => {
    const { store, schema } = await freshStore('relisten');
    await store.enqueue({ jobs: [newJob({ queue: 'waiting' })] });
    const heard: string[] = [];
    const unlisten = await store.listen!((queue) => heard.push(queue));
    onCleanup(unlisten);
    const admin = await client();
    const killed = await admin.query(
      `select pg_terminate_backend(pid) as ok from pg_stat_activity where query = $1 and datname = current_database()`,
      [`listen "holdfast_${schema}"`],
    );
    expect(killed.rowCount).toBe(1);
    // After reconnecting, notifications lost meanwhile are made up for: every ready queue is reported.
    await waitUntil(
      () => heard.includes('waiting'),
      'the listener reported the ready queue after reconnecting',
    );
    await store.enqueue({ jobs: [newJob({ queue: 'fresh' })] });
    await waitUntil(() => heard.includes('fresh'), 'the listener hears new enqueues again');
  });

  it('retries a finish whose connection is killed mid-statement, and applies it once', async () => {
    const { store, schema } = await freshStore('kill');
    await store.enqueue({ jobs: [newJob(), newJob()] });
    const claimed = await store.claim({ queues: ['q'], limit: 2, workerId: 'w1', leaseMs: 30_000 });
    // Hold one job's row so the store's finish waits on the lock; then kill the waiting backend.
    const holder = await client();
    await holder.query('begin');
    await holder.query(`select id from "${schema}".jobs where id = $1 for update`, [
      claimed[0]!.id,
    ]);
    const finishing = store.finish({
      ends: claimed.map((job) => ({
        jobId: job.id,
        token: job.leaseToken,
        status: 'completed' as const,
        attemptOutcome: 'completed' as const,
        result: '1',
      })),
    });
    const admin = await client();
    let killed = 0;
    await waitUntil(async () => {
      const result = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where application_name = 'holdfast' and wait_event_type = 'Lock' and query like $1`,
        [`%"${schema}".jobs%`],
      );
      killed += result.rowCount ?? 0;
      return killed > 0;
    }, 'the finish waits on the locked row');
    await holder.query('rollback');
    expect(await finishing).toEqual([true, true]);
    expect((await store.countByQueueAndStatus()).map((row) => [row.status, row.count])).toEqual([
      ['completed', 2],
    ]);
    const attempts = await Promise.all(claimed.map((job) => store.listAttempts(job.id)));
    expect(attempts.map((list) => list.map((a) => a.outcome))).toEqual([
      ['completed'],
      ['completed'],
    ]);
  });

  it('survives its connection being killed between two statements of a transaction (no uncaught error)', async () => {
    const { store, schema } = await freshStore('midtx');
    const admin = await client();
    let killed = 0;
    // A stream holds one connection across its chunks; kill it while the source is between chunks.
    async function* chunks() {
      yield [newJob({ key: 'a' })];
      const result = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
         where application_name = 'holdfast' and state like 'idle in transaction%' and query like $1`,
        [`%"${schema}"%`],
      );
      killed = result.rowCount ?? 0;
      // Let the termination reach the client while it sits idle, with no statement in flight.
      await new Promise((resolve) => setTimeout(resolve, 200));
      yield [newJob({ key: 'b' })];
    }
    const streaming = store.enqueueStream({ chunks: chunks() });
    await expect(streaming).rejects.toThrow(
      /PostgreSQL unavailable during enqueue|not queryable|terminat/i,
    );
    expect(killed).toBe(1);
    // Nothing of the stream was kept, and the store works on with a fresh connection.
    expect(await store.listJobs({ limit: 10 })).toEqual([]);
    expect((await store.enqueue({ jobs: [newJob({ key: 'c' })] }))[0]!.existing).toBe(false);
  });

  it('subscribes even while PostgreSQL is unreachable, logging it and retrying LISTEN in the background', async () => {
    const logged: string[] = [];
    const url = new URL(TEST_PG);
    url.port = '1'; // nothing listens on port 1
    const listener = new Listener({
      connectionString: url.toString(),
      channel: 'holdfast_unreachable',
      log: (line) => logged.push(line),
      readyQueues: async () => [],
    });
    const unsubscribe = await listener.subscribe(() => undefined);
    expect(logged.join('\n')).toMatch(/LISTEN holdfast_unreachable: .*retrying with backoff/);
    await unsubscribe();
  });
});
