/**
 * holdfast's benchmarks against its peers. Each (system, workload) runs in a fresh child process
 * on a fresh store; figures are medians of `--runs` runs.
 *
 *   npm run bench                      full: every figure 3 times, scale and procs4; writes bench/RESULTS.md
 *   npm run bench -- --quick --json    quick: one run of the base figures; ONE JSON object on stdout
 *
 * Options: --quick, --json, --runs N (default 3; 1 with --quick), --systems a,b, --workloads x,y,
 * --jobs N (default 10000), --out FILE (default bench/RESULTS.md), --no-write, --profile (node
 * --cpu-prof into bench/profiles/), --help. Only a full run of every system and workload at the
 * default --jobs writes RESULTS.md (or --out): its text describes exactly that run.
 * BENCH_HOLDFAST_DIST=folder measures another build of holdfast than ../dist (before/after).
 * Progress and the table go to stderr; with --json, stdout carries the JSON object only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { aggregate, renderResults, renderTable, type Figure } from './lib/report.js';
import { cleanupAfter, postgresMissing, redisMissing } from './lib/servers.js';
import { log, round } from './lib/stats.js';
import { checkTargets } from './lib/targets.js';
import type { Result } from './lib/types.js';
import type { Settings } from './lib/workloads.js';
import {
  FULL_WORKLOADS,
  QUICK_WORKLOADS,
  SYSTEMS,
  type Server,
  type Workload,
} from './systems/index.js';

const BENCH = dirname(fileURLToPath(import.meta.url));
const ROOT = dirname(BENCH);
/** The 10,000 jobs per workload; RESULTS.md describes its figures with this count. */
const DEFAULT_JOBS = 10_000;

interface Args {
  quick: boolean;
  json: boolean;
  runs: number;
  systems: string[] | null;
  workloads: string[] | null;
  jobs: number;
  out: string;
  write: boolean;
  profile: boolean;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    quick: false,
    json: false,
    runs: 0,
    systems: null,
    workloads: null,
    jobs: DEFAULT_JOBS,
    out: join(BENCH, 'RESULTS.md'),
    write: true,
    profile: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) fail(`${arg} needs a value`);
      return next;
    };
    if (arg === '--quick') args.quick = true;
    else if (arg === '--json') args.json = true;
    else if (arg === '--no-write') args.write = false;
    else if (arg === '--profile') args.profile = true;
    else if (arg === '--runs') args.runs = positive(value(), arg);
    else if (arg === '--jobs') args.jobs = positive(value(), arg);
    else if (arg === '--systems') args.systems = value().split(',');
    else if (arg === '--workloads') args.workloads = value().split(',');
    else if (arg === '--out') args.out = value();
    else if (arg === '--help' || arg === '-h') {
      log(
        readFileSync(fileURLToPath(import.meta.url), 'utf8')
          .split('*/')[0]!
          .replace(/^\/\*\*|^ \* ?/gm, '')
          .trim(),
      );
      process.exit(0);
    } else fail(`Unknown option ${arg}; see --help`);
  }
  if (args.runs === 0) args.runs = args.quick ? 1 : 3;
  for (const name of args.systems ?? []) {
    if (!SYSTEMS.some((s) => s.name === name))
      fail(`Unknown system ${name}; known: ${SYSTEMS.map((s) => s.name).join(', ')}`);
  }
  // A workload that no selected system runs, or that the mode leaves out, would silently make
  // no figure (and exit 0): say so instead.
  const modeWorkloads: readonly string[] = args.quick ? QUICK_WORKLOADS : FULL_WORKLOADS;
  const selected = SYSTEMS.filter((s) => !args.systems || args.systems.includes(s.name));
  for (const name of args.workloads ?? []) {
    if (!(FULL_WORKLOADS as readonly string[]).includes(name))
      fail(`Unknown workload ${name}; known: ${FULL_WORKLOADS.join(', ')}`);
    if (!modeWorkloads.includes(name))
      fail(`Workload ${name} runs in full mode only; drop --quick`);
    const runners = SYSTEMS.filter((s) => s.workloads.includes(name as Workload));
    if (!runners.some((s) => selected.includes(s)))
      fail(`No selected system runs ${name}; it runs on: ${runners.map((s) => s.name).join(', ')}`);
  }
  return args;
}

function positive(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    fail(`Expected ${name} to be a whole number from 1 and up, got ${text}`);
  return n;
}

function fail(message: string): never {
  log(`bench: ${message}`);
  process.exit(2);
}

