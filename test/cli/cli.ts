/** Helpers for the CLI tests: run the built `holdfast` on a database in a temp folder. */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { CLI, runCli, spawnTracked, type RunResult } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The CLI under test: the built dist/cli/main.js, or HOLDFAST_CLI when set. Several engineers
 * rebuild dist/ (rm -rf first) while others test; a private build named by HOLDFAST_CLI keeps a
 * test run from failing with "Cannot find module" halfway.
 */
export const cliPath = process.env.HOLDFAST_CLI ?? CLI;

/** `runCli`, on `cliPath`. */
export function holdfast(
  args: string[],
  options: Parameters<typeof runCli>[1] = {},
): Promise<RunResult> {
  if (cliPath === CLI) return runCli(args, options);
  return new Promise((resolve, reject) => {
    const child = spawnTracked(process.execPath, [cliPath, ...args], {
      ...options,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (options.input !== undefined) child.stdin!.end(options.input);
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

export interface Sandbox {
  dir: string;
  db: string;
  /** Runs `holdfast --db <db> ...args` with the sandbox as working directory. */
  run(...args: string[]): Promise<RunResult>;
  /** Like run, but expects exit 0 and returns stdout. */
  ok(...args: string[]): Promise<string>;
  /** Total jobs per status, from `status --json`. */
  counts(): Promise<Record<string, number>>;
}

export function sandbox(): Sandbox {
  const dir = tempDir('holdfast-cli-');
  const db = join(dir, 'queue.db');
  const env: NodeJS.ProcessEnv = { ...process.env, HOLDFAST_DEBUG: '' };
  delete env.HOLDFAST_DB;
  const run = (...args: string[]) => holdfast(['--db', db, ...args], { cwd: dir, env });
  const ok = async (...args: string[]) => {
    const result = await run(...args);
    expect(result, `holdfast ${args.join(' ')}`).toMatchObject({
      code: 0,
      stderr: expect.any(String),
    });
    return result.stdout;
  };
  const counts = async () => {
    const status = JSON.parse(await ok('status', '--json')) as {
      queues: Record<string, Record<string, number>>;
    };
    const totals: Record<string, number> = { all: 0 };
    for (const queue of Object.values(status.queues)) {
      for (const [name, count] of Object.entries(queue)) {
        totals[name] = (totals[name] ?? 0) + count;
        totals.all! += count;
      }
    }
    return totals;
  };
  return { dir, db, run, ok, counts };
}

/** A failed run as the CLI contract wants it: the exit code, one `holdfast:` line, no stack, nothing on stdout. */
export function expectOneLineError(result: RunResult, code: number, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  expect(result.stdout).toBe('');
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^holdfast: /);
  expect(lines[0]).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

/** Content hash of a file (and its -wal), to show a failed command changed nothing. */
export function fingerprint(path: string): string {
  const hash = createHash('sha256');
  for (const file of [path, `${path}-wal`]) if (existsSync(file)) hash.update(readFileSync(file));
  return hash.digest('hex');
}
