import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, sandbox } from './cli.js';

const EMPTY = { pending: 0, running: 0, retrying: 0, completed: 0, failed: 0, cancelled: 0 };

describe('holdfast status, jobs and show', () => {
  it('counts per queue and batch, as a table and as the exact JSON shape', async () => {
    const s = sandbox();
    expect(await s.ok('status')).toBe('No jobs yet.\n');
    expect(JSON.parse(await s.ok('status', '--json'))).toEqual({ queues: {}, batches: [] });
    for (const key of ['x', 'y', 'z'])
      await s.ok('enqueue', 'alpha', '--key', key, '--batch', 'first');
    await s.ok('enqueue', 'beta');
    const status = JSON.parse(await s.ok('status', '--json'));
    expect(status).toEqual({
      queues: { alpha: { ...EMPTY, pending: 3 }, beta: { ...EMPTY, pending: 1 } },
      batches: [
        { id: expect.any(String), name: 'first', queue: 'alpha', counts: { ...EMPTY, pending: 3 } },
      ],
    });
    const text = await s.ok('status');
    expect(text).toMatch(
      /^QUEUE +PENDING +RUNNING +RETRYING +COMPLETED +FAILED +CANCELLED +OLDEST WAITING\n/,
    );
    expect(text).toMatch(/\nalpha +3 +0 +0 +0 +0 +0 +\d/);
    expect(text).toMatch(/\nbeta +1 +0 +0 +0 +0 +0 +\d/);
    expect(text).toMatch(
      /\n\nBATCH +QUEUE +TOTAL +WAITING +RUNNING +COMPLETED +FAILED +CANCELLED +RATE +ETA\nfirst +alpha +3 +3 +0 +0 +0 +0 +- +-\n$/,
    );
  });

  it('lists jobs in enqueue order with filters, and shows one job in full', async () => {
    const s = sandbox();
    for (const n of [1, 2, 3])
      await s.ok('enqueue', 'alpha', '--payload', JSON.stringify({ n }), '--priority', String(n));
    await s.ok('enqueue', 'beta', '--key', 'only-beta');
    const all = JSON.parse(await s.ok('jobs', '--json')) as Array<Record<string, unknown>>;
    expect(all.map((job) => job.id)).toEqual(['1', '2', '3', '4']);
    for (const field of [
      'id',
      'queue',
      'key',
      'status',
      'priority',
      'payload',
      'attempts',
      'batch',
      'createdAt',
      'updatedAt',
    ]) {
      expect(all[0]).toHaveProperty(field);
    }
    expect((JSON.parse(await s.ok('jobs', '--queue', 'beta', '--json')) as unknown[]).length).toBe(
      1,
    );
    expect(
      (JSON.parse(await s.ok('jobs', '--limit', '2', '--json')) as Array<{ id: string }>).map(
        (job) => job.id,
      ),
    ).toEqual(['1', '2']);
    expect(JSON.parse(await s.ok('jobs', '--status', 'failed', '--json'))).toEqual([]);
    expect(await s.ok('jobs', '--status', 'failed')).toBe('No jobs match.\n');
    const table = (await s.ok('jobs', '--queue', 'alpha')).trimEnd().split('\n');
    expect(table[0]).toMatch(/^ID +QUEUE +STATUS +PRI +ATTEMPTS +KEY +BATCH +CREATED +PROGRESS$/);
    expect(table.slice(1).map((line) => line.trim().split(/ +/).slice(0, 6))).toEqual([
      ['1', 'alpha', 'pending', '1', '0/5', '-'],
      ['2', 'alpha', 'pending', '2', '0/5', '-'],
      ['3', 'alpha', 'pending', '3', '0/5', '-'],
    ]);
    const shown = await s.ok('show', '4');
    expect(shown).toMatch(
      /^job 4\n {2}queue: {6}beta\n {2}status: {5}pending\n {2}key: {8}only-beta\n/,
    );
    expect(shown).toContain('payload:\n  {}\nresult:\n  -\nattempt history:\n  (none yet)\n');
    expect(JSON.parse(await s.ok('show', '1', '--json'))).toMatchObject({
      job: { id: '1', payload: { n: 1 } },
      attempts: [],
    });

    expectOneLineError(
      await s.run('jobs', '--status', 'bogus'),
      2,
      /--status must be one of pending, running, retrying, completed, failed, cancelled; got "bogus"/,
    );
    expectOneLineError(
      await s.run('jobs', '--limit', 'lots'),
      2,
      /--limit must be a whole number from 1 and up/,
    );
    expectOneLineError(await s.run('show', '99'), 1, /^holdfast: No job with id 99$/);
    expectOneLineError(await s.run('show', 'abc'), 2, /<id> must be a job id/);
    expectOneLineError(
      await s.run('jobs', '--batch', 'nope'),
      1,
      /No batch with id or name "nope"/,
    );
    expect(await s.counts()).toMatchObject({ all: 4, pending: 4 });
  });
});

