/**
 * The reliability suite, long form: `npm run chaos` (one round) or `npm run chaos -- --minutes n`
 * (SIGKILL rounds repeated, alternating stores, until n minutes have passed).
 *
 *   1. the whole test/chaos vitest suite (crash points, poison, long jobs, disk full, broken
 *      files, hostile input, short chaos) unless --skip-suite;
 *   2. SIGKILL chaos on SQLite: 6 workers, 20,000 jobs, a random working worker killed every
 *      200-1000 ms and restarted;
 *   3. the same on PostgreSQL, with a server restart (pg_ctlcluster) in the middle;
 *   4. growth: one worker through --memory-jobs jobs (default 1,000,000) with its peak RSS; the
 *      WAL under continuous dashboard reads for 60 s;
 *   5. work_items.json writer killed mid-write --work-items-kills times (default 1,000);
 *   6. a CSV import of --csv-rows rows (default 1,000,000) with its peak RSS.
 * --only sigkill-sqlite,sigkill-pg,memory,wal,work-items,csv picks steps 2-6. Every figure is
 * printed as one JSON line (and collected in --out <file> if given) for docs/RELIABILITY.md.
 * Exit code 1 if any criterion failed.
 *
 * It runs on a private build of the last commit (tsc in a temp folder, HOLDFAST_CLI) unless
 * HOLDFAST_CLI is set: other engineers rebuild dist/ with rm -rf first, and a run of many minutes
 * must not have its workers fail to start with "Cannot find module".
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  dropSchema,
  randomSchema,
  requirePostgres,
  urlWithSchema,
} from '../postgres/pg-helpers.js';
import { killLeftoverChildren } from '../helpers/processes.js';
import { runCsvImport } from './lib/csv-import.js';
import { runWalBound, runWorkerMemory } from './lib/growth.js';
import { runSigkillChaos, type SigkillReport } from './lib/sigkill-chaos.js';
import { runWorkItemsKills } from './lib/work-items-kills.js';

const { values } = parseArgs({
  options: {
    minutes: { type: 'string' },
    only: { type: 'string' },
    'skip-suite': { type: 'boolean' },
    jobs: { type: 'string', default: '20000' },
    workers: { type: 'string', default: '6' },
    'memory-jobs': { type: 'string', default: '1000000' },
    'work-items-kills': { type: 'string', default: '1000' },
    'csv-rows': { type: 'string', default: '1000000' },
    out: { type: 'string' },
  },
});

const minutes = values.minutes === undefined ? 0 : Number(values.minutes);
if (!Number.isFinite(minutes) || minutes < 0) {
  console.error(
    `chaos: --minutes must be a number of 0 or more, got ${JSON.stringify(values.minutes)}`,
  );
  process.exit(2);
}
const only = values.only?.split(',') ?? null;
const wants = (step: string) => only === null || only.includes(step);
const results: Array<Record<string, unknown>> = [];
let failed = false;
const started = Date.now();

function record(step: string, report: object, problems: string[] = []): void {
  const line = { step, ...report, problems: problems.length, at: new Date().toISOString() };
  results.push(line);
  console.log(JSON.stringify(line));
  if (problems.length > 0) {
    failed = true;
    for (const problem of problems.slice(0, 20)) console.error(`  ${step}: ${problem}`);
  }
}

async function withDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'holdfast-chaos-'));
  try {
    return await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function sigkill(store: 'sqlite' | 'postgres', round: number): Promise<void> {
  const jobs = Number(values.jobs);
  const workers = Number(values.workers);
  await withDir(async (dir) => {
    const schema = randomSchema('chaos');
    if (store === 'postgres') await requirePostgres();
    try {
      const report: SigkillReport = await runSigkillChaos({
        db: store === 'sqlite' ? join(dir, 'queue.db') : urlWithSchema(schema),
        dir,
        workers,
        jobs,
        concurrency: 10,
        handlerMs: 10,
        maxChaosMs: 30 * 60_000,
        ...(store === 'postgres' ? { pgRestartAfterMs: 8_000 } : {}),
        log: (line) => console.error(`  ${store}: ${line}`),
      });
      const { problems, unexpectedExits: _u, ...figures } = report;
      record(`sigkill-${store}`, { round, ...figures }, problems);
    } finally {
      if (store === 'postgres') await dropSchema(schema).catch(() => undefined);
    }
  });
}

function runSuite(): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['vitest', 'run', 'test/chaos'], { stdio: 'inherit' });
    child.once('exit', (code) => resolve(code));
  });
}

const REPO = fileURLToPath(new URL('../..', import.meta.url));
let buildDir: string | null = null;

function privateBuild(): void {
  if (process.env.HOLDFAST_CLI) return;
  // From the last commit, not the working tree: other engineers' half-saved files must not end
  // up in a binary that runs for many minutes.
  buildDir = mkdtempSync(join(tmpdir(), 'holdfast-chaos-build-'));
  execFileSync(
    'sh',
    [
      '-c',
      `git archive HEAD src package.json tsconfig.json tsconfig.build.json | tar -x -C '${buildDir}'`,
    ],
    { cwd: REPO },
  );
  symlinkSync(join(REPO, 'node_modules'), join(buildDir, 'node_modules'));
  const tsc = spawnSync(
    process.execPath,
    [join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(buildDir, 'tsconfig.build.json')],
    { stdio: 'inherit' },
  );
  process.env.HOLDFAST_CLI = join(buildDir, 'dist', 'cli', 'main.js');
  const check = spawnSync(process.execPath, [process.env.HOLDFAST_CLI, '--help'], {
    encoding: 'utf8',
  });
  if (check.status !== 0)
    throw new Error(
      `the private build of HEAD does not run (tsc exit ${tsc.status}): ${check.stderr}`,
    );
  console.error(
    `chaos: private build of ${execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' }).trim()} in ${buildDir}`,
  );
}

async function main(): Promise<void> {
  privateBuild();
  if (!values['skip-suite'] && only === null) {
    const code = await runSuite();
    record(
      'vitest test/chaos',
      { exitCode: code },
      code === 0 ? [] : ['the vitest chaos suite failed'],
    );
  }
  let round = 1;
  if (wants('sigkill-sqlite')) await sigkill('sqlite', round);
  if (wants('sigkill-pg')) await sigkill('postgres', round);
  if (wants('memory')) {
    await withDir(async (dir) => {
      const report = await runWorkerMemory(dir, Number(values['memory-jobs']));
      record(
        'memory',
        report,
        report.secondHalfPeakMb > report.firstHalfPeakMb + 25
          ? ['worker RSS grew by over 25 MB from the first half to the second']
          : [],
      );
    });
  }
  if (wants('wal')) {
    await withDir(async (dir) => {
      const report = await runWalBound(dir, 60);
      record(
        'wal',
        report,
        report.maxWalMb >= 32 ? [`the WAL reached ${report.maxWalMb} MB (bound: 32 MB)`] : [],
      );
    });
  }
  if (wants('work-items')) {
    await withDir(async (dir) => {
      const report = await runWorkItemsKills(dir, Number(values['work-items-kills']));
      record('work-items', report, report.problems);
    });
  }
  if (wants('csv'))
    await withDir(async (dir) =>
      record('csv-import', await runCsvImport(dir, Number(values['csv-rows']))),
    );
  // --minutes: more SIGKILL rounds, alternating stores, until the time is up.
  while (minutes > 0 && Date.now() - started < minutes * 60_000) {
    round++;
    const store = round % 2 === 0 ? 'sqlite' : 'postgres';
    if (!wants(`sigkill-${store === 'sqlite' ? 'sqlite' : 'pg'}`)) {
      if (!wants('sigkill-sqlite') && !wants('sigkill-pg')) break;
      continue;
    }
    await sigkill(store, round);
  }
  const totals = results
    .filter((r) => String(r.step).startsWith('sigkill'))
    .reduce<Record<string, number>>((sum, r) => {
      for (const key of ['jobs', 'kills', 'lostAttempts', 'duplicateEffects', 'pgRestarts'])
        sum[key] = (sum[key] ?? 0) + Number(r[key] ?? 0);
      return sum;
    }, {});
  record('total', { minutes: Math.round((Date.now() - started) / 600) / 100, ...totals, failed });
  if (values.out) writeFileSync(values.out, `${JSON.stringify(results, null, 2)}\n`);
}

main()
  .catch((error: unknown) => {
    failed = true;
    console.error(error);
  })
  .finally(() => {
    const leftovers = killLeftoverChildren();
    if (leftovers.length > 0) console.error(`chaos: killed ${leftovers.length} leftover processes`);
    if (buildDir) rmSync(buildDir, { recursive: true, force: true });
    process.exit(failed ? 1 : 0);
  });
