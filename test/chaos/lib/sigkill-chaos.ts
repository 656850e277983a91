/**
 * SIGKILL chaos: `workers` `holdfast work` processes share one store; every 200–1000 ms a random
 * one is SIGKILLed (often mid-transaction) and restarted at once. Optionally the PostgreSQL
 * server is restarted once in the middle. When every job is terminal the survivors exit
 * (--exit-when-empty) and the criteria of verify.ts are checked.
 */
import { execFile } from 'node:child_process';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { JobQueue } from '../../../src/index.js';
import { readEffects, type Effect } from '../../helpers/effects.js';
import { alive, sleep, startWorker, type WorkerProcess } from './workers.js';
import { verifyRun, type Verdict } from './verify.js';

export interface SigkillOptions {
  /** SQLite file path or postgres:// URL (with ?schema=). */
  db: string;
  dir: string;
  workers: number;
  jobs: number;
  concurrency: number;
  handlerMs: number;
  /** Kills stop after this long even if jobs remain (the survivors then finish them). */
  maxChaosMs: number;
  killEveryMs?: [number, number];
  maxAttempts?: number;
  /** Restart PostgreSQL (pg_ctlcluster) this long after the kills start. */
  pgRestartAfterMs?: number;
  log?: (line: string) => void;
}

export interface SigkillReport extends Verdict {
  store: 'sqlite' | 'postgres';
  workers: number;
  kills: number;
  killedMidJob: number;
  pgRestarts: number;
  /** Workers that refused to start while PostgreSQL was restarting (restarted like killed ones). */
  startRefusals: number;
  chaosMs: number;
  totalMs: number;
  unexpectedExits: string[];
}

const PG_RESTART = [
  '--skip-systemctl-redirect',
  process.env.HOLDFAST_TEST_PG_CLUSTER_VERSION ?? '15',
  'main',
  'restart',
];

export async function runSigkillChaos(options: SigkillOptions): Promise<SigkillReport> {
  const log = options.log ?? (() => undefined);
  const isPg = /^postgres/.test(options.db);
  const effects = join(options.dir, `effects-${Date.now()}.log`);
  const [minKill, maxKill] = options.killEveryMs ?? [200, 1_000];
  const started = Date.now();
  const queue = await JobQueue.open({ db: options.db });
  queue.on('error', () => undefined);
  try {
    for (let i = 0; i < options.jobs; i += 2_000) {
      const count = Math.min(2_000, options.jobs - i);
      await queue.enqueueMany(
        Array.from({ length: count }, (_, k) => ({
          queue: 'chaos',
          payload: { i: i + k },
          options: { maxAttempts: options.maxAttempts ?? 5 },
        })),
      );
    }
    const spec = {
      db: options.db,
      queue: 'chaos',
      effects,
      handlerMs: options.handlerMs,
      concurrency: options.concurrency,
    };
    const pool: WorkerProcess[] = Array.from({ length: options.workers }, () => startWorker(spec));
    const unexpectedExits: string[] = [];
    let kills = 0;
    const killedPids = new Set<number>();
    let midJob = 0;
    const seen = new WorkingPids(effects);
    let pgRestarts = 0;
    let startRefusals = 0;
    let restart: Promise<void> | null = null;
    const chaosStart = Date.now();
    const remaining = async () => {
      const counts = (await queue.stats()).queues.chaos?.counts;
      return counts ? counts.pending + counts.running + counts.retrying : 0;
    };
    for (;;) {
      await sleep(minKill + Math.random() * (maxKill - minKill));
      const elapsed = Date.now() - chaosStart;
      // Past maxChaosMs, go on (up to 3x) only until a kill has hit a worker in the middle of a job:
      // on a loaded machine the first kills can all land on workers still starting up.
      if (elapsed > options.maxChaosMs && (midJob > 0 || elapsed > options.maxChaosMs * 3)) break;
      // Workers that cannot even start (a broken build) make the rest of the run meaningless.
      if (unexpectedExits.length >= 10) break;
      if (
        isPg &&
        options.pgRestartAfterMs !== undefined &&
        !restart &&
        elapsed > options.pgRestartAfterMs
      ) {
        log(`restarting PostgreSQL at ${elapsed} ms`);
        restart = promisify(execFile)('pg_ctlcluster', PG_RESTART).then(() => {
          pgRestarts++;
        });
      }
      // Workers that exited on their own (queue empty) mean the run is over; others are a problem.
      for (const [index, worker] of pool.entries()) {
        if (alive(worker)) continue;
        const { code, signal } = await worker.exited;
        // A worker started while PostgreSQL was down refuses to start (exit 1, a clear message),
        // as a supervisor would see it; it is restarted like a killed one.
        if (code === 1 && restart && /Cannot open the PostgreSQL store/.test(worker.stderr()))
          startRefusals++;
        else if (code !== 0)
          unexpectedExits.push(`worker exited ${code ?? signal}: ${worker.stderr().slice(-500)}`);
        pool[index] = startWorker(spec);
      }
      let left: number;
      try {
        left = await remaining();
      } catch {
        left = 1; // PostgreSQL restarting: keep going.
      }
      if (left === 0) break;
      // A random worker among those already running jobs (a kill during start-up proves little).
      seen.poll();
      const working = pool
        .map((_, index) => index)
        .filter((index) => alive(pool[index]!) && seen.pids.has(pool[index]!.child.pid!));
      const candidates = working.length > 0 ? working : pool.map((_, index) => index);
      const victim = candidates[Math.floor(Math.random() * candidates.length)]!;
      const worker = pool[victim]!;
      if (!alive(worker)) continue;
      killedPids.add(worker.child.pid!);
      if (seen.midJob(worker.child.pid!)) midJob++;
      worker.child.kill('SIGKILL');
      await worker.exited;
      kills++;
      pool[victim] = startWorker(spec);
    }
    const chaosMs = Date.now() - chaosStart;
    if (restart) await restart;
    log(`chaos over after ${chaosMs} ms, ${kills} kills; draining`);
    // Survivors (and restarted workers) rescue what the last kills left and exit when empty.
    const drainDeadline = Date.now() + 180_000;
    const results = await Promise.all(
      pool.map(async (first) => {
        for (let worker = first; ; worker = startWorker(spec)) {
          const deadline = sleep(Math.max(0, drainDeadline - Date.now())).then(
            () => 'timeout' as const,
          );
          const outcome = await Promise.race([worker.exited, deadline]);
          if (outcome === 'timeout') {
            worker.child.kill('SIGKILL');
            await worker.exited;
            return `worker ${worker.child.pid} did not exit within 180 s of the end of the chaos`;
          }
          if (outcome.code === 0) return null;
          if (
            outcome.code === 1 &&
            restart &&
            /Cannot open the PostgreSQL store/.test(worker.stderr())
          ) {
            startRefusals++;
            continue;
          }
          return `worker exited ${outcome.code ?? outcome.signal}: ${worker.stderr().slice(-500)}`;
        }
      }),
    );
    unexpectedExits.push(...results.filter((r): r is string => r !== null));
    const verdict = await verifyRun(
      queue.store,
      effects,
      options.jobs,
      isPg ? undefined : options.db,
    );
    if (unexpectedExits.length > 0) verdict.problems.push(...unexpectedExits.slice(0, 5));
    const killedMidJob = midJobKills(readEffects(effects), killedPids);
    return {
      ...verdict,
      store: isPg ? 'postgres' : 'sqlite',
      workers: options.workers,
      kills,
      killedMidJob,
      pgRestarts,
      startRefusals,
      chaosMs,
      totalMs: Date.now() - started,
      unexpectedExits,
    };
  } finally {
    await queue.close();
  }
}

