import type pg from 'pg';
import { ValidationError } from '../../errors.js';
import type { Attempt, Batch, EnqueueResult, Job, JobProgress, JobStatus } from '../../types.js';
import type {
  AttemptEnd,
  BatchRow,
  ClaimedJob,
  ClaimParams,
  EndsAndClaims,
  ExpiredLease,
  Lease,
  ListJobsParams,
  NewJob,
  QueueStatusCount,
  Store,
  StoreCapabilities,
  StoreRows,
  ThroughputBucket,
} from '../store.js';
import { channelFor, type PostgresConfig } from './config.js';
import {
  Connection,
  inTransaction,
  isTransient,
  asStoreError,
  type Logger,
  type Queryable,
} from './connection.js';
import { Claims } from './claims-and-ends.js';
import { Listener } from './listener.js';
import * as admin from './sql/admin.js';
import * as claims from './sql/claims.js';
import {
  BatchResolver,
  analyzeAfterCommit,
  insertChunk,
  insertJobs,
  notifyQueues,
} from './sql/enqueue.js';
import * as reads from './sql/reads.js';
import * as transfer from './sql/transfer.js';
import * as batchCallbacks from './sql/batch-callbacks.js';
import * as flow from './sql/flow.js';
import * as schedules from './sql/schedules.js';
import type {
  BatchCallback,
  NewSchedule,
  QueueConfig,
  QueueConfigChanges,
  Schedule,
} from '../flow.js';

/**
 * The PostgreSQL Store. Each method is one statement or one transaction on a pooled
 * connection; leases and due times use the database's clock (now()), so machines with
 * drifting clocks still agree on who holds a job.
 *
 * Retried inside the store on a transient error: reads, heartbeats, progress and finish
 * (fenced, and it recognises its own earlier commit). Not retried once sent: enqueue, claim,
 * cancel, retry, purge; the caller (the worker's loops) retries those, and a claim whose
 * reply was lost costs one lease expiry, recorded as a lost attempt.
 */
export class PostgresStore implements Store {
  readonly capabilities: StoreCapabilities = {
    listenNotify: true,
    changeToken: false,
    skipLocked: true,
    externalConnection: true,
  };
  readonly description: string;
  readonly schema: string;
  readonly #s: string;
  readonly #channel: string;
  readonly #db: Connection;
  readonly #listener: Listener;
  readonly #claims: Claims;
  #closed = false;

