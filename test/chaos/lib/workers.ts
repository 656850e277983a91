/**
 * A pool of `holdfast work` processes (the built CLI) that the chaos scenarios kill and restart.
 * Plain TypeScript with no vitest import, so the on-demand runner (test/chaos/run.ts) uses it too.
 */
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CLI, spawnTracked } from '../../helpers/processes.js';

/**
 * The CLI under test: dist/cli/main.js, or HOLDFAST_CLI (a private build, as test/cli does):
 * other engineers rebuild dist/ with rm -rf first, and a long run must not lose its binary.
 */
export function cliPath(): string {
  return process.env.HOLDFAST_CLI ?? CLI;
}

/** The built package's index.js next to that CLI. */
export function indexPath(): string {
  return join(dirname(cliPath()), '..', 'index.js');
}

export const CHAOS_HANDLER = fileURLToPath(
  new URL('../fixtures/chaos-handler.mjs', import.meta.url),
);

export interface WorkerSpec {
  db: string;
  queue: string;
  effects: string;
  handlerMs?: number;
  concurrency?: number;
  lease?: string;
  backoffMin?: string;
  backoffMax?: string;
  exitWhenEmpty?: boolean;
  /** Extra node flags, e.g. --max-old-space-size=64. */
  nodeArgs?: string[];
  env?: Record<string, string>;
}

export interface WorkerProcess {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr: () => string;
}

export function startWorker(spec: WorkerSpec): WorkerProcess {
  const args = [
    ...(spec.nodeArgs ?? []),
    cliPath(),
    'work',
    spec.queue,
    '--handler',
    CHAOS_HANDLER,
    '--db',
    spec.db,
    '--concurrency',
    String(spec.concurrency ?? 5),
    '--lease',
    spec.lease ?? '1s',
    '--backoff-min',
    spec.backoffMin ?? '50ms',
    '--backoff-max',
    spec.backoffMax ?? '500ms',
    '--poll-interval',
    '200ms',
    '--quiet',
    ...(spec.exitWhenEmpty === false ? [] : ['--exit-when-empty']),
  ];
  const child = spawnTracked(process.execPath, args, {
    env: {
      ...process.env,
      EFFECT_LOG: spec.effects,
      HANDLER_MS: String(spec.handlerMs ?? 0),
      ...spec.env,
    },
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    // Keep the tail only: a long run can log many reconnect warnings.
    stderr = (stderr + chunk).slice(-20_000);
  });
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, exited, stderr: () => stderr };
}

export function alive(worker: WorkerProcess): boolean {
  return worker.child.exitCode === null && worker.child.signalCode === null;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resident set size of a process in bytes, from /proc (Linux), or null once it has gone. */
export function rssOf(pid: number, readFile: (path: string) => string): number | null {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFile(`/proc/${pid}/status`));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** `runCli` of test/helpers on `cliPath()`: runs holdfast to completion and collects its output. */
export function runHoldfast(
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(process.execPath, [cliPath(), ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