/** Killed processes that had started a job they never finished: the kills that really hit work. */
function midJobKills(effects: Effect[], killed: Set<number>): number {
  const open = new Map<number, Set<string>>();
  for (const effect of effects) {
    if (!killed.has(effect.pid)) continue;
    const set = open.get(effect.pid) ?? new Set<string>();
    const key = `${effect.jobId}/${effect.attempt}`;
    if (effect.kind === 'start') set.add(key);
    else set.delete(key);
    open.set(effect.pid, set);
  }
  return [...open.values()].filter((set) => set.size > 0).length;
}

/** Pids that have started a job, and their jobs started and not finished, read incrementally from the effect log. */
class WorkingPids {
  readonly pids = new Set<number>();
  readonly #open = new Map<number, number>();

  /** Whether `pid` has a job started and not yet done (as far as the log has been read). */
  midJob(pid: number): boolean {
    return (this.#open.get(pid) ?? 0) > 0;
  }
  readonly #path: string;
  #offset = 0;
  #partial = '';

  constructor(path: string) {
    this.#path = path;
  }

  poll(): void {
    let fd: number;
    try {
      fd = openSync(this.#path, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.#offset) return;
      const buffer = Buffer.alloc(size - this.#offset);
      readSync(fd, buffer, 0, buffer.length, this.#offset);
      this.#offset = size;
      const lines = (this.#partial + buffer.toString('utf8')).split('\n');
      this.#partial = lines.pop() ?? '';
      for (const line of lines) {
        const [kind, , , text] = line.split(' ');
        const pid = Number(text);
        if (kind === 'start') {
          this.pids.add(pid);
          this.#open.set(pid, (this.#open.get(pid) ?? 0) + 1);
        } else this.#open.set(pid, (this.#open.get(pid) ?? 0) - 1);
      }
    } finally {
      closeSync(fd);
    }
  }
}