/** Peers live in bench/node_modules: installed on first use, with npm's output on stderr. */
function ensurePeers(): void {
  if (existsSync(join(BENCH, 'node_modules', 'bullmq', 'package.json'))) return;
  log('bench: installing the peers (npm ci in bench/) ...');
  const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], {
    cwd: BENCH,
    stdio: ['ignore', 2, 2],
  });
  if (result.status !== 0) fail('npm ci in bench/ failed; run `cd bench && npm install` and retry');
}

/** Snapshot of the built library, so a rebuild in the checkout during the run cannot break it. */
function snapshotDist(): string {
  // BENCH_HOLDFAST_DIST: another build of holdfast to measure (a before/after comparison).
  const dist = process.env.BENCH_HOLDFAST_DIST ?? join(ROOT, 'dist');
  if (!existsSync(join(dist, 'index.js')))
    fail(`The library is not built (no ${dist}/index.js): run \`npm run build\` at the root first`);
  // One folder per run (inside bench/, so the children resolve its node_modules): two runs at
  // once on a shared machine must not measure each other's build.
  const snapshot = join(BENCH, `.dist-${process.pid}`);
  rmSync(snapshot, { recursive: true, force: true });
  cpSync(dist, snapshot, { recursive: true });
  process.on('exit', () => rmSync(snapshot, { recursive: true, force: true }));
  return snapshot;
}

function packageVersion(name: string): string {
  for (const base of [join(BENCH, 'node_modules'), join(ROOT, 'node_modules')]) {
    const file = join(base, name, 'package.json');
    if (existsSync(file))
      return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
  }
  return '?';
}

function holdfastVersion(): string {
  const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
  };
  if (process.env.BENCH_HOLDFAST_DIST)
    return `${version} (the build in ${process.env.BENCH_HOLDFAST_DIST})`;
  const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' });
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  const commit = git.status === 0 ? git.stdout.trim() : 'unknown';
  return `${version} (${commit}${dirty.stdout.trim() ? ', with uncommitted changes in src/' : ''})`;
}

interface ChildOutcome {
  /** One result; several for a scale workload (one per pass). */
  results: Result[];
  meta?: { durability: string; config: string[] };
}

/** Runs one (system, workload) in a fresh process; its stray stdout goes to stderr. */
function runChild(
  system: string,
  workload: Workload,
  settings: Settings,
  env: NodeJS.ProcessEnv,
  args: Args,
): Promise<ChildOutcome> {
  // A folder per figure, with node's own file names: a fixed --cpu-prof-name made tsx's loader
  // thread and the main thread write the same file, and the loader's (idle) profile won.
  const profileDir = join(BENCH, 'profiles', `${system}.${workload}.${Date.now()}`);
  if (args.profile) mkdirSync(profileDir, { recursive: true });
  const nodeArgs = [
    ...process.execArgv,
    ...(args.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
    join(BENCH, 'child.ts'),
    system,
    workload,
    JSON.stringify(settings),
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs, {
      cwd: BENCH,
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffered = '';
    const outcome: ChildOutcome = { results: [{ system, workload, error: 'no result' }] };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.startsWith('@@RESULT ')) {
          const parsed = JSON.parse(line.slice(9)) as Partial<Result> & {
            passes?: Array<Partial<Result>>;
          };
          outcome.results = (parsed.passes ?? [parsed]).map((r) => ({ system, workload, ...r }));
        } else if (line.startsWith('@@META '))
          outcome.meta = JSON.parse(line.slice(7)) as ChildOutcome['meta'];
        else process.stderr.write(`  | ${line}\n`);
      }
    });
    // A stuck child (a server that stopped answering) must not stop the bench.
    const timer = setTimeout(() => {
      log(`  ${system} ${workload}: no result after 5 minutes; killed`);
      child.kill('SIGKILL');
    }, 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code === 0 || child.pid === undefined) {
        resolve(outcome);
        return;
      }
      cleanupAfter(child.pid)
        .catch((error: Error) => log(`  cleanup after ${system} ${workload}: ${error.message}`))
        .finally(() => resolve(outcome));
    });
  });
}

