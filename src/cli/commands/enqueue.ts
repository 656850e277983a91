/**
 * `holdfast enqueue <queue>`: one job from --payload, or one job per row of a --csv file.
 */
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { EnqueueOptions } from '../../client.js';
import {
  optionalArg,
  parseDurationArg,
  parseIntegerArg,
  parseJsonArg,
  parseNameArg,
} from '../args.js';
import { withQueue } from '../context.js';
import { importCsv, openCsvForImport, printImportReport } from '../csv-import.js';
import { UsageError } from '../errors.js';
import { print, printJson } from '../output.js';

interface EnqueueFlags {
  payload?: string;
  key?: string;
  priority?: string;
  delay?: string;
  maxAttempts?: string;
  timeout?: string;
  batch?: string;
  csv?: string;
  keyColumn?: string;
  concurrencyKey?: string;
  concurrencyKeyColumn?: string;
  skipInvalid?: boolean;
  json?: boolean;
}

export function registerEnqueue(program: Command): void {
  program
    .command('enqueue')
    .description('add a job (prints its id), or one job per row of a CSV file')
    .argument('<queue>', 'queue name')
    .option('--payload <json>', 'job payload as JSON, or - to read it from stdin (default: {})')
    .option(
      '--key <key>',
      'idempotency key: while a job with this key is active, it is returned instead',
    )
    .option('--priority <n>', 'higher runs first (default: 0)')
    .option('--delay <duration>', 'run after this long, e.g. 30s')
    .option('--max-attempts <n>', 'attempts before the job fails (default: 5)')
    .option('--timeout <duration>', 'time limit of one attempt, e.g. 5m')
    .option('--batch <name>', 'batch name (default with --csv: the file name)')
    .option('--csv <file>', 'enqueue one job per row; the payload is the row keyed by header')
    .option(
      '--key-column <column>',
      "with --csv: the column holding each row's key (default: a hash of the row)",
    )
    .option(
      '--concurrency-key <key>',
      "flow-control key (e.g. the source host): the queue's per-key limits count jobs by it",
    )
    .option(
      '--concurrency-key-column <column>',
      "with --csv: the column holding each row's concurrency key",
    )
    .option('--skip-invalid', 'with --csv: skip malformed rows instead of enqueueing nothing')
    .option('--json', 'print the result as JSON')
    .action(async (queueName: string, flags: EnqueueFlags, command: Command) => {
      const queue = parseNameArg(queueName, '<queue>');
      const options = jobOptions(flags);
      if (flags.csv === undefined) {
        if (flags.keyColumn !== undefined || flags.skipInvalid) {
          throw new UsageError('--key-column and --skip-invalid only apply with --csv <file>');
        }
        if (flags.concurrencyKeyColumn !== undefined) {
          throw new UsageError(
            '--concurrency-key-column only applies with --csv <file>; for one job use --concurrency-key',
          );
        }
        const payload =
          flags.payload === undefined
            ? {}
            : parseJsonArg(flags.payload === '-' ? await readStdin() : flags.payload, '--payload');
        await withQueue(command, async (jobs) => {
          const { job, existing } = await jobs.enqueue(queue, payload, options);
          if (flags.json) printJson({ id: job.id, existing, status: job.status });
          else if (existing) {
            print(job.id);
            process.stderr.write(
              `holdfast: job ${job.id} with key ${JSON.stringify(job.key)} already exists (${job.status}); returned it, enqueued nothing\n`,
            );
          } else print(job.id);
        });
        return;
      }
      if (flags.payload !== undefined)
        throw new UsageError(
          'give --payload or --csv, not both (with --csv each row is a payload)',
        );
      if (flags.key !== undefined)
        throw new UsageError('--key names one job; with --csv use --key-column <column>');
      const keyColumn = optionalArg(flags.keyColumn, parseNameArg, '--key-column');
      if (flags.concurrencyKey !== undefined)
        throw new UsageError(
          '--concurrency-key names one job; with --csv use --concurrency-key-column <column>',
        );
      const concurrencyKeyColumn = optionalArg(
        flags.concurrencyKeyColumn,
        parseNameArg,
        '--concurrency-key-column',
      );
      const batch = options.batch ?? basename(flags.csv);
      const table = await openCsvForImport(flags.csv, keyColumn, concurrencyKeyColumn);
      await withQueue(command, async (jobs) => {
        const report = await importCsv(jobs, table, {
          queue,
          file: flags.csv!,
          batch,
          skipInvalid: flags.skipInvalid === true,
          options,
          ...(keyColumn !== undefined ? { keyColumn } : {}),
          ...(concurrencyKeyColumn !== undefined ? { concurrencyKeyColumn } : {}),
        });
        if (flags.json) printJson(report);
        else printImportReport(report, batch);
      });
    });
}

function jobOptions(flags: EnqueueFlags): EnqueueOptions {
  const options: EnqueueOptions = {};
  if (flags.key !== undefined) options.key = parseNameArg(flags.key, '--key');
  if (flags.priority !== undefined)
    options.priority = parseIntegerArg(flags.priority, '--priority', -1_000_000, 1_000_000);
  if (flags.delay !== undefined) options.delay = parseDurationArg(flags.delay, '--delay');
  if (flags.maxAttempts !== undefined)
    options.maxAttempts = parseIntegerArg(flags.maxAttempts, '--max-attempts', 1, 1_000);
  if (flags.timeout !== undefined)
    options.timeout = parseDurationArg(flags.timeout, '--timeout', 1);
  if (flags.batch !== undefined) options.batch = parseNameArg(flags.batch, '--batch');
  if (flags.concurrencyKey !== undefined)
    options.concurrencyKey = parseNameArg(flags.concurrencyKey, '--concurrency-key');
  return options;
}

/** `--payload -`: payloads too large for a command line (Linux caps one argument at 128 KiB). */
async function readStdin(): Promise<string> {
  let text = '';
  process.stdin.setEncoding('utf8');
  for await (const chunk of process.stdin) text += chunk as string;
  return text;
}
