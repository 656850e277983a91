/**
 * Hostile CSV through the real CLI (`holdfast enqueue <queue> --csv`): every file either gives a
 * clear error (exit 2, nothing enqueued) or exactly the right jobs; never a crash, never a
 * partial import. Formula-leading cells are data: kept verbatim in the payload. (holdfast writes
 * no CSV anywhere, so there is no export to neutralise them in.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/index.js';
import { tempDir } from '../helpers/tmp.js';
import { runCsvImport } from './lib/csv-import.js';
import { runHoldfast } from './lib/workers.js';

async function importFile(content: string | Buffer, extra: string[] = []) {
  const dir = tempDir();
  const csv = join(dir, 'in.csv');
  const db = join(dir, 'queue.db');
  writeFileSync(csv, content);
  const result = await runHoldfast(['enqueue', 'q', '--csv', csv, '--db', db, ...extra]);
  const queue = await JobQueue.open({ db });
  try {
    const jobs = [];
    for await (const job of queue.listAll({ queue: 'q' })) jobs.push(job);
    return { ...result, jobs };
  } finally {
    await queue.close();
  }
}

function expectRefused(
  result: { code: number | null; stderr: string; jobs: unknown[] },
  pattern: RegExp,
): void {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(/^holdfast: /);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.jobs).toEqual([]);
}

describe('hostile CSV', () => {
  it('an empty file: clear error, nothing enqueued', async () => {
    expectRefused(await importFile(''), /is empty: expected a header row/);
  });

  it('a header only: no jobs, exit 0', async () => {
    const result = await importFile('address,city\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/enqueued 0 jobs/);
    expect(result.jobs).toEqual([]);
  });

  it('invalid UTF-8 (a Latin-1 byte in row 3): clear error naming the file, nothing enqueued', async () => {
    const bytes = Buffer.concat([
      Buffer.from('address,city\n1 Main St,Phoenix\n2 Caf'),
      Buffer.from([0xe9]),
      Buffer.from(' St,Tempe\n'),
    ]);
    expectRefused(await importFile(bytes), /is not valid UTF-8/);
  });

  it('valid multi-byte UTF-8 and a BOM pass through unchanged', async () => {
    const result = await importFile('\uFEFFaddress,city\n2 Café Straße 東京,Zürich\n');
    expect(result.code, result.stderr).toBe(0);
    expect(result.jobs.map((job) => job.payload)).toEqual([
      { address: '2 Café Straße 東京', city: 'Zürich' },
    ]);
  });

  it('a 2 MB field: the row is refused with its line (over the 1 MiB payload limit), nothing enqueued', async () => {
    const result = await importFile(
      `address,notes\n1 Main St,short\n2 Main St,"${'x'.repeat(2 * 1024 * 1024)}"\n`,
    );
    expectRefused(result, /line 3: .*over the limit/);
  }, 60_000);

  it('ragged rows: every bad line listed, nothing enqueued; --skip-invalid keeps exactly the good rows', async () => {
    const content = 'a,b,c\n1,2,3\n1,2\n1,2,3,4\n"unclosed,2,3\n';
    expectRefused(
      await importFile(content),
      /line 3: expected 3 fields[\s\S]*line 4: expected 3 fields/,
    );
    const skipped = await importFile(content, ['--skip-invalid']);
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.jobs.map((job) => job.payload)).toEqual([{ a: '1', b: '2', c: '3' }]);
  });

  it('formula-leading cells (=, +, -, @) are kept verbatim as data', async () => {
    const cells = [
      '=1+1',
      '+SUM(A1)',
      '-2+3',
      '@cmd',
      '=HYPERLINK("http://x")',
      "=cmd|' /C calc'!A0",
    ];
    const content = `f\n${cells.map((cell) => `"${cell.replace(/"/g, '""')}"`).join('\n')}\n`;
    const result = await importFile(content);
    expect(result.code, result.stderr).toBe(0);
    expect(result.jobs.map((job) => (job.payload as { f: string }).f)).toEqual(cells);
  });

  it('5,000 rows stream in bounded memory (peak RSS reported; the runner does 1,000,000)', async () => {
    const report = await runCsvImport(tempDir(), 5_000);
    process.stdout.write(`csv import: ${JSON.stringify(report)}\n`);
    expect(report.jobs).toBe(5_000);
    expect(report.peakRssMb).toBeLessThan(250);
  }, 120_000);
});
