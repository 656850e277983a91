/**
 * Property-based tests (fast-check) of the inputs users hand holdfast: payloads, durations and
 * CSV files. The property each time: never a crash (only a ValidationError, with a message), never
 * a partial enqueue, and whatever is accepted comes back exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JobQueue } from '../../src/client.js';
import { ValidationError } from '../../src/errors.js';
import { importCsv } from '../../src/cli/csv-import.js';
import { openCsv } from '../../src/csv/records.js';
import { parseDuration } from '../../src/util/duration.js';
import { toJsonText } from '../../src/util/json.js';
import { openTestQueue } from '../helpers/queue.js';

const RUNS = { numRuns: 300 };

/** Values users might pass as payloads: JSON, plus everything JSON cannot hold. */
const payload = fc.oneof(
  fc.jsonValue(),
  fc.anything({
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    withBoxedValues: true,
    withNullPrototype: true,
    withObjectString: true,
  }),
  fc.constantFrom(undefined, NaN, Infinity, -Infinity, () => 1, Symbol('s'), -0),
);

describe('payload validation (src/util/json.ts)', () => {
  it('either round-trips exactly through JSON, or is refused with a ValidationError naming the path', () => {
    fc.assert(
      fc.property(payload, (value) => {
        let text: string;
        try {
          text = toJsonText(value, 'payload', 1024 * 1024);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
          expect((error as Error).message).toMatch(/^payload/);
          return;
        }
        // -0 becomes 0 in JSON; everything else accepted must come back equal.
        expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(value)));
        expect(JSON.stringify(JSON.parse(text))).toBe(text);
      }),
      RUNS,
    );
  });

  it('enqueueMany with one bad payload among good ones enqueues nothing', async () => {
    const { queue } = await openTestQueue();
    let rejected = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { minLength: 1, maxLength: 8 }), async (payloads) => {
        const before = (await queue.stats()).queues.p?.counts.pending ?? 0;
        try {
          const results = await queue.enqueueMany(
            payloads.map((p) => ({ queue: 'p', payload: p })),
          );
          expect(results).toHaveLength(payloads.length);
          for (const [index, result] of results.entries()) {
            expect(result.job.payload).toEqual(JSON.parse(JSON.stringify(payloads[index])));
          }
        } catch (error) {
          rejected++;
          expect(error).toBeInstanceOf(ValidationError);
          expect((await queue.stats()).queues.p?.counts.pending ?? 0).toBe(before);
        }
      }),
      { numRuns: 150 },
    );
    expect(rejected).toBeGreaterThan(0);
  }, 60_000);
});

describe('duration parsing (src/util/duration.ts)', () => {
  it('any string or number: a non-negative safe integer of ms, or a ValidationError quoting the input', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.double(),
          fc.integer(),
          fc.stringMatching(/^\s*\d{1,20}(\.\d{0,5})?\s*(ms|s|m|h|d|MS|S|x)?\s*$/),
        ),
        (input) => {
          try {
            const ms = parseDuration(input, '--lease');
            expect(Number.isSafeInteger(ms)).toBe(true);
            expect(ms).toBeGreaterThanOrEqual(0);
          } catch (error) {
            expect(error).toBeInstanceOf(ValidationError);
            expect((error as Error).message).toMatch(/^Expected --lease to be/);
          }
        },
      ),
      RUNS,
    );
  });

  it('a well-formed duration parses to its exact value', () => {
    const units = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom(...(Object.keys(units) as Array<keyof typeof units>)),
        (n, unit) => {
          expect(parseDuration(`${n}${unit}`)).toBe(n * units[unit]);
          expect(parseDuration(` ${n} ${unit.toUpperCase()} `)).toBe(n * units[unit]);
        },
      ),
      RUNS,
    );
  });
});

/** A field as a spreadsheet would write it: quoted when it holds a comma, quote or line break. */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) || value === '' ? `"${value.replace(/"/g, '""')}"` : value;
}

async function* chunked(text: string, size: number): AsyncGenerator<string> {
  for (let at = 0; at < text.length; at += size) yield text.slice(at, at + size);
}

/** Imports `text`, fed in chunks of `chunkSize`, into queue and batch `name`, refusing invalid rows. */
async function importText(queue: JobQueue, text: string, chunkSize: number, name: string) {
  const table = await openCsv(chunked(text, chunkSize));
  return importCsv(queue, table, {
    queue: name,
    file: 'in.csv',
    batch: name,
    skipInvalid: false,
    options: {},
  });
}

const cell = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 6 }),
  fc.constantFrom('=1+1', '@x', '"', ',', '\n', '\r\n', ' '),
);

describe('CSV import (src/csv, src/cli/csv-import.ts)', () => {
  it('a well-formed table in chunks of any size imports to exactly its rows', async () => {
    const { queue } = await openTestQueue();
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }).chain((width) =>
          fc.tuple(
            fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), {
              minLength: width,
              maxLength: width,
            }),
            fc.array(fc.array(cell, { minLength: width, maxLength: width }), { maxLength: 12 }),
            fc.integer({ min: 1, max: 50 }),
          ),
        ),
        async ([header, rows, chunkSize]) => {
          // A row of only empty cells in a one-column table is a blank line, which CSV skips.
          const kept = rows.filter((row) => header.length > 1 || row[0] !== '');
          const text =
            [header, ...kept].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
          const name = `c${round++}`;
          const report = await importText(queue, text, chunkSize, name);
          expect(report.problemCount).toBe(0);
          const stored = [];
          for await (const job of queue.listAll({ queue: name })) stored.push(job.payload);
          // Identical rows share a key (a hash of the row): the second is the same job.
          const expected = [
            ...new Map(
              kept.map((row) => [
                JSON.stringify(row),
                Object.fromEntries(header.map((h, i) => [h, row[i]])),
              ]),
            ).values(),
          ];
          expect(stored).toEqual(expected);
        },
      ),
      { numRuns: 120 },
    );
  }, 90_000);

  it('arbitrary text: a clear ValidationError with nothing enqueued, or exactly the rows it parsed', async () => {
    const { queue } = await openTestQueue();
    let round = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.string({ unit: 'binary', maxLength: 80 }),
          fc.array(cell, { maxLength: 30 }).map((cells) => cells.join(',')),
        ),
        async (text) => {
          const name = `g${round++}`;
          try {
            const report = await importText(queue, text, 7, name);
            expect(report.problemCount).toBe(0);
          } catch (error) {
            refused++;
            expect(error).toBeInstanceOf(ValidationError);
            expect((error as Error).message.length).toBeGreaterThan(10);
            expect((await queue.stats()).queues[name]).toBeUndefined();
          }
        },
      ),
      { numRuns: 200 },
    );
    expect(refused).toBeGreaterThan(0);
  }, 90_000);
});