describe('holdfast cancel, retry and purge', () => {
  it('cancels and retries one job or a batch, and purges finished jobs', async () => {
    const s = sandbox();
    for (const key of ['a', 'b', 'c']) await s.ok('enqueue', 'q', '--key', key, '--batch', 'run1');
    expect(await s.ok('cancel', '1')).toBe('cancelled job 1\n');
    expect(await s.ok('cancel', '1')).toBe('job 1 is cancelled; nothing to cancel\n');
    expect(await s.ok('retry', '1')).toBe('retried job 1: it is pending again\n');
    expect(await s.ok('retry', '1')).toBe(
      'job 1 not retried: job is pending; only failed or cancelled jobs can be retried\n',
    );
    expect(await s.ok('cancel', '--batch', 'run1')).toBe('cancelled 3 jobs of batch run1\n');
    expect(await s.counts()).toMatchObject({ all: 3, cancelled: 3 });

    expectOneLineError(await s.run('cancel', '99'), 1, /^holdfast: No job with id 99$/);
    expectOneLineError(await s.run('retry', '99'), 1, /^holdfast: No job with id 99$/);
    expectOneLineError(
      await s.run('cancel', '--batch', 'nope'),
      1,
      /No batch with id or name "nope"/,
    );
    expectOneLineError(await s.run('cancel'), 2, /give a job <id>, or --batch <batch>/);
    expectOneLineError(
      await s.run('retry', '1', '--failed'),
      2,
      /give a job <id> or --failed, not both/,
    );
    expectOneLineError(
      await s.run('purge', '--older-than', 'ages'),
      2,
      /--older-than .*duration like 500ms/,
    );
    expectOneLineError(
      await s.run('purge', '--older-than', '1d', '--status', 'pending'),
      2,
      /--status must be one of completed, failed, cancelled; got "pending"/,
    );
    expect(await s.counts()).toMatchObject({ all: 3, cancelled: 3 });

    expect(await s.ok('purge', '--older-than', '1d')).toBe(
      'purged 0 finished jobs older than 1d0h\n',
    );
    expect(await s.ok('purge', '--older-than', '0s', '--status', 'cancelled')).toBe(
      'purged 3 cancelled jobs older than 0ms\n',
    );
    expect(await s.counts()).toEqual({ all: 0 });
  });

  it('retries every failed job of a queue', async () => {
    const s = sandbox();
    writeFileSync(
      join(s.dir, 'fail.mjs'),
      `export default async () => { throw new Error('upstream 500'); };\n`,
    );
    await s.ok('enqueue', 'flaky', '--max-attempts', '1');
    await s.ok('enqueue', 'flaky', '--max-attempts', '1');
    const work = await s.run('work', 'flaky', '--handler', 'fail.mjs', '--exit-when-empty');
    expect(work.code, work.stderr).toBe(0);
    expect(work.stdout).toMatch(/^failed +#1 flaky after attempt 1: (Error: )?upstream 500$/m);
    expect(await s.counts()).toMatchObject({ all: 2, failed: 2 });
    expect(await s.ok('retry', '--failed', '--queue', 'flaky')).toBe('retried 2 failed jobs\n');
    expect(await s.counts()).toMatchObject({ all: 2, pending: 2 });
    expect(await s.ok('retry', '--failed')).toBe('retried 0 failed jobs\n');
  });
});

describe('holdfast demo', () => {
  it('enqueues a batch, works it with progress lines and a retry, and prints the status', async () => {
    const s = sandbox();
    const started = Date.now();
    const out = await s.ok('demo');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(out).toMatch(
      /^enqueued 5 jobs \(0 already there\) in batch "demo [\d-]+ [\d:]+" on sqlite:/,
    );
    expect(out).toMatch(/^ {2}#1 front\.jpg +\[####\] write$/m);
    expect(out).toMatch(/^retrying +#3 demo garden\.jpg attempt 1 of 5 failed: .*503/m);
    expect(out.match(/^completed /gm)).toHaveLength(5);
    expect(out).toMatch(/\ndemo +0 +0 +0 +5 +0 +0 +-\n/);
    expect(await s.counts()).toMatchObject({ all: 5, completed: 5 });
  });
});
