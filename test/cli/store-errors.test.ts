import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { spawnTracked } from '../helpers/processes.js';
import type { RunResult } from '../helpers/processes.js';
import { cliPath, expectOneLineError, fingerprint, sandbox } from './cli.js';

/** Runs the CLI as user `nobody` (tests run as root, which no file permission stops). */
function runAsNobody(args: string[], cwd: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawnTracked(
      'runuser',
      ['-u', 'nobody', '--', process.execPath, cliPath, ...args],
      { cwd },
    );
    let stdout = '';
    let stderr = '';
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.once('error', reject);
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

describe('holdfast on a database it cannot use', () => {
  it('refuses a file that is not SQLite, exit 1, leaving it untouched', async () => {
    const s = sandbox();
    const path = join(s.dir, 'notes.db');
    writeFileSync(path, 'These are my notes, not a database.\n'.repeat(200));
    const before = fingerprint(path);
    for (const args of [['status'], ['enqueue', 'q'], ['jobs', '--json']]) {
      expectOneLineError(
        await s.run('--db', path, ...args),
        1,
        /notes\.db is not a SQLite database/,
      );
    }
    expect(fingerprint(path)).toBe(before);
  });

  it('refuses a database written by a newer holdfast, exit 1, never altering it', async () => {
    const s = sandbox();
    await s.ok('enqueue', 'q', '--payload', '{"n":1}');
    const db = new Database(s.db);
    db.prepare(`UPDATE holdfast_meta SET value = '999' WHERE key = 'schema_version'`).run();
    db.close();
    const before = fingerprint(s.db);
    expectOneLineError(
      await s.run('status'),
      1,
      /written by a newer holdfast \(schema 999.*Upgrade holdfast/,
    );
    expectOneLineError(await s.run('enqueue', 'q'), 1, /newer holdfast/);
    expect(fingerprint(s.db)).toBe(before);
    const check = new Database(s.db, { readonly: true });
    expect(check.prepare('SELECT count(*) AS n FROM jobs').get()).toEqual({ n: 1 });
    check.close();
  });

  it('reports a read-only database in one line, exit 1, with no change to the data', async () => {
    const s = sandbox();
    await s.ok('enqueue', 'q', '--payload', '{"n":1}');
    // A copy the user `nobody` may read but not write, in a folder it cannot write either.
    const path = join(s.dir, 'readonly.db');
    copyFileSync(s.db, path);
    chmodSync(s.dir, 0o755);
    chmodSync(path, 0o644);
    const before = fingerprint(path);
    const enqueue = await runAsNobody(
      ['--db', path, 'enqueue', 'q', '--payload', '{"n":2}'],
      s.dir,
    );
    expectOneLineError(enqueue, 1, /readonly\.db.*(is read-only|cannot be written)/);
    expect(fingerprint(path)).toBe(before);
    const status = await s.run('--db', path, 'status', '--json');
    expect(JSON.parse(status.stdout).queues.q.pending).toBe(1);
  });
});
