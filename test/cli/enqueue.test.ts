import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expectOneLineError, holdfast, sandbox } from './cli.js';

describe('holdfast enqueue', () => {
  it('prints the new job id, and says when an existing job was returned for its key', async () => {
    const s = sandbox();
    const first = await s.run(
      'enqueue',
      'email',
      '--payload',
      '{"to":"ada@example.com"}',
      '--key',
      'ada',
      '--priority',
      '5',
      '--max-attempts',
      '3',
      '--timeout',
      '30s',
      '--batch',
      'welcome',
    );
    expect(first).toMatchObject({ code: 0, stdout: '1\n', stderr: '' });
    const again = await s.run('enqueue', 'email', '--payload', '{"to":"other"}', '--key', 'ada');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe('1\n');
    expect(again.stderr).toBe(
      'holdfast: job 1 with key "ada" already exists (pending); returned it, enqueued nothing\n',
    );
    expect(await s.ok('enqueue', 'email', '--delay', '1h', '--json')).toBe(
      JSON.stringify({ id: '2', existing: false, status: 'pending' }, null, 2) + '\n',
    );
    const [job] = JSON.parse(await s.ok('jobs', '--json', '--limit', '1')) as Array<
      Record<string, unknown>
    >;
    expect(job).toMatchObject({
      id: '1',
      queue: 'email',
      key: 'ada',
      status: 'pending',
      priority: 5,
      payload: { to: 'ada@example.com' },
      attempts: 0,
      maxAttempts: 3,
      timeoutMs: 30_000,
      batch: 'welcome',
    });
    expect(await s.counts()).toMatchObject({ all: 2, pending: 2 });
  });

  it('refuses bad arguments with one line naming the argument, exit 2, and no change to the data', async () => {
    const s = sandbox();
    await s.ok('enqueue', 'email', '--payload', '{"n":1}');
    const cases: Array<[string[], RegExp]> = [
      [
        ['--payload', '{"to": ada}'],
        /^holdfast: --payload is not valid JSON: error at position 7 \(at "ada}"\)/,
      ],
      [
        ['--priority', 'abc'],
        /^holdfast: --priority must be a whole number from -1000000 to 1000000, got "abc"$/,
      ],
      [['--priority', 'NaN'], /--priority must be a whole number.*got "NaN"/],
      [['--priority', '1.5'], /--priority must be a whole number/],
      [
        ['--delay', '5 parsecs'],
        /--delay .*duration like 500ms, 30s, 5m, 1h or 7d, got "5 parsecs"/,
      ],
      [['--timeout', 'soon'], /--timeout .*duration/],
      [['--max-attempts', '0'], /--max-attempts must be a whole number from 1 to 1000, got "0"/],
      [['--key-column', 'id'], /--key-column and --skip-invalid only apply with --csv/],
      [['--bogus'], /unknown option '--bogus' \(see holdfast enqueue --help\)/],
      [
        ['--delya', '5s'],
        /^holdfast: unknown option '--delya'; did you mean --delay\? \(see holdfast enqueue --help\)$/,
      ],
    ];
    for (const [args, pattern] of cases)
      expectOneLineError(await s.run('enqueue', 'email', ...args), 2, pattern);
    expectOneLineError(await s.run('enqueue'), 2, /missing required argument 'queue'/);
    expect(await s.counts()).toMatchObject({ all: 1, pending: 1 });
  });

  it('reads --payload - from stdin, so a payload may exceed the command-line limit (and the size cap refuses it)', async () => {
    const s = sandbox();
    const big = { text: 'x'.repeat(200_000) };
    const env: NodeJS.ProcessEnv = { ...process.env };
    const ok = await holdfast(['--db', s.db, 'enqueue', 'big', '--payload', '-'], {
      cwd: s.dir,
      env,
      input: JSON.stringify(big),
    });
    expect(ok).toMatchObject({ code: 0, stdout: '1\n' });
    expect(JSON.parse(await s.ok('show', '1', '--json')).job.payload).toEqual(big);
    const huge = await holdfast(['--db', s.db, 'enqueue', 'big', '--payload', '-'], {
      cwd: s.dir,
      env,
      input: JSON.stringify({ text: 'x'.repeat(1_100_000) }),
    });
    expectOneLineError(huge, 2, /payload is \d+ bytes of JSON, over the limit of 1048576/);
    expectOneLineError(
      await holdfast(['--db', s.db, 'enqueue', 'big', '--payload', '-'], {
        cwd: s.dir,
        env,
        input: '{"a":',
      }),
      2,
      /--payload is not valid JSON: error at position 5 \(at the end\)/,
    );
    expect(await s.counts()).toMatchObject({ all: 1 });
  });

  it('uses HOLDFAST_DB when --db is not given, else ./.holdfast/queue.db in the working directory', async () => {
    const s = sandbox();
    const env: NodeJS.ProcessEnv = { ...process.env, HOLDFAST_DB: s.db };
    expect(await holdfast(['enqueue', 'from-env'], { cwd: s.dir, env })).toMatchObject({
      code: 0,
      stdout: '1\n',
    });
    expect(await s.counts()).toMatchObject({ all: 1 });
    delete env.HOLDFAST_DB;
    expect(await holdfast(['enqueue', 'default'], { cwd: s.dir, env })).toMatchObject({
      code: 0,
      stdout: '1\n',
    });
    expect(existsSync(join(s.dir, '.holdfast', 'queue.db'))).toBe(true);
    const status = await holdfast(['status', '--json'], { cwd: s.dir, env });
    expect(Object.keys(JSON.parse(status.stdout).queues)).toEqual(['default']);
  });
});
