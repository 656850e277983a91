import type Database from 'better-sqlite3';
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
import type { Attempt, Batch, EnqueueResult, Job, JobProgress, JobStatus } from '../../types.js';
import * as admin from './admin.js';
import { Connection } from './connection.js';
import * as enqueue from './enqueue.js';
import * as leases from './leases.js';
import * as queries from './queries.js';
import * as transfer from './transfer.js';
import * as flow from './flow.js';
import * as batchCallbacks from './batch-callbacks.js';
import * as schedules from './schedules.js';
import type {
  BatchCallback,
  NewSchedule,
  QueueConfig,
  QueueConfigChanges,
  Schedule,
} from '../flow.js';

/**
 * The SQLite Store. better-sqlite3 is synchronous: each method runs to completion (one
 * transaction) before the event loop moves on, so no two methods of one store interleave.
 */
export class SqliteStore implements Store {
  readonly capabilities: StoreCapabilities = {
    listenNotify: false,
    changeToken: true,
    skipLocked: false,
  };
  readonly description: string;
  readonly #conn: Connection;
  readonly #dataVersion: Database.Statement;
  #closed = false;

  constructor(db: Database.Database, path: string) {
    this.#conn = new Connection(db, path);
    this.description = `sqlite:${path}`;
    this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /** The store's clock is this process's clock: SQLite has no server to ask. */
  async now(): Promise<Date> {
    return new Date();
  }

  async enqueue(params: { jobs: NewJob[] }): Promise<EnqueueResult[]> {
    return enqueue.enqueueJobs(this.#conn, params.jobs);
  }

  async enqueueStream(params: {
    chunks: AsyncIterable<NewJob[]>;
  }): Promise<{ inserted: number; existing: number }> {
    return enqueue.enqueueStream(this.#conn, params.chunks);
  }

  async getJob(id: string): Promise<Job | null> {
    return queries.getJob(this.#conn, id);
  }

  async listJobs(params: ListJobsParams): Promise<Job[]> {
    return queries.listJobs(this.#conn, params);
  }

  async listAttempts(jobId: string): Promise<Attempt[]> {
    return queries.listAttempts(this.#conn, jobId);
  }

  async getBatch(idOrName: string): Promise<Batch | null> {
    return queries.getBatch(this.#conn, idOrName);
  }

  async claim(params: {
    queues: string[];
    limit: number;
    workerId: string;
    leaseMs: number;
  }): Promise<ClaimedJob[]> {
    return leases.claim(this.#conn, params);
  }

  async heartbeat(params: {
    leases: Lease[];
    leaseMs: number;
  }): Promise<{ lost: string[]; cancelRequested: string[] }> {
    return leases.heartbeat(this.#conn, params);
  }

  async saveProgress(params: { updates: Array<Lease & { progress: JobProgress }> }): Promise<void> {
    leases.saveProgress(this.#conn, params.updates);
  }

  async finish(params: { ends: AttemptEnd[] }): Promise<boolean[]> {
    return leases.finish(this.#conn, params.ends);
  }

  async finishAndClaim(params: { ends: AttemptEnd[]; claim: ClaimParams }): Promise<EndsAndClaims> {
    return leases.finishAndClaim(this.#conn, params.ends, params.claim);
  }

  async findExpiredLeases(params: { limit: number }): Promise<ExpiredLease[]> {
    return leases.findExpiredLeases(this.#conn, params.limit);
  }

  async cancel(params: {
    jobId?: string;
    batchId?: string;
  }): Promise<{ cancelled: string[]; requested: string[] }> {
    return admin.cancel(this.#conn, params);
  }

  async retry(params: {
    jobId?: string;
    queue?: string;
    batchId?: string;
  }): Promise<{ retried: string[]; skipped: string[] }> {
    return admin.retry(this.#conn, params);
  }

  async purge(params: { finishedBefore: Date; statuses: JobStatus[] }): Promise<number> {
    return admin.purge(this.#conn, params);
  }

  async hasActiveJobs(params: { queues: string[] }): Promise<boolean> {
    return queries.hasActiveJobs(this.#conn, params.queues);
  }

  async countByQueueAndStatus(): Promise<QueueStatusCount[]> {
    return queries.countByQueueAndStatus(this.#conn);
  }

  async oldestWaiting(): Promise<Array<{ queue: string; since: Date }>> {
    return queries.oldestWaiting(this.#conn);
  }

  async listBatches(params: { batchId?: string }): Promise<BatchRow[]> {
    return queries.listBatches(this.#conn, params.batchId);
  }

  async throughput(params: {
    since: Date;
    bucketMs: number;
    queue?: string;
  }): Promise<ThroughputBucket[]> {
    return queries.throughput(this.#conn, params);
  }

  async workersSeen(params: { since: Date }): Promise<Array<{ workerId: string; lastSeen: Date }>> {
    return queries.workersSeen(this.#conn, params.since);
  }

  /** For migrate-store (see transfer.ts). */
  async exportRows(params: { afterId: string | null; limit: number }): Promise<StoreRows> {
    return transfer.exportRows(this.#conn, params);
  }

  async importRows(rows: StoreRows): Promise<{ batches: number; jobs: number; attempts: number }> {
    return transfer.importRows(this.#conn, rows);
  }

  // Flow control and schedules (issue #8): see flow.ts, batch-callbacks.ts, schedules.ts.
  async listQueueConfigs(): Promise<QueueConfig[]> {
    return flow.listQueueConfigs(this.#conn);
  }

  async setQueueConfig(params: {
    queue: string;
    changes: QueueConfigChanges;
  }): Promise<QueueConfig> {
    return flow.setQueueConfig(this.#conn, params.queue, params.changes);
  }

  async runningByKey(params: { queue: string }): Promise<Array<{ key: string; running: number }>> {
    return flow.runningByKey(this.#conn, params.queue);
  }

  async setBatchCallback(params: {
    batchId: string;
    callback: BatchCallback;
  }): Promise<{ firedJobId: string | null }> {
    return batchCallbacks.setBatchCallback(this.#conn, params.batchId, params.callback);
  }

  async upsertSchedule(schedule: NewSchedule): Promise<Schedule> {
    return schedules.upsertSchedule(this.#conn, schedule);
  }

  async listSchedules(): Promise<Schedule[]> {
    return schedules.listSchedules(this.#conn);
  }

  async removeSchedule(name: string): Promise<boolean> {
    return schedules.removeSchedule(this.#conn, name);
  }

  async fireSchedule(params: {
    name: string;
    tick: Date;
    job: NewJob | null;
  }): Promise<{ fired: boolean; job: Job | null }> {
    return schedules.fireSchedule(this.#conn, params);
  }

  /** `PRAGMA data_version`: changes when another connection commits; costs about 1 µs, so idle workers poll it every 10 ms. */
  changeToken(): number {
    return this.#dataVersion.get() as number;
  }

  /** The connection's actual settings, read back from SQLite (for tests and `holdfast status`). */
  settings(): {
    journalMode: string;
    synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';
    busyTimeoutMs: number;
  } {
    const db = this.#conn.db;
    const synchronous = db.pragma('synchronous', { simple: true }) as number;
    return {
      journalMode: String(db.pragma('journal_mode', { simple: true })),
      synchronous: (['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const)[synchronous] ?? 'OFF',
      busyTimeoutMs: db.pragma('busy_timeout', { simple: true }) as number,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#conn.db.close();
  }
}