  constructor(pool: pg.Pool, config: PostgresConfig, log: Logger) {
    this.description = config.description;
    this.schema = config.schema;
    this.#s = `"${config.schema}"`;
    this.#channel = channelFor(config.schema);
    this.#db = new Connection(pool, log);
    this.#claims = new Claims(this.#db, this.#s, this.#channel);
    this.#listener = new Listener({
      connectionString: config.connectionString,
      channel: this.#channel,
      log,
      readyQueues: () => this.#readyQueues(),
    });
  }

  async now(): Promise<Date> {
    const result = await this.#db.query<{ now: Date }>('now', 'select now() as now');
    return result.rows[0]!.now;
  }

  async enqueue(params: { jobs: NewJob[]; connection?: unknown }): Promise<EnqueueResult[]> {
    if (params.connection !== undefined) {
      // The caller's transaction: no BEGIN/COMMIT of ours, and NOTIFY is sent when it commits.
      return this.#enqueueOn(asClient(params.connection), params.jobs);
    }
    const results = await this.#db.transaction('enqueue', false, (client) =>
      this.#enqueueOn(client, params.jobs),
    );
    // Never with the caller's connection: its transaction may not even commit.
    await analyzeAfterCommit(this.#db, this.#s, results.filter((r) => !r.existing).length);
    return results;
  }

  async #enqueueOn(client: Queryable, jobs: NewJob[]): Promise<EnqueueResult[]> {
    const results = await insertJobs(client, this.#s, jobs, new BatchResolver(client, this.#s));
    await notifyQueues(
      client,
      this.#channel,
      results.filter((r) => !r.existing).map((r) => r.job.queue),
    );
    return results;
  }

  async enqueueStream(params: {
    chunks: AsyncIterable<NewJob[]>;
  }): Promise<{ inserted: number; existing: number }> {
    // Row locks only (no table lock), so other writers carry on while a long import streams in.
    const loaded = await this.#db.transaction('enqueue', false, async (client) => {
      const batches = new BatchResolver(client, this.#s);
      const queues = new Set<string>();
      const counts = { inserted: 0, existing: 0 };
      for await (const chunk of params.chunks) {
        if (chunk.length === 0) continue;
        const batchIds: Array<string | null> = [];
        for (const job of chunk) batchIds.push(await batches.idFor(job));
        const inserted = await insertChunk(client, this.#s, chunk, batchIds);
        counts.inserted += inserted;
        counts.existing += chunk.length - inserted;
        for (const job of chunk) queues.add(job.queue);
      }
      if (counts.inserted > 0) await notifyQueues(client, this.#channel, queues);
      return counts;
    });
    await analyzeAfterCommit(this.#db, this.#s, loaded.inserted);
    return loaded;
  }

  getJob(id: string): Promise<Job | null> {
    return this.#db.run('getJob', true, (c) => reads.getJob(c, this.#s, id));
  }

  listJobs(params: ListJobsParams): Promise<Job[]> {
    return this.#db.run('listJobs', true, (c) => reads.listJobs(c, this.#s, params));
  }

  listAttempts(jobId: string): Promise<Attempt[]> {
    return this.#db.run('listAttempts', true, (c) => reads.listAttempts(c, this.#s, jobId));
  }

  getBatch(idOrName: string): Promise<Batch | null> {
    return this.#db.run('getBatch', true, (c) => reads.getBatch(c, this.#s, idOrName));
  }

  claim(params: ClaimParams): Promise<ClaimedJob[]> {
    return this.#claims.claim(params);
  }

  async heartbeat(params: {
    leases: Lease[];
    leaseMs: number;
  }): Promise<{ lost: string[]; cancelRequested: string[] }> {
    if (params.leases.length === 0) return { lost: [], cancelRequested: [] };
    return this.#db.run('heartbeat', true, (c) => claims.renewLeases(c, this.#s, params));
  }

  async saveProgress(params: { updates: Array<Lease & { progress: JobProgress }> }): Promise<void> {
    if (params.updates.length === 0) return;
    await this.#db.run('saveProgress', true, (c) =>
      claims.writeProgress(c, this.#s, params.updates),
    );
  }

  finish(params: { ends: AttemptEnd[] }): Promise<boolean[]> {
    return this.#claims.finish(params.ends);
  }

  finishAndClaim(params: { ends: AttemptEnd[]; claim: ClaimParams }): Promise<EndsAndClaims> {
    return this.#claims.finishAndClaim(params.ends, params.claim);
  }

  findExpiredLeases(params: { limit: number }): Promise<ExpiredLease[]> {
    return this.#db.run('findExpiredLeases', true, (c) =>
      claims.expiredLeases(c, this.#s, params.limit),
    );
  }

  cancel(params: {
    jobId?: string;
    batchId?: string;
  }): Promise<{ cancelled: string[]; requested: string[] }> {
    return this.#db.transaction('cancel', false, (c) => admin.cancelJobs(c, this.#s, params));
  }

  retry(params: {
    jobId?: string;
    queue?: string;
    batchId?: string;
  }): Promise<{ retried: string[]; skipped: string[] }> {
    return this.#db.transaction('retry', false, async (c) => {
      const outcome = await admin.retryJobs(c, this.#s, params);
      if (outcome.retried.length > 0) {
        const queues = await c.query<{ queue: string }>(
          `select distinct queue from ${this.#s}.jobs where id = any($1::bigint[])`,
          [outcome.retried],
        );
        await notifyQueues(
          c,
          this.#channel,
          queues.rows.map((row) => row.queue),
        );
      }
      return outcome;
    });
  }

  purge(params: { finishedBefore: Date; statuses: JobStatus[] }): Promise<number> {
    return this.#db.run('purge', false, (c) => admin.purgeJobs(c, this.#s, params));
  }

  hasActiveJobs(params: { queues: string[] }): Promise<boolean> {
    return this.#db.run('hasActiveJobs', true, (c) =>
      reads.hasActiveJobs(c, this.#s, params.queues),
    );
  }

  countByQueueAndStatus(): Promise<QueueStatusCount[]> {
    return this.#db.run('countByQueueAndStatus', true, (c) =>
      reads.countByQueueAndStatus(c, this.#s),
    );
  }

  oldestWaiting(): Promise<Array<{ queue: string; since: Date }>> {
    return this.#db.run('oldestWaiting', true, (c) => reads.oldestWaiting(c, this.#s));
  }

  listBatches(params: { batchId?: string }): Promise<BatchRow[]> {
    return this.#db.run('listBatches', true, (c) => reads.listBatches(c, this.#s, params.batchId));
  }

  throughput(params: {
    since: Date;
    bucketMs: number;
    queue?: string;
  }): Promise<ThroughputBucket[]> {
    return this.#db.run('throughput', true, (c) => reads.throughput(c, this.#s, params));
  }

  workersSeen(params: { since: Date }): Promise<Array<{ workerId: string; lastSeen: Date }>> {
    return this.#db.run('workersSeen', true, (c) => reads.workersSeen(c, this.#s, params.since));
  }

  exportRows(params: { afterId: string | null; limit: number }): Promise<StoreRows> {
    // One snapshot per page: jobs and their attempts agree with each other.
    return this.#db.run('exportRows', true, (c) =>
      inTransaction(c, async () => {
        await c.query('set transaction isolation level repeatable read');
        return transfer.exportRows(c, this.#s, params);
      }),
    );
  }

  importRows(rows: StoreRows): Promise<{ batches: number; jobs: number; attempts: number }> {
    // Skips what exists, so a retry after a lost reply inserts nothing twice.
    return this.#db.transaction('importRows', true, (c) => transfer.importRows(c, this.#s, rows));
  }

  // Flow control and schedules (issue #8): sql/flow.ts, sql/batch-callbacks.ts, sql/schedules.ts.
  listQueueConfigs(): Promise<QueueConfig[]> {
    return this.#db.run('listQueueConfigs', true, (c) => flow.readConfigs(c, this.#s));
  }

  setQueueConfig(params: { queue: string; changes: QueueConfigChanges }): Promise<QueueConfig> {
    // This process sees its own change at its next claim (others within a second).
    return this.#db
      .transaction('setQueueConfig', true, (c) =>
        flow.setQueueConfig(c, this.#s, params.queue, params.changes),
      )
      .finally(() => this.#claims.forgetLimits());
  }

  runningByKey(params: { queue: string }): Promise<Array<{ key: string; running: number }>> {
    return this.#db.run('runningByKey', true, (c) => flow.runningByKey(c, this.#s, params.queue));
  }

  setBatchCallback(params: {
    batchId: string;
    callback: BatchCallback;
  }): Promise<{ firedJobId: string | null }> {
    return this.#db.transaction('setBatchCallback', true, (c) =>
      batchCallbacks.setBatchCallback(c, this.#s, params.batchId, params.callback),
    );
  }

  upsertSchedule(schedule: NewSchedule): Promise<Schedule> {
    return this.#db.run('upsertSchedule', true, (c) =>
      schedules.upsertSchedule(c, this.#s, schedule),
    );
  }

  listSchedules(): Promise<Schedule[]> {
    return this.#db.run('listSchedules', true, (c) => schedules.listSchedules(c, this.#s));
  }

  removeSchedule(name: string): Promise<boolean> {
    return this.#db.run('removeSchedule', true, (c) => schedules.removeSchedule(c, this.#s, name));
  }

  fireSchedule(params: {
    name: string;
    tick: Date;
    job: NewJob | null;
  }): Promise<{ fired: boolean; job: Job | null }> {
    // Idempotent: a retry after a lost reply loses the compare-and-set and enqueues nothing.
    return this.#db.transaction('fireSchedule', true, async (c) => {
      const outcome = await schedules.fireSchedule(c, this.#s, params);
      if (outcome.job) await notifyQueues(c, this.#channel, [outcome.job.queue]);
      return outcome;
    });
  }

  listen(onJobsAvailable: (queue: string) => void): Promise<() => Promise<void>> {
    return this.#listener.subscribe(onJobsAvailable);
  }

  /** Queues with jobs due now: after a reconnect, the notifications sent meanwhile are lost. */
  async #readyQueues(): Promise<string[]> {
    const result = await this.#db.query<{ queue: string }>(
      'readyQueues',
      `select distinct queue from ${this.#s}.jobs where status in ('pending', 'retrying') and run_at <= now() limit 1000`,
    );
    return result.rows.map((row) => row.queue);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#listener.stop();
    await this.#db.pool.end();
  }
}

function asClient(connection: unknown): Queryable {
  if (
    connection === null ||
    typeof connection !== 'object' ||
    typeof (connection as Queryable).query !== 'function'
  ) {
    throw new ValidationError(
      'Expected `connection` to be a pg client (from `pool.connect()` or `new pg.Client()`) inside your transaction',
    );
  }
  return connection as Queryable;
}

export { isTransient, asStoreError };
