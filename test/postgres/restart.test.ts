/**
 * A worker pool runs through a PostgreSQL restart (`pg_ctlcluster ... restart`): the store logs
 * the lost connections, reconnects with backoff, and every job completes; none is lost, none
 * counted as failed because of the restart.
 *
 * The server restarted is a PRIVATE cluster this test creates (pg_createcluster, port 5499)
 * and drops afterwards, never the shared one on 5432: restarting that would cut every other
 * test file running at the same moment (vitest runs two at a time) and make them flaky.
 * Needs the Debian postgresql-common tools and root, as .ci/run does.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { openPostgresStore } from '../../src/store/postgres/index.js';
import { allCompleted } from '../helpers/queue.js';
import { waitUntil } from '../store/conformance-helpers.js';

const run = promisify(execFile);
const VERSION = readdirSync('/etc/postgresql').sort().at(-1) ?? '15';
const CLUSTER = 'holdfast_restart_test';
const PORT = 5499;
const URL_ = `postgres://postgres@127.0.0.1:${PORT}/postgres`;

async function acceptsConnections(): Promise<boolean> {
  const client = new pg.Client({ connectionString: URL_ });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function dropCluster(): Promise<void> {
  await run('pg_dropcluster', ['--stop', VERSION, CLUSTER]).catch(() => undefined);
}

beforeAll(async () => {
  await dropCluster(); // a leftover of an interrupted run
  await run('pg_createcluster', [VERSION, CLUSTER, '-p', String(PORT), '--', '--auth=trust']);
  await run('pg_ctlcluster', ['--skip-systemctl-redirect', VERSION, CLUSTER, 'start']);
  await waitUntil(acceptsConnections, 'the private cluster accepts connections', 30_000);
}, 120_000);
afterAll(dropCluster, 60_000);

describe('PostgreSQL restart mid-run (on a private cluster)', () => {
  it('finishes every job after a restart in the middle of claims and finishes', async () => {
    const logged: string[] = [];
    const store = await openPostgresStore(URL_, { logger: (line) => logged.push(line) });
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

      const { stderr } = await run('pg_ctlcluster', [
        '--skip-systemctl-redirect',
        VERSION,
        CLUSTER,
        'restart',
      ]);
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
      // The worker's LISTEN connection came back too (notifications work again, not just polling).
      await waitUntil(
        () => logged.some((line) => /^LISTEN .*: reconnected/.test(line)),
        'LISTEN reconnected',
        30_000,
      );
    } finally {
      await worker.stop();
    }

    expect((await queue.stats()).queues.restart!.counts).toEqual(allCompleted(total));
    // Every job ran; at-least-once allows a rerun only for an attempt whose claim reply was lost.
    expect(runs.size).toBe(total);
    const outcomes: string[] = [];
    for await (const job of queue.listAll({ queue: 'restart' })) {
      for (const attempt of await queue.attempts(job.id)) outcomes.push(attempt.outcome);
    }
    const lost = outcomes.filter((outcome) => outcome === 'lost').length;
    process.stdout.write(
      `restart: ${logged.length} store log lines, ${backgroundErrors.length} worker errors, ${lost} lost attempts, ${runs.size} jobs ran\n  ${logged.slice(0, 6).join('\n  ')}\n`,
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
