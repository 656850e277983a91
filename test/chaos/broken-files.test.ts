/**
 * Broken database files: each gives a clear error (exit 1, `holdfast: <what and what to do>`, no
 * stack) at start or at the next write, and holdfast never re-initialises the file. Permission
 * cases run the CLI as `nobody` (setpriv), because these tests run as root, which ignores modes.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/index.js';
import { StoreError } from '../../src/errors.js';
import { spawnTracked } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';
import { CHAOS_HANDLER, cliPath, runHoldfast, startWorker } from './lib/workers.js';
import { waitFor } from '../helpers/queue.js';
import { readEffects } from '../helpers/effects.js';

function sha(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** A holdfast database with `jobs` jobs, closed cleanly (WAL checkpointed into the file). */
async function makeDb(dir: string, jobs = 500): Promise<string> {
  const db = join(dir, 'queue.db');
  const queue = await JobQueue.open({ db });
  await queue.enqueueMany(
    Array.from({ length: jobs }, (_, i) => ({ queue: 'q', payload: { i, pad: 'x'.repeat(200) } })),
  );
  await queue.close();
  return db;
}

/** Runs the CLI as the unprivileged user `nobody`. */
function runCliAsNobody(args: string[]) {
  return new Promise<{ code: number | null; stderr: string }>((resolve, reject) => {
    const child = spawnTracked(
      'setpriv',
      ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, cliPath(), ...args],
      {
        env: { ...process.env, HOME: '/tmp' },
      },
    );
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.stdout!.resume();
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

function expectClearError(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  expect(result.code, result.stderr).toBe(1);
  expect(result.stderr).toMatch(/^holdfast: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
}

describe('broken database files', () => {
  it('overwritten header: clear error at start; the file is left byte-identical', async () => {
    const dir = tempDir();
    const db = await makeDb(dir);
    const fd = openSync(db, 'r+');
    writeSync(fd, Buffer.alloc(100, 0x41), 0, 100, 0);
    closeSync(fd);
    const before = sha(db);
    for (const args of [
      ['status'],
      ['enqueue', 'q', '--payload', '{}'],
      ['work', 'q', '--handler', CHAOS_HANDLER],
    ]) {
      expectClearError(await runHoldfast([...args, '--db', db]), /is not a SQLite database/);
    }
    expect(sha(db)).toBe(before);
  }, 60_000);

  for (const [name, size] of [
    ['to half its size', 0.5],
    ['to 1,000 bytes (inside the first page)', 1_000],
  ] as const) {
    it(`truncated ${name}: clear error at start or at the next read/write; never re-initialised`, async () => {
      const dir = tempDir();
      const db = await makeDb(dir, 3_000);
      truncateSync(db, size < 1 ? Math.floor(statSync(db).size * size) : size);
      const before = sha(db);
      const status = await runHoldfast(['status', '--db', db]);
      const enqueue = await runHoldfast(['enqueue', 'q', '--payload', '{}', '--db', db]);
      // Each command either refuses with a clear message, or (status on a file whose first pages
      // are intact) still works; a write is never silently accepted into a broken file.
      expectClearError(enqueue, /malformed|not a SQLite database|corrupt/i);
      if (status.code !== 0) expectClearError(status, /malformed|not a SQLite database|corrupt/i);
      expect(sha(db)).toBe(before);
    }, 60_000);
  }

  it('read-only database file (as nobody): clear error at start naming the file', async () => {
    const dir = tempDir();
    const db = await makeDb(dir);
    chmodSync(dir, 0o777);
    chmodSync(db, 0o444);
    const before = sha(db);
    expectClearError(
      await runCliAsNobody(['enqueue', 'q', '--db', db]),
      /database file .* is read-only/,
    );
    expect(sha(db)).toBe(before);
  }, 60_000);

  it('read-only folder (as nobody): clear error at start naming the folder', async () => {
    const dir = tempDir();
    const db = await makeDb(dir);
    chmodSync(db, 0o666);
    chmodSync(dir, 0o555);
    const before = sha(db);
    expectClearError(await runCliAsNobody(['enqueue', 'q', '--db', db]), /folder .* is read-only/);
    expect(sha(db)).toBe(before);
    chmodSync(dir, 0o755);
  }, 60_000);

  it('database deleted while open: the next write fails with a clear error; nothing recreates the file', async () => {
    const dir = tempDir();
    const db = await makeDb(dir, 10);
    const queue = await JobQueue.open({ db });
    try {
      for (const side of ['', '-wal', '-shm']) if (existsSync(db + side)) unlinkSync(db + side);
      const error = await queue.enqueue('q', {}).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(StoreError);
      expect((error as Error).message).toMatch(/was deleted or replaced/);
      expect(existsSync(db)).toBe(false);
    } finally {
      await queue.close();
    }
  }, 60_000);

  it('database deleted under a running worker: the worker reports it and changes nothing', async () => {
    const dir = tempDir();
    const db = await makeDb(dir, 1);
    const effects = join(dir, 'effects.log');
    const worker = startWorker({ db, queue: 'q', effects, exitWhenEmpty: false });
    try {
      // Fully started: it has run the one job.
      await waitFor(
        () => readEffects(effects).some((e) => e.kind === 'done'),
        'the worker to run a job',
        30_000,
      );
      for (const side of ['', '-wal', '-shm']) if (existsSync(db + side)) unlinkSync(db + side);
      // Its next write (a claim: every claim is a write transaction) is refused and reported.
      const warning = await waitFor(
        () => /was deleted or replaced/.test(worker.stderr()) && worker.stderr(),
        'the worker to report the deleted file',
      );
      expect(warning).toMatch(/queue\.db/);
      expect(existsSync(db)).toBe(false);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  }, 60_000);
});
