/**
 * Crash at fixed points (HOLDFAST_CRASH_AT, honoured only with NODE_ENV=test; see
 * src/util/crash-points.ts): the worker SIGKILLs itself right after the claim, after the
 * handler's side effect but before completion is written, and inside the completion transaction.
 * Each time the job must run again with a higher attempt and end completed: never stuck half-done.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/index.js';
import { readEffects } from '../helpers/effects.js';
import { tempDir } from '../helpers/tmp.js';
import {
  dropSchema,
  randomSchema,
  requirePostgres,
  urlWithSchema,
} from '../postgres/pg-helpers.js';
import { startWorker } from './lib/workers.js';
import { verifyRun } from './lib/verify.js';

const POINTS = [
  { point: 'after-claim', effectsOfLostAttempt: [] },
  { point: 'after-handler', effectsOfLostAttempt: ['start', 'done'] },
  { point: 'during-complete', effectsOfLostAttempt: ['start', 'done'] },
] as const;

/**
 * Enqueues a job and runs a worker that SIGKILLs itself at the crash point, then a rescuer: the
 * job must run again as attempt 2 and complete, the first attempt recorded as lost.
 */
async function crashThenRescue(
  queue: JobQueue,
  db: string,
  effects: string,
  { point, effectsOfLostAttempt }: (typeof POINTS)[number],
) {
  const { job } = await queue.enqueue('cp', { point }, { maxAttempts: 3 });
  const crashing = startWorker({
    db,
    queue: 'cp',
    effects,
    env: { NODE_ENV: 'test', HOLDFAST_CRASH_AT: point },
  });
  expect(await crashing.exited).toEqual({ code: null, signal: 'SIGKILL' });
  // Half-done is visible only as a running job whose lease will expire: nothing committed past the crash point.
  expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'running', attempts: 1 });
  expect(readEffects(effects).map((e) => e.kind)).toEqual(effectsOfLostAttempt);

  const rescuer = startWorker({ db, queue: 'cp', effects });
  expect((await rescuer.exited).code, rescuer.stderr()).toBe(0);
  expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'completed', attempts: 2 });
  expect((await queue.attempts(job.id)).map((a) => [a.attempt, a.outcome])).toEqual([
    [1, 'lost'],
    [2, 'completed'],
  ]);
}

describe('crash at fixed points (SQLite)', () => {
  for (const crash of POINTS) {
    it(`${crash.point}: the worker dies there; the job runs again as attempt 2 and completes`, async () => {
      const dir = tempDir();
      const db = join(dir, 'queue.db');
      const effects = join(dir, 'effects.log');
      const queue = await JobQueue.open({ db });
      try {
        await crashThenRescue(queue, db, effects, crash);
        const verdict = await verifyRun(queue.store, effects, 1, db);
        expect(verdict.problems).toEqual([]);
        expect(verdict.duplicateEffects).toBe(crash.point === 'after-claim' ? 0 : 1);
      } finally {
        await queue.close();
      }
    }, 60_000);
  }

  it('the crash points are inert without NODE_ENV=test (a production process ignores HOLDFAST_CRASH_AT)', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    const effects = join(dir, 'effects.log');
    const queue = await JobQueue.open({ db });
    try {
      const { job } = await queue.enqueue('cp', {});
      const worker = startWorker({
        db,
        queue: 'cp',
        effects,
        env: {
          NODE_ENV: 'production',
          HOLDFAST_CRASH_AT: 'after-claim,after-handler,during-complete',
        },
      });
      expect((await worker.exited).code, worker.stderr()).toBe(0);
      expect(await queue.getOrThrow(job.id)).toMatchObject({ status: 'completed', attempts: 1 });
    } finally {
      await queue.close();
    }
  }, 60_000);
});

const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

describe('crash at fixed points (PostgreSQL)', () => {
  // during-complete sits inside the SQLite transaction; on PostgreSQL the completion is one
  // statement, which the server rolls back when the connection dies with the process.
  for (const crash of POINTS.slice(0, 2)) {
    it(`${crash.point}: the job runs again as attempt 2 and completes`, async () => {
      await requirePostgres();
      const schema = randomSchema('crash');
      schemas.push(schema);
      const db = urlWithSchema(schema);
      const effects = join(tempDir(), 'effects.log');
      const queue = await JobQueue.open({ db });
      try {
        await crashThenRescue(queue, db, effects, crash);
        expect((await verifyRun(queue.store, effects, 1)).problems).toEqual([]);
      } finally {
        await queue.close();
      }
    }, 60_000);
  }
});
