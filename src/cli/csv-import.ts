/**
 * CSV import for `enqueue --csv`: one job per row, all or nothing, in bounded memory.
 *
 * Rows stream from the file into `JobQueue.enqueueStream`, which writes them in one
 * transaction. Problems are collected while streaming; if any remain (and --skip-invalid was not
 * given) the stream throws at its end, so the transaction rolls back and nothing is enqueued,
 * and the error lists every problem with its line.
 */
import { createHash } from 'node:crypto';
import type { EnqueueItem, EnqueueOptions, JobQueue } from '../client.js';
import { ValidationError } from '../errors.js';
import { CsvFileError, openCsvArg, type CsvTable } from '../csv/records.js';
import { hasControlCharacter } from './args.js';
import { note, print } from './output.js';

/** Problems listed in full; the rest are counted. 20 fit on a screen next to the summary. */
const MAX_LISTED = 20;

export interface CsvProblem {
  line: number;
  message: string;
}

export interface CsvImportReport {
  inserted: number;
  existing: number;
  skipped: number;
  /** The first problems (at most 20); `problemCount` has them all. */
  problems: CsvProblem[];
  problemCount: number;
  batch: string;
}

export interface CsvImportOptions {
  queue: string;
  file: string;
  batch: string;
  /** Column holding each row's idempotency key. Without it the key is a hash of the row. */
  keyColumn?: string;
  /** Column holding each row's concurrency key (flow control); an empty cell means none. */
  concurrencyKeyColumn?: string;
  skipInvalid: boolean;
  /** Applied to every row (priority, delay, ...). */
  options: EnqueueOptions;
}

/** The file's problems, as one error: exit 2, nothing enqueued. */
export class CsvImportError extends ValidationError {
  override name = 'CsvImportError';
  constructor(file: string, problems: CsvProblem[], count: number) {
    super(
      `${file}: ${count} invalid row${count === 1 ? '' : 's'}; nothing was enqueued (fix them, or pass --skip-invalid to skip them):\n` +
        listProblems(problems, count),
    );
  }
}

/** Opens the file and checks its header (and key column) before any queue is touched. */
export async function openCsvForImport(
  file: string,
  keyColumn: string | undefined,
  concurrencyKeyColumn?: string,
): Promise<CsvTable> {
  const table = await openCsvArg(file, '--csv');
  if (keyColumn !== undefined && !table.header.includes(keyColumn)) {
    await table.records.return(undefined);
    throw new CsvFileError(
      `--key-column: ${file} has no column ${JSON.stringify(keyColumn)}; its columns are ${table.header.map((name) => JSON.stringify(name)).join(', ')}`,
    );
  }
  if (concurrencyKeyColumn !== undefined && !table.header.includes(concurrencyKeyColumn)) {
    await table.records.return(undefined);
    throw new CsvFileError(
      `--concurrency-key-column: ${file} has no column ${JSON.stringify(concurrencyKeyColumn)}; its columns are ${table.header.map((name) => JSON.stringify(name)).join(', ')}`,
    );
  }
  return table;
}

export async function importCsv(
  queue: JobQueue,
  table: CsvTable,
  options: CsvImportOptions,
): Promise<CsvImportReport> {
  const problems: CsvProblem[] = [];
  let problemCount = 0;
  const jobOptions: EnqueueOptions = { ...options.options, batch: options.batch };
  const problem = (line: number, message: string): void => {
    problemCount++;
    if (problems.length < MAX_LISTED) problems.push({ line, message });
  };

  async function* items(): AsyncGenerator<EnqueueItem> {
    for await (const item of table.records) {
      if (item.error !== undefined) {
        problem(item.line, item.error);
        continue;
      }
      const key =
        options.keyColumn === undefined ? rowHash(item.record) : item.record[options.keyColumn]!;
      if (key.trim() === '') {
        problem(item.line, `empty key in column ${JSON.stringify(options.keyColumn)}`);
        continue;
      }
      if (key.length > 200 || hasControlCharacter(key)) {
        problem(
          item.line,
          `key in column ${JSON.stringify(options.keyColumn)} must be at most 200 characters without line breaks or control characters, got ${JSON.stringify(key.length > 60 ? `${key.slice(0, 60)}...` : key)}`,
        );
        continue;
      }
      const enqueueItem: EnqueueItem = {
        queue: options.queue,
        payload: item.record,
        options: { ...jobOptions, key },
      };
      const concurrencyKey =
        options.concurrencyKeyColumn === undefined
          ? ''
          : item.record[options.concurrencyKeyColumn]!.trim();
      if (concurrencyKey !== '') enqueueItem.options!.concurrencyKey = concurrencyKey;
      try {
        // Checked here, per row, so that one bad row is reported with its line (and can be skipped)
        // instead of aborting the whole import from inside the store's transaction.
        queue.toNewJob(enqueueItem.queue, enqueueItem.payload, enqueueItem.options!);
      } catch (error) {
        if (!(error instanceof ValidationError)) throw error;
        problem(item.line, error.message);
        continue;
      }
      // Once the import is doomed, keep reading only to report every problem.
      if (problemCount === 0 || options.skipInvalid) yield enqueueItem;
    }
    if (problemCount > 0 && !options.skipInvalid)
      throw new CsvImportError(options.file, problems, problemCount);
  }

  const { inserted, existing } = await queue.enqueueStream(items());
  return {
    inserted,
    existing,
    skipped: problemCount,
    problems,
    problemCount,
    batch: options.batch,
  };
}

/** Without a key column, a row's key is a hash of its content: re-running the same file finds its jobs. */
function rowHash(record: Record<string, string>): string {
  return `row:${createHash('sha256').update(JSON.stringify(record)).digest('hex').slice(0, 32)}`;
}

export function printImportReport(report: CsvImportReport, batch: string): void {
  if (report.problemCount > 0) {
    note(
      `holdfast: skipped ${report.problemCount} invalid row${report.problemCount === 1 ? '' : 's'}:`,
    );
    note(listProblems(report.problems, report.problemCount));
  }
  const jobs = report.inserted === 1 ? 'job' : 'jobs';
  print(`enqueued ${report.inserted} ${jobs} (${report.existing} already there) in batch ${batch}`);
}

function listProblems(problems: CsvProblem[], count: number): string {
  const lines = problems.map(({ line, message }) => `  line ${line}: ${message}`);
  if (count > problems.length) lines.push(`  ... and ${count - problems.length} more`);
  return lines.join('\n');
}
