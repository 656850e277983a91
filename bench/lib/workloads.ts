/** The workloads. Each runs on a fresh store that the caller set up, and returns one Result. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Floor } from '../systems/raw.js';
import { absoluteNow, log, percentile, round, sleep } from './stats.js';
import type { Payload, QueueSystem, Result } from './types.js';
import type { WorkerMessage, WorkerStart } from './worker-process.js';

export interface Settings {
  /** Jobs per workload (the 10,000). */
  jobs: number;
  /** A workload stops after this long and reports the rate over the jobs done (slow peers). */
  capMs: number;
  /** pickup samples. */
  samples: number;
  /** scale: worker passes over one loaded store (the full bench's runs). */
  passes?: number;
}

const payloads = (count: number, from = 0): Payload[] =>
  Array.from({ length: count }, (_, k) => ({ i: from + k }));

/** The rate of `jobs` done in `ms`; `capped` when a time cap left fewer than `asked` done. */
const rateOf = (jobs: number, ms: number, asked: number): Partial<Result> => ({
  jobs_per_s: (jobs / ms) * 1000,
  jobs,
  ...(jobs < asked ? { capped: true } : {}),
});

export async function enqueue(system: QueueSystem, s: Settings): Promise<Partial<Result>> {
  const started = performance.now();
  let done = 0;
  while (done < s.jobs) {
    await system.addOne({ i: done });
    done++;
    if ((done & 63) === 0 && performance.now() - started > s.capMs) break;
  }
  return rateOf(done, performance.now() - started, s.jobs);
}

export async function bulk(system: QueueSystem, s: Settings): Promise<Partial<Result>> {
  const items = payloads(s.jobs);
  const started = performance.now();
  await system.addBulk(items);
  return rateOf(s.jobs, performance.now() - started, s.jobs);
}

/**
 * Fills the store in bulk calls of up to 10,000 (1,000 for a `capMs` fill); not timed. With
 * `capMs`, stops once that long has passed (a peer whose bulk insert is slow) and returns how many.
 */
export async function fill(system: QueueSystem, count: number, capMs = Infinity): Promise<number> {
  const chunk = Number.isFinite(capMs) ? 1_000 : 10_000;
  const started = performance.now();
  let done = 0;
  while (done < count && performance.now() - started < capMs) {
    const size = Math.min(chunk, count - done);
    await (system.load ? system.load(payloads(size, done)) : system.addBulk(payloads(size, done)));
    done += size;
    if (count > 100_000 && done % 100_000 === 0)
      log(`    filled ${done.toLocaleString('en-US')}/${count.toLocaleString('en-US')}`);
  }
  return done;
}

/**
 * `jobs` queued no-op (or `delayMs`) jobs, then a worker of `concurrency`: the rate from the
 * first handler start to the last completion the system reports.
 */
export async function drain(
  system: QueueSystem,
  s: Settings,
  concurrency: number,
  delayMs = 0,
): Promise<Partial<Result>> {
  const queued = await fill(system, s.jobs, s.capMs * 2);
  let firstAt = 0;
  let lastAt = 0;
  let completed = 0;
  let allDone!: () => void;
  const finished = new Promise<void>((resolve) => (allDone = resolve));
  const markStart = () => {
    if (firstAt === 0) firstAt = performance.now();
  };
  const running = await system.work({
    concurrency,
    // The no-op handler stays synchronous: an async one would measure a promise per job too.
    handler: delayMs
      ? async () => {
          markStart();
          await sleep(delayMs);
        }
      : markStart,
    onCompleted: () => {
      completed++;
      lastAt = performance.now();
      if (completed === queued) allDone();
    },
  });
  const capped = await Promise.race([finished.then(() => false), sleep(s.capMs).then(() => true)]);
  const count = completed;
  const end = capped ? performance.now() : lastAt;
  await running.stop();
  if (firstAt === 0) throw new Error(`no job started within ${s.capMs} ms`);
  const result = rateOf(count, end - firstAt, s.jobs);
  if (delayMs) result.fraction_of_ideal = result.jobs_per_s! / ((concurrency * 1000) / delayMs);
  return result;
}

/**
 * An idle worker (concurrency 1); then, `samples` times: enqueue one job and time until its
 * handler starts. Between samples the worker idles 20-50 ms, so each sample finds it asleep.
 */
export async function pickup(system: QueueSystem, s: Settings): Promise<Partial<Result>> {
  let onStart: (at: number) => void = () => {};
  let onDone: () => void = () => {};
  const running = await system.work({
    concurrency: 1,
    handler: () => onStart(performance.now()),
    onCompleted: () => onDone(),
  });
  try {
    return await sample(system, s, async (enqueue) => {
      const started = new Promise<number>((resolve) => (onStart = resolve));
      const completed = new Promise<void>((resolve) => (onDone = resolve));
      const t0 = performance.now();
      await enqueue();
      const at = await started;
      await completed;
      return at - t0;
    });
  } finally {
    await running.stop();
  }
}

/** pickup with the worker in another process; times are absolute clock readings in both. */
export async function pickupCrossProcess(
  system: QueueSystem,
  s: Settings,
  name: string,
): Promise<Partial<Result>> {
  const worker = await startWorker({
    system: name,
    handle: system.handle(),
    concurrency: 1,
    mode: 'pickup',
  });
  try {
    return await sample(system, s, async (enqueue) => {
      const started = worker.next('started');
      const t0 = absoluteNow();
      await enqueue();
      const message = await started;
      return (message as { at: number }).at - t0;
    });
  } finally {
    await worker.end();
  }
}