function describeResult(r: Result): string {
  if (r.error) return `error: ${r.error}`;
  const parts: string[] = [];
  if (r.jobs_per_s !== undefined)
    parts.push(`${Math.round(r.jobs_per_s).toLocaleString('en-US')} jobs/s`);
  if (r.p50_ms !== undefined)
    parts.push(`p50 ${round(r.p50_ms)} ms, p95 ${round(r.p95_ms ?? NaN)} ms`);
  if (r.fraction_of_ideal !== undefined)
    parts.push(`${Math.round(r.fraction_of_ideal * 100)}% of ideal`);
  if (r.rss_mb !== undefined) parts.push(`RSS ${round(r.rss_mb)} MB`);
  if (r.capped) parts.push(`capped after ${r.jobs} jobs`);
  return parts.join(', ');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = performance.now();
  const loadAtStart = loadavg();
  ensurePeers();
  const env = { ...process.env, HOLDFAST_BENCH_DIST: snapshotDist() };
  // Read when the build is snapshotted, not at the end: HEAD may move during a long run.
  const holdfast = holdfastVersion();
  const settings: Settings = { jobs: args.jobs, capMs: args.quick ? 2_000 : 8_000, samples: 50 };

  const [pg, redis] = await Promise.all([postgresMissing(), redisMissing()]);
  const missing: Record<Server, string | null> = { postgres: pg, redis };
  const skipped: Array<{ system: string; reason: string }> = [];
  const plan: Array<{ system: string; workload: Workload }> = [];
  const modeWorkloads: readonly Workload[] = args.quick ? QUICK_WORKLOADS : FULL_WORKLOADS;
  for (const info of SYSTEMS) {
    if (args.systems && !args.systems.includes(info.name)) continue;
    const reason = info.needs ? missing[info.needs] : null;
    if (reason) {
      skipped.push({ system: info.name, reason });
      log(`bench: skipping ${info.name}: ${reason}`);
      continue;
    }
    for (const workload of modeWorkloads) {
      if (!info.workloads.includes(workload)) continue;
      if (args.workloads && !args.workloads.includes(workload)) continue;
      plan.push({ system: info.name, workload });
    }
  }
  log(
    `bench: ${plan.length} figures x ${args.runs} run(s), ${args.quick ? 'quick' : 'full'} mode; holdfast ${holdfast}`,
  );

  const runs = new Map<string, Result[]>();
  const durability: Record<string, string> = {};
  const config: Record<string, string[]> = {};
  // Runs are interleaved (every figure once, then again), so a burst of load on the shared
  // machine spreads over figures instead of sinking all runs of one.
  for (let run = 1; run <= args.runs; run++) {
    for (const { system, workload } of plan) {
      // scale loads its store once and makes its runs as passes of a fresh worker process.
      const scale = workload.startsWith('scale-');
      if (scale && run > 1) continue;
      const childSettings = scale ? { ...settings, passes: args.runs } : settings;
      const { results, meta } = await runChild(system, workload, childSettings, env, args);
      if (meta) {
        durability[system] ??= meta.durability;
        config[system] ??= meta.config;
      }
      const key = `${system}|${workload}`;
      runs.set(key, [...(runs.get(key) ?? []), ...results]);
      results.forEach((result, pass) =>
        log(
          `  [${scale ? pass + 1 : run}/${args.runs}] ${system.padEnd(15)} ${workload.padEnd(13)} ${describeResult(result)}`,
        ),
      );
    }
  }

  const figures: Figure[] = [...runs.values()].map(aggregate);
  const results = figures.map((f) => f.median);
  const targets = checkTargets(results);
  log('');
  log(renderTable(figures));
  log('');
  for (const t of targets)
    log(`${t.met === null ? 'n/a   ' : t.met ? 'met   ' : 'MISSED'}  ${t.target}: ${t.detail}`);

  const versions: Record<string, string> = { node: process.version, holdfast };
  for (const info of SYSTEMS)
    if (info.pkg !== 'holdfast') versions[info.pkg] = packageVersion(info.pkg);
  versions['ioredis'] = packageVersion('ioredis');
  // RESULTS.md describes a whole run at the default job count: a narrower run must not replace it.
  const narrowedBy = args.systems
    ? '--systems'
    : args.workloads
      ? '--workloads'
      : args.jobs !== DEFAULT_JOBS
        ? '--jobs'
        : null;
  if (!args.quick && args.write && narrowedBy)
    log(`bench: ${args.out} not written (a run with ${narrowedBy}; see --help)`);
  if (!args.quick && args.write && !narrowedBy) {
    writeFileSync(
      args.out,
      renderResults({
        date: new Date(),
        mode: 'full',
        runs: args.runs,
        elapsedS: (performance.now() - started) / 1000,
        versions,
        durability,
        config,
        skipped,
        figures,
        targets,
        loadAtStart,
        notesFile: join(BENCH, 'NOTES.md'),
      }),
    );
    log(`bench: wrote ${args.out}`);
  }
  if (args.json) {
    process.stdout.write(
      `${JSON.stringify({ results, skipped, targets, durability, versions, mode: args.quick ? 'quick' : 'full', runs: args.runs })}\n`,
    );
  }
  log(`bench: done in ${Math.round((performance.now() - started) / 1000)} s`);
}

await main();
