import type { ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, runCli, spawnTracked, waitForOutput } from '../helpers/processes.js';
import { tempDir } from '../helpers/tmp.js';
import { parseExposition, value } from '../metrics/exposition.js';
import { http } from './http-client.js';

function env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const copy = { ...process.env, ...extra };
  if (!('HOLDFAST_DASHBOARD_TOKEN' in extra)) delete copy.HOLDFAST_DASHBOARD_TOKEN;
  return copy;
}

async function stop(child: ChildProcess): Promise<number | null> {
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  );
  child.kill('SIGTERM');
  return exited;
}

function stderrUntil(child: ChildProcess, pattern: RegExp): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(
      () => reject(new Error(`no ${pattern} on stderr; got:\n${text}`)),
      30_000,
    );
    child.stderr!.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const match = pattern.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match);
      }
    });
  });
}

describe('holdfast dashboard (CLI)', () => {
  it('refuses to start on a public address without a token: exit 2, one line, nothing listening', async () => {
    const db = join(tempDir(), 'queue.db');
    const result = await runCli(['--db', db, 'dashboard', '--host', '0.0.0.0', '--port', '0'], {
      env: env(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /^holdfast: Refusing to serve the dashboard on 0\.0\.0\.0 without a token.*--token \(or HOLDFAST_DASHBOARD_TOKEN\)/,
    );
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stdout).toBe('');
  });

  it('names --base-path when it is not a path, before creating any database', async () => {
    const db = join(tempDir(), 'queue.db');
    const result = await runCli(['--db', db, 'dashboard', '--base-path', 'x y', '--port', '0'], {
      env: env(),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      'holdfast: Expected --base-path to be a path like /admin/queue (letters, digits, . _ ~ -), got "x y"\n',
    );
    expect(existsSync(db)).toBe(false);
  });

  it('serves on 127.0.0.1 by default and stops on SIGTERM', async () => {
    const db = join(tempDir(), 'queue.db');
    const child = spawnTracked(process.execPath, [CLI, '--db', db, 'dashboard', '--port', '0'], {
      env: env(),
    });
    const line = await waitForOutput(child, (text) => text.includes('\n'));
    const url = /dashboard at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(line)?.[1];
    expect(url, line).toBeDefined();
    const page = await http(url!);
    expect(page.status).toBe(200);
    expect(page.body).toContain('<h1>Overview</h1>');
    expect(await stop(child)).toBe(0);
  });

  it('starts on 0.0.0.0 with HOLDFAST_DASHBOARD_TOKEN, and asks for it', async () => {
    const db = join(tempDir(), 'queue.db');
    const token = 'token-from-the-environment';
    const child = spawnTracked(
      process.execPath,
      [CLI, '--db', db, 'dashboard', '--host', '0.0.0.0', '--port', '0', '--read-only'],
      {
        env: env({ HOLDFAST_DASHBOARD_TOKEN: token }),
      },
    );
    const line = await waitForOutput(child, (text) => text.includes('\n'));
    expect(line).toMatch(/\(read-only\) \(token required\)/);
    const url = /dashboard at (\S+)/.exec(line)![1]!;
    expect((await http(`${url}api/overview`)).status).toBe(401);
    expect(
      (await http(`${url}api/overview`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);
    expect(await stop(child)).toBe(0);
  });
});

describe('holdfast work --metrics-port', () => {
  it('serves the worker’s metrics while it runs', async () => {
    const dir = tempDir();
    const db = join(dir, 'queue.db');
    writeFileSync(join(dir, 'handler.mjs'), 'export default async (job) => job.payload * 2;\n');
    expect((await runCli(['--db', db, 'enqueue', 'math', '--payload', '21'])).code).toBe(0);
    const child = spawnTracked(
      process.execPath,
      [
        CLI,
        '--db',
        db,
        'work',
        'math',
        '--handler',
        join(dir, 'handler.mjs'),
        '--metrics-port',
        '0',
      ],
      { env: env() },
    );
    const [, url] = await stderrUntil(child, /metrics at (http:\/\/127\.0\.0\.1:\d+\/metrics)/);
    await waitForOutput(child, (text) => text.includes('completed'));
    const parsed = parseExposition((await http(url!)).body);
    expect(
      value(parsed, 'holdfast_jobs_finished_total', { queue: 'math', outcome: 'completed' }),
    ).toBe(1);
    expect(value(parsed, 'holdfast_jobs', { queue: 'math', status: 'completed' })).toBe(1);
    expect(await stop(child)).toBe(0);
  });
});
