/**
 * Growth over time. `runWorkerMemory`: one `holdfast work` process runs N no-op jobs while its
 * RSS is sampled from /proc; a leak shows as a later half that peaks above the earlier half.
 * `runWalBound`: the dashboard is read continuously (every page and API route, several loops)
 * while jobs are enqueued and completed; the -wal file's size is sampled: if readers starved
 * the checkpoints, it would grow with the number of writes instead of staying bounded.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JobQueue } from '../../../src/index.js';
import { spawnTracked, waitForOutput } from '../../helpers/processes.js';
import { cliPath, rssOf, sleep } from './workers.js';

const NOOP = fileURLToPath(new URL('../fixtures/noop-handler.mjs', import.meta.url));
const MB = 1024 * 1024;

export interface MemoryReport {
  jobs: number;
  enqueueMs: number;
  runMs: number;
  jobsPerSecond: number;
  peakRssMb: number;
  firstHalfPeakMb: number;
  secondHalfPeakMb: number;
  samples: number;
}

async function enqueueMany(queue: JobQueue, name: string, jobs: number): Promise<void> {
  async function* items() {
    for (let i = 0; i < jobs; i++) yield { queue: name, payload: { i } };
  }
  await queue.enqueueStream(items());
}

export async function runWorkerMemory(dir: string, jobs: number): Promise<MemoryReport> {
  const db = join(dir, 'memory.db');
  const queue = await JobQueue.open({ db });
  try {
    const t0 = Date.now();
    await enqueueMany(queue, 'mem', jobs);
    const enqueueMs = Date.now() - t0;
    const started = Date.now();
    const worker = spawnTracked(process.execPath, [
      cliPath(),
      'work',
      'mem',
      '--handler',
      NOOP,
      '--db',
      db,
      '--concurrency',
      '50',
      '--exit-when-empty',
      '--quiet',
    ]);
    worker.stdout!.resume();
    let stderr = '';
    worker.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) =>
      worker.once('exit', (code) => resolve(code)),
    );
    const samples: Array<{ at: number; rss: number }> = [];
    let done = false;
    void exited.then(() => (done = true));
    while (!done) {
      const rss = rssOf(worker.pid!, (path) => readFileSync(path, 'utf8'));
      if (rss !== null) samples.push({ at: Date.now() - started, rss });
      // 50 ms: the worker now runs 10,000 no-op jobs in under a second (every 200 ms gave 4 samples).
      await sleep(50);
    }
    if ((await exited) !== 0) throw new Error(`the worker failed: ${stderr.slice(-1_000)}`);
    const runMs = Date.now() - started;
    const counts = (await queue.stats()).queues.mem!.counts;
    if (counts.completed !== jobs)
      throw new Error(`only ${counts.completed} of ${jobs} jobs completed`);
    const half = runMs / 2;
    const peak = (list: typeof samples) => Math.max(0, ...list.map((s) => s.rss)) / MB;
    return {
      jobs,
      enqueueMs,
      runMs,
      jobsPerSecond: Math.round(jobs / (runMs / 1_000)),
      peakRssMb: Math.round(peak(samples)),
      // The first 10% is start-up and warm-up (JIT, statement cache), not growth.
      firstHalfPeakMb: Math.round(peak(samples.filter((s) => s.at > runMs * 0.1 && s.at <= half))),
      secondHalfPeakMb: Math.round(peak(samples.filter((s) => s.at > half))),
      samples: samples.length,
    };
  } finally {
    await queue.close();
  }
}

export interface WalReport {
  seconds: number;
  jobsEnqueued: number;
  jobsCompleted: number;
  dashboardRequests: number;
  maxWalMb: number;
  finalWalMb: number;
}

const DASHBOARD_PATHS = [
  '/',
  '/jobs',
  '/jobs?status=completed',
  '/batches',
  '/api/overview',
  '/api/batches',
  '/api/jobs?limit=100',
  '/api/jobs?status=pending&limit=100',
  '/metrics',
];

export async function runWalBound(dir: string, seconds: number): Promise<WalReport> {
  const db = join(dir, 'wal.db');
  const wal = `${db}-wal`;
  const queue = await JobQueue.open({ db });
  const dashboard = spawnTracked(process.execPath, [
    cliPath(),
    'dashboard',
    '--db',
    db,
    '--port',
    '0',
  ]);
  const workers = Array.from({ length: 2 }, () =>
    spawnTracked(process.execPath, [
      cliPath(),
      'work',
      'wal',
      '--handler',
      NOOP,
      '--db',
      db,
      '--concurrency',
      '20',
      '--quiet',
    ]),
  );
  workers.forEach((w) => w.stdout!.resume());
  dashboard.stderr!.resume();
  const report: WalReport = {
    seconds,
    jobsEnqueued: 0,
    jobsCompleted: 0,
    dashboardRequests: 0,
    maxWalMb: 0,
    finalWalMb: 0,
  };
  try {
    const banner = await waitForOutput(dashboard, (text) => /http:\/\/127\.0\.0\.1:\d+/.test(text));
    const origin = /http:\/\/127\.0\.0\.1:\d+/.exec(banner)![0];
    const until = Date.now() + seconds * 1_000;
    let failures = 0;
    const failed = new Map<string, number>();
    const reader = async () => {
      for (let i = 0; Date.now() < until; i++) {
        const target = DASHBOARD_PATHS[i % DASHBOARD_PATHS.length]!;
        const response = await fetch(origin + target).catch(() => null);
        if (!response || response.status >= 400) {
          failures++;
          const what = `${target} -> ${response?.status ?? 'no response'}`;
          failed.set(what, (failed.get(what) ?? 0) + 1);
        }
        await response?.arrayBuffer().catch(() => undefined);
        report.dashboardRequests++;
      }
    };
    const writer = async () => {
      for (let round = 0; Date.now() < until; round++) {
        await queue.enqueueMany(
          Array.from({ length: 200 }, (_, i) => ({
            queue: 'wal',
            payload: { round, i, pad: 'x'.repeat(300) },
          })),
        );
        report.jobsEnqueued += 200;
        await sleep(5);
      }
    };
    const sampler = async () => {
      while (Date.now() < until) {
        if (existsSync(wal)) report.maxWalMb = Math.max(report.maxWalMb, statSync(wal).size / MB);
        await sleep(100);
      }
    };
    await Promise.all([reader(), reader(), reader(), writer(), sampler()]);
    if (failures > 0)
      throw new Error(`${failures} dashboard requests failed: ${JSON.stringify([...failed])}`);
    report.jobsCompleted = (await queue.stats()).queues.wal?.counts.completed ?? 0;
    report.finalWalMb = existsSync(wal) ? statSync(wal).size / MB : 0;
    report.maxWalMb = Math.round(report.maxWalMb * 10) / 10;
    report.finalWalMb = Math.round(report.finalWalMb * 10) / 10;
    return report;
  } finally {
    for (const child of [dashboard, ...workers]) {
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    }
    await queue.close();
  }
}
