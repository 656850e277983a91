/**
 * SIGKILL chaos, short form for CI (the long form: `npm run chaos -- --minutes n`, which runs
 * 6 workers x 20,000 jobs and restarts PostgreSQL in the middle). Every criterion of verify.ts
 * must hold: all jobs completed or failed after exactly maxAttempts, nothing running, every
 * effect present, every duplicate effect on an attempt recorded as lost, integrity ok.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  dropSchema,
  randomSchema,
  requirePostgres,
  urlWithSchema,
} from '../postgres/pg-helpers.js';
import { tempDir } from '../helpers/tmp.js';
import { runSigkillChaos, type SigkillReport } from './lib/sigkill-chaos.js';

const schemas: string[] = [];
afterAll(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

/**
 * Prints the run's report and checks what both stores must show: every job ended, workers were
 * killed mid-job, and each such kill left an attempt recorded as lost.
 */
function expectNothingLost(store: string, report: SigkillReport, jobs: number): void {
  process.stdout.write(
    `sigkill ${store}: ${JSON.stringify({ ...report, problems: report.problems.length })}\n`,
  );
  expect(report.problems).toEqual([]);
  expect(report.completed + report.failed).toBe(jobs);
  expect(report.kills).toBeGreaterThan(3);
  expect(report.killedMidJob).toBeGreaterThan(0);
  expect(report.lostAttempts).toBeGreaterThanOrEqual(report.killedMidJob);
}

describe('SIGKILL chaos (short form)', () => {
  it('SQLite: 3 workers, 2,000 jobs, a random worker SIGKILLed every 200-1000 ms for ~10 s: nothing lost', async () => {
    const dir = tempDir();
    const report = await runSigkillChaos({
      db: join(dir, 'queue.db'),
      dir,
      workers: 3,
      jobs: 2_000,
      concurrency: 4,
      handlerMs: 30,
      maxChaosMs: 10_000,
    });
    expectNothingLost('sqlite', report, 2_000);
    expect(report.integrity).toBe('ok');
  }, 150_000);

  it('PostgreSQL: 3 workers, 1,000 jobs, a random worker SIGKILLed every 200-1000 ms for ~8 s: nothing lost (no server restart here; the runner does that)', async () => {
    await requirePostgres();
    const schema = randomSchema('chaos');
    schemas.push(schema);
    const dir = tempDir();
    const report = await runSigkillChaos({
      db: urlWithSchema(schema),
      dir,
      workers: 3,
      jobs: 1_000,
      concurrency: 4,
      handlerMs: 30,
      maxChaosMs: 8_000,
    });
    expectNothingLost('postgres', report, 1_000);
  }, 150_000);
});
