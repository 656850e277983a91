/**
 * Several machines, simulated as processes: `holdfast work` processes on one PostgreSQL schema.
 * Runs the built CLI (npm run build first).
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { countDone, readEffects } from '../helpers/effects.js';
import { CLI, spawnTracked } from '../helpers/processes.js';
import { allCompleted } from '../helpers/queue.js';
import { tempDir } from '../helpers/tmp.js';
import { waitUntil } from '../store/conformance-helpers.js';
import { dropSchema, randomSchema, requirePostgres, urlWithSchema } from './pg-helpers.js';

const HANDLER = fileURLToPath(new URL('../fixtures/handlers/effect-log.mjs', import.meta.url));
const schemas: string[] = [];

beforeAll(requirePostgres);
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

function startWorker(db: string, queue: string, effects: string, extra: string[], handlerMs = 0) {
  const child = spawnTracked(
    process.execPath,
    [CLI, 'work', queue, '--handler', HANDLER, '--db', db, '--quiet', ...extra],
    {
      env: { ...process.env, EFFECT_LOG: effects, HANDLER_MS: String(handlerMs) },
    },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  return { child, exited, stderr: () => stderr };
}

async function enqueueMany(
  queue: JobQueue,
  name: string,
  count: number,
  maxAttempts = 5,
): Promise<void> {
  async function* items() {
    for (let i = 0; i < count; i++) yield { queue: name, payload: { i }, options: { maxAttempts } };
  }
  expect(await queue.enqueueStream(items())).toEqual({ inserted: count, existing: 0 });
}

describe('several worker processes on one PostgreSQL schema', () => {
  it('4 `holdfast work` processes × concurrency 10 complete 20,000 jobs, each exactly once', async () => {
    const schema = randomSchema('mp');
    schemas.push(schema);
    const db = urlWithSchema(schema);
    const effects = join(tempDir(), 'effects.log');
    const queue = await JobQueue.open({ db });
    try {
      await enqueueMany(queue, 'mp', 20_000);
      const started = Date.now();
      const workers = Array.from({ length: 4 }, () =>
        startWorker(db, 'mp', effects, ['--concurrency', '10', '--exit-when-empty']),
      );
      const codes = await Promise.all(workers.map((worker) => worker.exited));
      const seconds = (Date.now() - started) / 1000;
      expect(codes, workers.map((worker) => worker.stderr()).join('')).toEqual([0, 0, 0, 0]);

      const log = readEffects(effects);
      const done = countDone(log);
      expect(done.size).toBe(20_000);
      expect([...done.values()].filter((count) => count !== 1)).toEqual([]);
      expect(new Set(log.map((effect) => effect.pid)).size).toBe(4);
      const stats = await queue.stats();
      expect(stats.queues.mp!.counts).toEqual(allCompleted(20_000));
      process.stdout.write(
        `postgres multiprocess: 20,000 jobs by 4 processes in ${seconds.toFixed(1)} s (${Math.round(20_000 / seconds)} jobs/s)\n`,
      );
    } finally {
      await queue.close();
    }
  }, 300_000);

  it('random SIGKILLs of workers lose no job, and every lost attempt is recorded', async () => {
    const schema = randomSchema('chaos');
    schemas.push(schema);
    const db = urlWithSchema(schema);
    const effects = join(tempDir(), 'effects.log');
    const queue = await JobQueue.open({ db });
    const total = 2_000;
    try {
      // Generous maxAttempts: one job may be caught in several kills, and a lost attempt counts.
      await enqueueMany(queue, 'chaos', total, 20);
      const args = [
        '--concurrency',
        '10',
        '--lease',
        '1s',
        '--backoff-min',
        '10ms',
        '--backoff-max',
        '100ms',
      ];
      const workers = Array.from({ length: 4 }, () => startWorker(db, 'chaos', effects, args, 10));
      const completed = async () => (await queue.stats()).queues.chaos?.counts.completed ?? 0;
      let kills = 0;
      // Kill a random worker each time another tenth of the jobs is done, and start a replacement.
      for (let step = 1; step <= 6; step++) {
        await waitUntil(
          async () => (await completed()) >= (total * step) / 10,
          `${step}0% of the jobs completed`,
          60_000,
        );
        const index = Math.floor(Math.random() * workers.length);
        workers[index]!.child.kill('SIGKILL');
        await workers[index]!.exited;
        kills++;
        workers[index] = startWorker(db, 'chaos', effects, args, 10);
      }
      // The rest drain; --exit-when-empty waits for the rescues of the killed workers' jobs.
      const finishers = Array.from({ length: 2 }, () =>
        startWorker(db, 'chaos', effects, [...args, '--exit-when-empty'], 10),
      );
      expect(
        await Promise.all(finishers.map((worker) => worker.exited)),
        finishers.map((worker) => worker.stderr()).join(''),
      ).toEqual([0, 0]);
      for (const worker of workers) worker.child.kill('SIGTERM');
      await Promise.all(workers.map((worker) => worker.exited));

      const stats = await queue.stats();
      expect(stats.queues.chaos!.counts).toEqual(allCompleted(total));
      const done = countDone(readEffects(effects));
      expect(done.size).toBe(total);
      let lost = 0;
      for await (const job of queue.listAll({ queue: 'chaos' })) {
        const outcomes = (await queue.attempts(job.id)).map((attempt) => attempt.outcome);
        lost += outcomes.filter((outcome) => outcome === 'lost').length;
        expect(outcomes.at(-1)).toBe('completed');
        expect(outcomes.filter((outcome) => outcome === 'completed')).toHaveLength(1);
        // A job may run twice only if an attempt of it was lost.
        if ((done.get(job.id) ?? 0) > 1) expect(outcomes).toContain('lost');
      }
      expect(kills).toBe(6);
      expect(lost).toBeGreaterThan(0);
      process.stdout.write(
        `postgres chaos: ${kills} SIGKILLs, ${lost} lost attempts recorded, ${total} jobs completed\n`,
      );
    } finally {
      await queue.close();
    }
  }, 300_000);
});
