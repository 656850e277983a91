import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, sandbox } from './cli.js';

const PROPERTIES =
  '\uFEFFaddress,city,sources\r\n' +
  '"1 Main St, Apt 2",Springfield,https://example.test/1\r\n' +
  '"2 ""Elm"" Rd",Shelbyville,"https://example.test/2\nhttps://example.test/2b"\r\n' +
  '\r\n' +
  '3 Oak Ave,Capital City,\r\n';

describe('holdfast enqueue --csv', () => {
  it('enqueues one job per row, keyed by a column, and a re-run enqueues nothing new', async () => {
    const s = sandbox();
    writeFileSync(join(s.dir, 'properties.csv'), PROPERTIES);
    const enqueue = () =>
      s.ok('enqueue', 'images', '--csv', 'properties.csv', '--key-column', 'address');
    expect(await enqueue()).toBe('enqueued 3 jobs (0 already there) in batch properties.csv\n');
    expect(await enqueue()).toBe('enqueued 0 jobs (3 already there) in batch properties.csv\n');
    const jobs = JSON.parse(await s.ok('jobs', '--batch', 'properties.csv', '--json')) as Array<{
      key: string;
      payload: unknown;
      batch: string;
    }>;
    expect(jobs.map((job) => [job.key, job.batch])).toEqual([
      ['1 Main St, Apt 2', 'properties.csv'],
      ['2 "Elm" Rd', 'properties.csv'],
      ['3 Oak Ave', 'properties.csv'],
    ]);
    expect(jobs[1]!.payload).toEqual({
      address: '2 "Elm" Rd',
      city: 'Shelbyville',
      sources: 'https://example.test/2\nhttps://example.test/2b',
    });
    expect(await s.counts()).toMatchObject({ all: 3, pending: 3 });
  });

  it('refuses a missing key column in one line, exit 2, enqueueing nothing', async () => {
    const s = sandbox();
    await s.ok('enqueue', 'images', '--payload', '{}');
    writeFileSync(join(s.dir, 'properties.csv'), PROPERTIES);
    const result = await s.run(
      'enqueue',
      'images',
      '--csv',
      'properties.csv',
      '--key-column',
      'id',
    );
    expectOneLineError(
      result,
      2,
      /--key-column: properties\.csv has no column "id"; its columns are "address", "city", "sources"$/,
    );
    expectOneLineError(
      await s.run('enqueue', 'images', '--csv', 'nope.csv'),
      2,
      /--csv: cannot read nope\.csv: ENOENT/,
    );
    expect(await s.counts()).toMatchObject({ all: 1 });
  });

  it('reports an unclosed quote and a ragged row with their lines, exit 2, enqueueing nothing', async () => {
    const s = sandbox();
    writeFileSync(join(s.dir, 'broken.csv'), 'address,city\nA,1\nB,2,extra\nC,3\n"D,4\nE,5\n');
    const enqueue = (...more: string[]) =>
      s.run('enqueue', 'images', '--csv', 'broken.csv', '--key-column', 'address', ...more);
    const result = await enqueue();
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      'holdfast: broken.csv: 2 invalid rows; nothing was enqueued (fix them, or pass --skip-invalid to skip them):\n' +
        '  line 3: expected 2 fields (as in the header), got 3\n' +
        '  line 5: unclosed quote: the quoted field opened on line 5 never ends\n',
    );
    expect(await s.counts()).toEqual({ all: 0 });

    const skipped = await enqueue('--skip-invalid');
    expect(skipped.code).toBe(0);
    expect(skipped.stdout).toBe('enqueued 2 jobs (0 already there) in batch broken.csv\n');
    expect(skipped.stderr).toContain(
      'holdfast: skipped 2 invalid rows:\n  line 3: expected 2 fields',
    );
    const keys = (JSON.parse(await s.ok('jobs', '--json')) as Array<{ key: string }>).map(
      (job) => job.key,
    );
    expect(keys).toEqual(['A', 'C']);
  });

  it('refuses an empty key, and --key with --csv', async () => {
    const s = sandbox();
    writeFileSync(join(s.dir, 'keys.csv'), 'address,city\nA,1\n  ,2\n');
    const result = await s.run(
      'enqueue',
      'images',
      '--csv',
      'keys.csv',
      '--key-column',
      'address',
      '--batch',
      'mine',
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('  line 3: empty key in column "address"');
    expectOneLineError(
      await s.run('enqueue', 'images', '--csv', 'keys.csv', '--key', 'k'),
      2,
      /--key names one job; with --csv use --key-column/,
    );
    expect(await s.counts()).toEqual({ all: 0 });
  });
});
