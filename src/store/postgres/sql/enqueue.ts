/**
 * Inserting jobs. The key rule is enforced by two unique indexes (see migrations.ts), so an
 * insert that would break it does nothing and the existing job is looked up instead; that
 * stays correct when many processes enqueue the same key at once.
 */
import { randomBytes } from 'node:crypto';
import type { EnqueueResult } from '../../../types.js';
import type { NewJob } from '../../store.js';
import type { Queryable } from '../connection.js';
import { toJob, type Row } from '../rows.js';

const ACTIVE = `('pending', 'running', 'retrying')`;

/** Same shape as the SQLite store's batch ids. */
export function newBatchId(): string {
  return `b_${randomBytes(8).toString('hex')}`;
}

/** Batch ids by name, created on first use (its queue is the first job's queue). */
export async function batchIdFor(
  client: Queryable,
  s: string,
  name: string,
  queue: string,
): Promise<string> {
  for (;;) {
    const inserted = await client.query<{ id: string }>(
      `insert into ${s}.batches (id, name, queue) values ($1, $2, $3) on conflict (name) do nothing returning id`,
      [newBatchId(), name, queue],
    );
    if (inserted.rows[0]) return String(inserted.rows[0].id);
    const found = await client.query<{ id: string }>(
      `select id from ${s}.batches where name = $1`,
      [name],
    );
    if (found.rows[0]) return String(found.rows[0].id);
  }
}

/** Resolves each distinct batch name once per transaction. */
export class BatchResolver {
  readonly #ids = new Map<string, string>();
  constructor(
    readonly client: Queryable,
    readonly s: string,
  ) {}

  async idFor(job: NewJob): Promise<string | null> {
    if (job.batchName === null) return null;
    let id = this.#ids.get(job.batchName);
    if (id === undefined) {
      id = await batchIdFor(this.client, this.s, job.batchName, job.queue);
      this.#ids.set(job.batchName, id);
    }
    return id;
  }
}

export async function insertJob(
  client: Queryable,
  s: string,
  job: NewJob,
  batchId: string | null,
): Promise<EnqueueResult> {
  // A conflicting row can become terminal between the insert and the lookup; then insert again.
  for (let round = 0; ; round += 1) {
    const inserted = await client.query<Row>(
      `insert into ${s}.jobs (queue, key, payload, status, priority, run_at, max_attempts, timeout_ms, batch_id, concurrency_key)
       values ($1, $2, $3, 'pending', $4, coalesce($5::timestamptz, now()), $6, $7, $8, $9)
       on conflict do nothing
       returning *`,
      [
        job.queue,
        job.key,
        job.payload,
        job.priority,
        job.runAt,
        job.maxAttempts,
        job.timeoutMs,
        batchId,
        job.concurrencyKey ?? null,
      ],
    );
    if (inserted.rows[0]) return { job: toJob(inserted.rows[0]), existing: false };
    const found = await client.query<Row>(
      `select * from ${s}.jobs
       where key = $1 and ((queue = $2 and status in ${ACTIVE}) or ($3::text is not null and batch_id = $3))
       order by (queue = $2 and status in ${ACTIVE}) desc, id
       limit 1`,
      [job.key, job.queue, batchId],
    );
    if (found.rows[0]) return { job: toJob(found.rows[0]), existing: true };
    if (round >= 10)
      throw new Error(
        `enqueue of key ${JSON.stringify(job.key)} kept conflicting with a job that vanished`,
      );
  }
}

/** Many jobs in one statement; returns how many were inserted (the rest met the key rule). */
export async function insertChunk(
  client: Queryable,
  s: string,
  jobs: NewJob[],
  batchIds: Array<string | null>,
): Promise<number> {
  const result = await client.query(
    `insert into ${s}.jobs (queue, key, payload, status, priority, run_at, max_attempts, timeout_ms, batch_id, concurrency_key)
     select queue, key, payload, 'pending', priority, coalesce(run_at, now()), max_attempts, timeout_ms, batch_id, concurrency_key
     from unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::timestamptz[], $6::int[], $7::bigint[], $8::text[], $9::text[])
       with ordinality as t(queue, key, payload, priority, run_at, max_attempts, timeout_ms, batch_id, concurrency_key, n)
     order by n
     on conflict do nothing`,
    [
      jobs.map((job) => job.queue),
      jobs.map((job) => job.key),
      jobs.map((job) => job.payload),
      jobs.map((job) => job.priority),
      jobs.map((job) => job.runAt),
      jobs.map((job) => job.maxAttempts),
      jobs.map((job) => job.timeoutMs),
      batchIds,
      jobs.map((job) => job.concurrencyKey ?? null),
    ],
  );
  return result.rowCount ?? 0;
}

/** Wakes listeners on every machine; sent on commit, dropped on rollback. */
export async function notifyQueues(
  client: Queryable,
  channel: string,
  queues: Iterable<string>,
): Promise<void> {
  const distinct = [...new Set(queues)];
  if (distinct.length === 0) return;
  await client.query(`select pg_notify($1, q) from unnest($2::text[]) as q`, [channel, distinct]);
}