async function sample(
  system: QueueSystem,
  s: Settings,
  once: (enqueue: () => Promise<void>) => Promise<number>,
): Promise<Partial<Result>> {
  await sleep(300);
  const latencies: number[] = [];
  const started = performance.now();
  for (let i = 0; i < s.samples; i++) {
    await sleep(20 + Math.random() * 30);
    const latency = await Promise.race([
      once(() => system.addOne({ i })),
      sleep(10_000).then(() => NaN),
    ]);
    if (Number.isNaN(latency)) throw new Error(`pickup sample ${i} did not start within 10 s`);
    latencies.push(latency);
    // A peer that polls (pg-boss: every 0.5 s at best) gets fewer samples, not minutes.
    if (performance.now() - started > s.capMs * 2 && latencies.length >= 10) break;
  }
  return {
    p50_ms: percentile(latencies, 50),
    p95_ms: percentile(latencies, 95),
    jobs: latencies.length,
  };
}

/**
 * scale: `waiting` jobs queued (loaded once), then `passes` worker processes one after another
 * (concurrency 20), each running `jobs` of them: its claim rate and its RSS. Before each pass the
 * queue is topped up to `waiting` again; loading a million once keeps the full bench in budget.
 */
export async function scale(
  system: QueueSystem,
  s: Settings,
  name: string,
  waiting: number,
  passes: number,
): Promise<Array<Partial<Result>>> {
  const filledAt = performance.now();
  const filled = await fill(system, waiting, 300_000);
  log(
    `    ${filled.toLocaleString('en-US')} waiting after ${round((performance.now() - filledAt) / 1000)} s`,
  );
  const results: Array<Partial<Result>> = [];
  for (let pass = 0; pass < passes; pass++) {
    if (pass > 0) await fill(system, s.jobs);
    const worker = await startWorker({
      system: name,
      handle: system.handle(),
      concurrency: 20,
      mode: 'count',
      stopAfter: s.jobs,
    });
    try {
      const report = (await Promise.race([
        worker.next('report'),
        sleep(60_000).then(() => null),
      ])) as Extract<WorkerMessage, { type: 'report' }> | null;
      results.push(
        report
          ? {
              jobs_per_s: (report.count / (report.lastAt - report.firstAt)) * 1000,
              jobs: report.count,
              waiting: filled,
              rss_mb: report.rssMb,
            }
          : { error: `the worker did not run ${s.jobs} jobs within 60 s`, waiting: filled },
      );
    } finally {
      await worker.end();
    }
    if (results[results.length - 1]!.error) break; // the next pass would fail the same way
  }
  return results;
}

/** procs4: `jobs` queued, 4 worker processes (concurrency 20 each): the rate from the first start in any to the last completion in any. */
export async function procs(
  system: QueueSystem,
  s: Settings,
  name: string,
  count = 4,
): Promise<Partial<Result>> {
  const total = s.jobs * 2;
  await fill(system, total);
  const workers = await Promise.all(
    Array.from({ length: count }, () =>
      startWorker({ system: name, handle: system.handle(), concurrency: 20, mode: 'count' }, false),
    ),
  );
  try {
    const latest = new Map<ChildProcess, { count: number; firstAt: number; lastAt: number }>();
    const done = new Promise<void>((resolve) => {
      for (const worker of workers) {
        worker.child.on('message', (message: WorkerMessage) => {
          if (message.type !== 'count') return;
          latest.set(worker.child, message);
          if ([...latest.values()].reduce((sum, m) => sum + m.count, 0) >= total) resolve();
        });
      }
    });
    for (const worker of workers) worker.child.send('go');
    const capped = await Promise.race([
      done.then(() => false),
      sleep(s.capMs * 2).then(() => true),
    ]);
    const figures = [...latest.values()].filter((m) => m.count > 0);
    const jobs = figures.reduce((sum, m) => sum + m.count, 0);
    const first = Math.min(...figures.map((m) => m.firstAt));
    const last = Math.max(...figures.map((m) => m.lastAt));
    return {
      jobs_per_s: (jobs / (last - first)) * 1000,
      jobs,
      ...(capped ? { capped: true } : {}),
    };
  } finally {
    await Promise.all(workers.map((worker) => worker.end()));
  }
}

export async function floor(system: Floor, s: Settings, batch: number): Promise<Partial<Result>> {
  const { jobs, ms } = await system.run(s.jobs, batch, s.capMs);
  return rateOf(jobs, ms, s.jobs);
}

interface WorkerHandle {
  child: ChildProcess;
  next(type: WorkerMessage['type']): Promise<WorkerMessage>;
  end(): Promise<void>;
}

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/** Forks a worker process on the same store; resolves once it is ready (and, with `go`, started). */
async function startWorker(start: WorkerStart, go = true): Promise<WorkerHandle> {
  const child = fork(WORKER_SCRIPT, [], {
    execArgv: process.execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = (type: WorkerMessage['type']) =>
    new Promise<WorkerMessage>((resolve, reject) => {
      const onExit = (code: number | null) =>
        reject(new Error(`worker process exited (${code}) before "${type}"`));
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'error') reject(new Error(`worker process: ${message.message}`));
        else if (message.type === type) {
          child.off('message', onMessage);
          child.off('exit', onExit);
          resolve(message);
        }
      };
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  const handle: WorkerHandle = {
    child,
    next,
    async end() {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const ready = next('ready');
  child.send(start);
  await ready;
  if (go) {
    child.send('go');
    await sleep(100);
  }
  return handle;
}
