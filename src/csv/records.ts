/**
 * CSV rows as records keyed by the header row, read from a file as a stream.
 */
import { createReadStream } from 'node:fs';
import { ValidationError } from '../errors.js';
import { parseCsvRows, type CsvRow } from './parse.js';

/** One data row: its fields keyed by header, or why it is unusable. */
export type CsvItem =
  | { line: number; record: Record<string, string>; error?: undefined }
  | { line: number; record: null; error: string };

export interface CsvTable {
  /** Column names, from the first non-blank row. */
  header: string[];
  /** The data rows, read lazily: iterate once. */
  records: AsyncGenerator<CsvItem>;
}

/** A file that cannot be read as CSV at all (no header, a bad header): nothing in it is usable. */
export class CsvFileError extends ValidationError {
  override name = 'CsvFileError';
}

/**
 * Reads the header row, then hands back a generator of the remaining rows as records. A row
 * with more or fewer fields than the header, or one the parser rejected, comes with an `error`.
 */
export async function openCsv(
  chunks: AsyncIterable<string | Buffer>,
  what = 'CSV',
): Promise<CsvTable> {
  const rows = parseCsvRows(chunks);
  const first = await rows.next();
  if (first.done)
    throw new CsvFileError(`${what} is empty: expected a header row naming the columns`);
  const header = checkHeader(first.value, what);
  return { header, records: toRecords(rows, header) };
}

/** Opens a file as a stream of CSV records. Read errors (no such file) surface on first use. */
export function openCsvFile(path: string): Promise<CsvTable> {
  // 64 KiB reads: big enough that a 1,000,000-row file costs few reads, small enough to stay flat in memory.
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  return openCsv(strictUtf8(stream, path), path).catch((error: unknown) => {
    stream.destroy();
    throw error;
  });
}

/** openCsvFile for a file named by `flag`: a read error (no such file) becomes one line naming both. */
export async function openCsvArg(path: string, flag: string): Promise<CsvTable> {
  try {
    return await openCsvFile(path);
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    throw new CsvFileError(`${flag}: cannot read ${path}: ${(error as Error).message}`);
  }
}

/**
 * Decodes UTF-8 strictly. A lenient decoder turns invalid bytes (a file saved as Latin-1 or
 * Windows-1252) into U+FFFD, and the jobs would silently carry altered addresses; instead the
 * whole file is refused, before its import commits, naming the line. The BOM is passed on for
 * the parser to drop.
 */
async function* strictUtf8(chunks: AsyncIterable<Buffer>, path: string): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  let line = 1;
  const refuse = (): never => {
    throw new CsvFileError(
      `${path} is not valid UTF-8 (an invalid byte sequence on or after line ${line}); save the file as UTF-8 and try again`,
    );
  };
  for await (const chunk of chunks) {
    let text = '';
    try {
      text = decoder.decode(chunk, { stream: true });
    } catch {
      refuse();
    }
    for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) line++;
    yield text;
  }
  let rest = '';
  try {
    rest = decoder.decode();
  } catch {
    refuse();
  }
  if (rest) yield rest;
}

function checkHeader(row: CsvRow, what: string): string[] {
  if (row.error) throw new CsvFileError(`${what} line ${row.line}: header row: ${row.error}`);
  const seen = new Set<string>();
  row.fields.forEach((name, index) => {
    if (name.trim() === '') {
      throw new CsvFileError(
        `${what} line ${row.line}: header column ${index + 1} has no name; name every column`,
      );
    }
    if (seen.has(name)) {
      throw new CsvFileError(
        `${what} line ${row.line}: header names column ${JSON.stringify(name)} twice; names must be unique`,
      );
    }
    seen.add(name);
  });
  return row.fields;
}

async function* toRecords(rows: AsyncGenerator<CsvRow>, header: string[]): AsyncGenerator<CsvItem> {
  for await (const row of rows) {
    if (row.error) {
      yield { line: row.line, record: null, error: row.error };
    } else if (row.fields.length !== header.length) {
      yield {
        line: row.line,
        record: null,
        error: `expected ${header.length} fields (as in the header), got ${row.fields.length}`,
      };
    } else {
      // fromEntries defines own properties, so a column named __proto__ stays plain data.
      const record = Object.fromEntries(header.map((name, i) => [name, row.fields[i]!]));
      yield { line: row.line, record };
    }
  }
}
