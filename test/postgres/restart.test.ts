/**
 * !!! DISRUPTIVE: this test RESTARTS the PostgreSQL server (pg_ctlcluster ... restart). Every
 * other connection to it, from any test running at the same time, is cut for a few seconds.
 * It is the only test that does so; keep it that way.
 *
 * A worker pool runs through a PostgreSQL restart: the store logs the lost connections,
 * reconnects with backoff, and every job completes; none is lost, none counted as failed
 * because of the restart.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { waitUntil } from '../store/conformance-helpers.js';
import { TEST_PG, dropSchema, randomSchema, rawClient, requirePostgres } from './pg-helpers.js';

const run = promisify(execFile);
const RESTART = [
  '--skip-systemctl-redirect',
  process.env.HOLDFAST_TEST_PG_CLUSTER_VERSION ?? '15',
  'main',
  'restart',
];

async function acceptsConnections(): Promise<boolean> {
  try {
    const client = await rawClient();
    await client.query('select 1');
    await client.end();
    return true;
  } catch {
    return false;
  }
}

const schema = randomSchema('restart');
beforeAll(requirePostgres);
afterAll(() => dropSchema(schema));

describe('PostgreSQL restart mid-run (DISRUPTIVE: restarts the server)', () => {
  it('finishes every job after a restart in the middle of claims and finishes', async () => {
    const logged: string[] = [];
    const store = await openPostgresStore(TEST_PG, { schema, logger: (line) => logged.push(line) });
    const queue = await JobQueue.open({ store });
    const backgroundErrors: Error[] = [];
    queue.on('error', (error) => backgroundErrors.push(error));
    const total = 1_500;
    await queue.enqueueMany(
      Array.from({ length: total }, (_, i) => ({ queue: 'restart', payload: { i } })),
    );

    const runs = new Map<number, number>();
    const worker = queue.work<{ i: number }>(
      'restart',
      async (job) => {
        runs.set(job.payload.i, (runs.get(job.payload.i) ?? 0) + 1);
        // Simulated work, so that jobs are in flight when the server goes down.
        await new Promise((resolve) => setTimeout(resolve, 40));
        return job.payload.i;
      },
      {
        concurrency: 10,
        lease: '3s',
        pollInterval: '100ms',
        backoff: { min: '50ms', max: '500ms' },
      },
    );
    try {
      const completed = async () => (await queue.stats()).queues.restart?.counts.completed ?? 0;
      await waitUntil(
        async () => (await completed()) >= total / 4,
        'a quarter of the jobs completed',
        30_000,
      );

      const { stderr } = await run('pg_ctlcluster', RESTART);
      expect(stderr).not.toMatch(/error/i);
      await waitUntil(acceptsConnections, 'PostgreSQL accepts connections again', 60_000);
      const atRestart = await completed();
      expect(atRestart).toBeLessThan(total);

      await waitUntil(
        async () => {
          try {
            return (await completed()) === total;
          } catch {
            return false;
          }
        },
        'every job completed after the restart',
        90_000,
      );
    } finally {
      await worker.stop();
    }

    const counts = (await queue.stats()).queues.restart!.counts;
    expect(counts).toEqual({
      pending: 0,
      running: 0,
      retrying: 0,
      completed: total,
      failed: 0,
      cancelled: 0,
    });
    // Every job ran; at-least-once allows a rerun only for an attempt whose claim reply was lost.
    expect(runs.size).toBe(total);
    const outcomes: string[] = [];
    for await (const job of queue.listAll({ queue: 'restart' })) {
      for (const attempt of await queue.attempts(job.id)) outcomes.push(attempt.outcome);
    }
    const lost = outcomes.filter((outcome) => outcome === 'lost').length;
    process.stdout.write(
      `restart: ${logged.length} store log lines, ${backgroundErrors.length} worker errors, ${lost} lost attempts, ${runs.size} jobs ran\n`,
    );
    expect(outcomes.filter((outcome) => outcome === 'failed')).toEqual([]);
    expect(outcomes.filter((outcome) => outcome === 'completed')).toHaveLength(total);
    // The restart was noticed and survived, not missed.
    expect([...logged, ...backgroundErrors.map((e) => e.message)].join('\n')).toMatch(
      /terminat|ECONNREFUSED|connection|shut/i,
    );
    await queue.close();
  }, 180_000);
});
