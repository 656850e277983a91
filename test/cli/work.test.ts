import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnTracked } from '../helpers/processes.js';
import { cliPath, expectOneLineError, sandbox } from './cli.js';

describe('holdfast work', () => {
  it('runs an .mjs handler until the queue is empty, one line per finished job', async () => {
    const s = sandbox();
    writeFileSync(
      join(s.dir, 'double.mjs'),
      `export default async (job, ctx) => { ctx.progress(1, 1, 'done'); return { doubled: job.payload.n * 2 }; };\n`,
    );
    for (const n of [1, 2, 3])
      await s.ok('enqueue', 'math', '--payload', JSON.stringify({ n }), '--key', `n${n}`);
    const result = await s.run(
      'work',
      'math',
      '--handler',
      'double.mjs',
      '--exit-when-empty',
      '--concurrency',
      '2',
      '--prefetch',
      '2',
    );
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.trimEnd().split('\n').sort();
    expect(lines).toHaveLength(3);
    lines.forEach((line, i) =>
      expect(line).toMatch(new RegExp(`^completed  #${i + 1} math n${i + 1} in \\d`)),
    );
    expect(result.stderr).toContain(
      'holdfast: working on math (concurrency 2) until they are empty',
    );
    const shown = JSON.parse(await s.ok('show', '2', '--json')) as {
      job: { result: unknown; progress: unknown };
      attempts: Array<{ outcome: string }>;
    };
    expect(shown.job.result).toEqual({ doubled: 4 });
    expect(shown.job.progress).toEqual({ current: 1, total: 1, message: 'done' });
    expect(shown.attempts.map((a) => a.outcome)).toEqual(['completed']);
    expect(await s.counts()).toMatchObject({ all: 3, completed: 3 });
  });

  it('loads a .ts handler through tsx, and records a failure with its error', async () => {
    const s = sandbox();
    writeFileSync(
      join(s.dir, 'handler.ts'),
      `interface Payload { n: number }\n` +
        `export default async (job: { payload: Payload; attempt: number }): Promise<number> => {\n` +
        `  if (job.payload.n < 0) throw new Error(\`negative input \${job.payload.n}\`);\n` +
        `  return job.payload.n satisfies number;\n};\n`,
    );
    await s.ok('enqueue', 'math', '--payload', '{"n": 5}');
    await s.ok('enqueue', 'math', '--payload', '{"n": -1}', '--max-attempts', '1');
    const result = await s.run(
      'work',
      'math',
      '--handler',
      './handler.ts',
      '--exit-when-empty',
      '--quiet',
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toBe('');
    const shown = await s.ok('show', '2');
    expect(shown).toMatch(/^job 2\n {2}queue: {6}math\n {2}status: {5}failed\n/);
    expect(shown).toMatch(/last error: (Error: )?negative input -1\n/);
    expect(shown).toMatch(
      /attempt history:\n {2}# +STARTED +TOOK +OUTCOME +WORKER +ERROR\n {2}1 .* failed .* negative input -1/,
    );
    expect(JSON.parse(await s.ok('show', '1', '--json')).job.result).toBe(5);
  });

  it('loads a CommonJS .js handler', async () => {
    const s = sandbox();
    writeFileSync(
      join(s.dir, 'handler.js'),
      `module.exports = async (job) => ({ seen: job.id });\n`,
    );
    await s.ok('enqueue', 'cjs');
    const result = await s.run('work', 'cjs', '--handler', 'handler.js', '--exit-when-empty');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^completed {2}#1 cjs in /);
    expect(JSON.parse(await s.ok('show', '1', '--json')).job.result).toEqual({ seen: '1' });
  });

  it('refuses a module without a default function, a missing module and bad options, exit 2', async () => {
    const s = sandbox();
    await s.ok('enqueue', 'q');
    writeFileSync(join(s.dir, 'named.mjs'), `export const handler = async () => 1;\n`);
    expectOneLineError(
      await s.run('work', 'q', '--handler', 'named.mjs'),
      2,
      /--handler named\.mjs has no default export function \(it exports handler\)/,
    );
    expectOneLineError(
      await s.run('work', 'q', '--handler', 'missing.mjs'),
      2,
      /--handler: no file at .*missing\.mjs/,
    );
    expectOneLineError(
      await s.run('work', 'q', '--handler', 'named.mjs', '--lease', 'forever'),
      2,
      /--lease/,
    );
    expectOneLineError(
      await s.run('work', 'q', '--handler', 'named.mjs', '--concurrency', '0'),
      2,
      /--concurrency must be a whole number from 1/,
    );
    expectOneLineError(
      await s.run('work', 'q', '--handler', 'named.mjs', '--prefetch', '-1'),
      2,
      /--prefetch must be a whole number from 0/,
    );
    expectOneLineError(
      await s.run(
        'work',
        'q',
        '--handler',
        'named.mjs',
        '--backoff-min',
        '1m',
        '--backoff-max',
        '1s',
      ),
      2,
      /--backoff-max \(1s\) must be at least --backoff-min \(1m\)/,
    );
    expect(await s.counts()).toMatchObject({ all: 1, pending: 1 });
  });

  it('stops cleanly on SIGTERM and exits 0', async () => {
    const s = sandbox();
    writeFileSync(join(s.dir, 'noop.mjs'), `export default async () => null;\n`);
    const child = spawnTracked(
      process.execPath,
      [cliPath, '--db', s.db, 'work', 'idle', '--handler', 'noop.mjs'],
      { cwd: s.dir },
    );
    let stderr = '';
    const started = new Promise<void>((resolve) =>
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('working on idle')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => resolve(code)),
    );
    // If the worker dies before it starts, fail on its exit instead of waiting out the test timeout.
    await Promise.race([
      started,
      exited.then((code) => Promise.reject(new Error(`work exited early (${code}): ${stderr}`))),
    ]);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
