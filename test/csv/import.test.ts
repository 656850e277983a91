import { createWriteStream, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, expect, it } from 'vitest';
import { JobQueue } from '../../src/client.js';
import { CsvImportError, importCsv, openCsvForImport } from '../../src/cli/csv-import.js';
import type { CsvTable } from '../../src/csv/records.js';
import { tempDir } from '../helpers/tmp.js';

async function openQueue(dir: string): Promise<JobQueue> {
  const queue = await JobQueue.open({ db: join(dir, 'queue.db') });
  return queue;
}

async function total(queue: JobQueue): Promise<number> {
  const stats = await queue.stats();
  return Object.values(stats.queues).reduce(
    (sum, { counts }) => sum + Object.values(counts).reduce((a, b) => a + b, 0),
    0,
  );
}

async function load(
  queue: JobQueue,
  file: string,
  extra: { keyColumn?: string; skipInvalid?: boolean } = {},
) {
  const table = await openCsvForImport(file, extra.keyColumn);
  return importCsv(queue, table, {
    queue: 'props',
    file,
    batch: 'props.csv',
    skipInvalid: extra.skipInvalid ?? false,
    options: {},
    ...(extra.keyColumn ? { keyColumn: extra.keyColumn } : {}),
  });
}

describe('CSV import', () => {
  it('enqueues one job per row keyed by header, and a re-run of the same file enqueues nothing new', async () => {
    const dir = tempDir();
    const file = join(dir, 'props.csv');
    writeFileSync(
      file,
      '\uFEFFaddress,city\r\n"1 Main St, Apt 2",Springfield\r\n"2 ""Elm"" Rd",Shelbyville\r\n\r\n',
    );
    const queue = await openQueue(dir);
    try {
      expect(await load(queue, file, { keyColumn: 'address' })).toMatchObject({
        inserted: 2,
        existing: 0,
        skipped: 0,
      });
      const { items } = await queue.list({ queue: 'props' });
      expect(items.map((job) => [job.key, job.payload])).toEqual([
        ['1 Main St, Apt 2', { address: '1 Main St, Apt 2', city: 'Springfield' }],
        ['2 "Elm" Rd', { address: '2 "Elm" Rd', city: 'Shelbyville' }],
      ]);
      expect(await load(queue, file, { keyColumn: 'address' })).toMatchObject({
        inserted: 0,
        existing: 2,
      });
      // Without a key column the key is a hash of the row: a re-run still finds its jobs.
      const unkeyed = join(dir, 'unkeyed.csv');
      writeFileSync(unkeyed, 'a,b\n1,2\n3,4\n');
      expect(await load(queue, unkeyed)).toMatchObject({ inserted: 2, existing: 0 });
      expect(await load(queue, unkeyed)).toMatchObject({ inserted: 0, existing: 2 });
      expect(await total(queue)).toBe(4);
    } finally {
      await queue.close();
    }
  });

  it('enqueues nothing from a malformed file and lists every problem with its line', async () => {
    const dir = tempDir();
    const file = join(dir, 'bad.csv');
    writeFileSync(file, 'address,city\nA,1\nB\n,3\nC,4\n"D,5\nE,6\n');
    const queue = await openQueue(dir);
    try {
      const error = await load(queue, file, { keyColumn: 'address' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(CsvImportError);
      const message = (error as Error).message;
      expect(message).toContain('3 invalid rows; nothing was enqueued');
      expect(message).toContain('line 3: expected 2 fields (as in the header), got 1');
      expect(message).toContain('line 4: empty key in column "address"');
      expect(message).toContain(
        'line 6: unclosed quote: the quoted field opened on line 6 never ends',
      );
      expect(await total(queue)).toBe(0);

      const report = await load(queue, file, { keyColumn: 'address', skipInvalid: true });
      expect(report).toMatchObject({ inserted: 2, existing: 0, skipped: 3 });
      expect((await queue.list({})).items.map((job) => job.key)).toEqual(['A', 'C']);
    } finally {
      await queue.close();
    }
  });

  it('caps the listed problems at 20 and counts the rest', async () => {
    const dir = tempDir();
    const file = join(dir, 'ragged.csv');
    writeFileSync(file, 'a,b\n' + Array.from({ length: 25 }, (_, i) => `${i}\n`).join(''));
    const queue = await openQueue(dir);
    try {
      const message = (await load(queue, file).catch((e: Error) => e)) as Error;
      expect(message.message.split('\n').filter((line) => line.startsWith('  line '))).toHaveLength(
        20,
      );
      expect(message.message).toContain('... and 5 more');
      expect(await total(queue)).toBe(0);
    } finally {
      await queue.close();
    }
  });

  it('refuses a key column the header does not have, before touching the queue', async () => {
    const dir = tempDir();
    const file = join(dir, 'props.csv');
    writeFileSync(file, 'address,city\nA,1\n');
    await expect(openCsvForImport(file, 'id')).rejects.toThrow(
      '--key-column: ' + file + ' has no column "id"; its columns are "address", "city"',
    );
    await expect(openCsvForImport(join(dir, 'missing.csv'), undefined)).rejects.toThrow(
      /--csv: cannot read .*missing\.csv/,
    );
  });

  it('imports 100,000 fat rows (50 MB) in one transaction with flat memory', async () => {
    const dir = tempDir();
    const file = join(dir, 'big.csv');
    const rows = 100_000;
    const out = createWriteStream(file);
    out.write('id,address,notes\n');
    const filler = 'x'.repeat(450);
    for (let i = 0; i < rows; i++) {
      if (!out.write(`${i},"${i} Long Street, Unit ${i % 97}","${filler}"\n`))
        await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    // ~50 MB of CSV: holding every row (strings, objects and JSON payloads) would take well over 150 MB of heap.
    const queue = await openQueue(dir);
    try {
      const table = await openCsvForImport(file, 'id');
      let peak = 0;
      let seen = 0;
      const sampled: CsvTable = {
        header: table.header,
        records: (async function* () {
          for await (const item of table.records) {
            if (++seen % 2_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
            yield item;
          }
        })(),
      };
      global.gc?.();
      const before = process.memoryUsage().heapUsed;
      const report = await importCsv(queue, sampled, {
        queue: 'big',
        file,
        batch: 'big.csv',
        keyColumn: 'id',
        skipInvalid: false,
        options: {},
      });
      expect(report).toMatchObject({ inserted: rows, existing: 0 });
      expect(seen).toBe(rows);
      const growthMb = (peak - before) / 2 ** 20;
      console.log(
        `CSV import of ${rows} rows: heap ${Math.round(before / 2 ** 20)} MB before, peak ${Math.round(peak / 2 ** 20)} MB`,
      );
      expect(growthMb).toBeLessThan(100);
      expect((await queue.stats()).queues.big!.counts.pending).toBe(rows);
    } finally {
      await queue.close();
    }
    // The store writes 1,000-6,000 rows/s on this shared, busy 2-core machine: give the rows room.
    // Fewer, fatter rows (not 200,000 thin ones) keep the file at ~50 MB, so holding it would still show.
  }, 240_000);
});
