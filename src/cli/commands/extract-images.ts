/**
 * `holdfast extract-images --csv properties.csv`: the flagship pipeline in one command. Reads the
 * CSV (all or nothing), enqueues one job per address into the `images` queue (keyed by address,
 * batch named after the file, so a re-run finds its jobs and resumes), works them with the
 * built-in extractor, mirrors the state into work_items.json, and ends with a summary.
 * Exit 0 when every property completed, 1 when any failed, 130 when stopped by Ctrl-C.
 */
import { basename, extname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { JobQueue } from '../../client.js';
import { createDefaultExtractor } from '../../integrations/images/default-extractor.js';
import { createImageExtractionHandler } from '../../integrations/images/handler.js';
import { readPropertiesCsv } from '../../integrations/images/properties-csv.js';
import type { ExtractionResult } from '../../integrations/images/types.js';
import { ProgressTracker } from '../../progress/progress-tracker.js';
import { TerminalProgress } from '../../progress/terminal-progress.js';
import type { Job } from '../../types.js';
import { parseByteSize } from '../../util/duration.js';
import { optionalArg, parseDurationArg, parseIntegerArg, parseNameArg } from '../args.js';
import { withQueue } from '../context.js';
import { UsageError } from '../errors.js';
import { note, print } from '../output.js';

export const IMAGES_QUEUE = 'images';

interface Flags {
  csv?: string;
  out: string;
  workItems: string;
  concurrency: string;
  addressColumn: string;
  sourceColumns?: string;
  batch?: string;
  maxAttempts?: string;
  backoffMin?: string;
  lease?: string;
  maxImageSize: string;
  allowPrivateHosts?: boolean;
  progress: boolean;
}

export function registerExtractImages(program: Command): void {
  program
    .command('extract-images')
    .description(
      'download the listing photos of every address in a CSV, resumably (the images queue)',
    )
    .option(
      '--csv <file>',
      'properties CSV: an address column and one or more source columns (required)',
    )
    .option(
      '--out <dir>',
      'folder for <address-slug>/<sha256>.<ext> and manifest.json',
      'data/property_images',
    )
    .option(
      '--work-items <file>',
      'work_items.json to mirror the progress into',
      'data/work_items.json',
    )
    .option('--concurrency <n>', 'properties worked at once', '4')
    .option('--address-column <name>', 'column holding the address', 'address')
    .option(
      '--source-columns <a,b>',
      'columns holding sources (default: columns named like url, source, listing, image, photo)',
    )
    .option('--batch <name>', 'batch name (default: the CSV file name without extension)')
    .option('--max-attempts <n>', 'attempts per property before it fails (default: 5)')
    .option('--backoff-min <duration>', 'first retry delay (default: 1s)')
    .option(
      '--lease <duration>',
      "lease of a running property; a killed run's properties resume after it (default: 30s)",
    )
    .option(
      '--max-image-size <size>',
      'largest image or page; larger downloads are cut off',
      '20mb',
    )
    .option(
      '--allow-private-hosts',
      'allow private, loopback and link-local addresses (local mirrors, tests)',
    )
    .option('--no-progress', 'plain lines instead of a progress bar, even on a terminal')
    .action(async (flags: Flags, command: Command) => {
      if (flags.csv === undefined)
        throw new UsageError(
          'extract-images needs --csv <file>, e.g. --csv examples/properties.csv',
        );
      const concurrency = parseIntegerArg(flags.concurrency, '--concurrency', 1, 1_000);
      const maxAttempts = optionalArg(
        flags.maxAttempts,
        parseIntegerArg,
        '--max-attempts',
        1,
        1_000,
      );
      const backoffMin = optionalArg(flags.backoffMin, parseDurationArg, '--backoff-min');
      const lease = optionalArg(flags.lease, parseDurationArg, '--lease', 100);
      // A ValidationError exits 2 like a UsageError; its message names the flag.
      const maxImageSize = parseByteSize(flags.maxImageSize, '--max-image-size');
      const batch = parseNameArg(flags.batch ?? basename(flags.csv, extname(flags.csv)), '--batch');
      const sourceColumns = flags.sourceColumns
        ?.split(',')
        .map((name) => name.trim())
        .filter(Boolean);
      const csv = await readPropertiesCsv(flags.csv, {
        addressColumn: flags.addressColumn,
        ...(sourceColumns ? { sourceColumns } : {}),
      });
      const outDir = resolve(flags.out);
      const workItems = resolve(flags.workItems);

      await withQueue(command, async (queue) => {
        const enqueued = await queue.enqueueStream(
          (async function* () {
            for (const property of csv.properties) {
              yield {
                queue: IMAGES_QUEUE,
                payload: property,
                options: {
                  key: property.address,
                  batch,
                  maxAttempts,
                },
              };
            }
          })(),
        );
        const merged =
          csv.merged > 0
            ? `, ${csv.merged} duplicate row${csv.merged === 1 ? '' : 's'} merged`
            : '';
        print(
          `enqueued ${enqueued.inserted} properties (${enqueued.existing} already there${merged}) in batch "${batch}" on ${queue.store.description}`,
        );

        const tracker = new ProgressTracker(queue, {
          path: workItems,
          queues: [IMAGES_QUEUE],
          batch,
          describeResult: (job) => describeResult(job.result),
          warn: note,
        }).start();
        const thisRun = { saved: 0, duplicates: 0 };
        queue.on('completed', (_job, result) => {
          thisRun.saved += (result as ExtractionResult).saved ?? 0;
          thisRun.duplicates += (result as ExtractionResult).duplicates ?? 0;
        });
        let interrupted = false;
        const onSignal = () => (interrupted = true);
        process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
        const display = new TerminalProgress(queue, {
          batch,
          tty: flags.progress && process.stdout.isTTY === true,
          describe: (result) => summaryOf(result as ExtractionResult),
        }).start();

        const extractor = createDefaultExtractor({
          outDir,
          maxImageSize,
          allowPrivateHosts: flags.allowPrivateHosts === true,
        });
        const executor = queue.work(IMAGES_QUEUE, createImageExtractionHandler(extractor), {
          concurrency,
          // Undefined takes the worker's default; the longest delay defaults to at least min.
          lease,
          backoff: { min: backoffMin },
          exitWhenEmpty: true,
          handleSignals: true,
        });
        try {
          await executor.done;
        } finally {
          process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
          await display.stop();
          await tracker.stop();
        }
        const failed = await printSummary(queue, batch, thisRun, {
          outDir,
          workItems,
          interrupted,
        });
        process.exitCode = interrupted ? 130 : failed > 0 ? 1 : 0;
      });
    });
}

function summaryOf(result: ExtractionResult): string {
  const parts = [`${result.images.length} image${result.images.length === 1 ? '' : 's'}`];
  if (result.saved !== result.images.length) parts.push(`${result.saved} new`);
  if (result.duplicates > 0)
    parts.push(`${result.duplicates} duplicate${result.duplicates === 1 ? '' : 's'}`);
  if (result.failedSources.length > 0)
    parts.push(
      `${result.failedSources.length} failed source${result.failedSources.length === 1 ? '' : 's'}`,
    );
  return parts.join(', ');
}

/** What work_items.json keeps of a result: counts and the folder, not every image. */
function describeResult(result: unknown): unknown {
  const r = result as ExtractionResult | null;
  if (!r || !Array.isArray(r.images)) return undefined;
  return { folder: r.folder, images: r.images.length, failedSources: r.failedSources };
}

async function printSummary(
  queue: JobQueue,
  batch: string,
  thisRun: { saved: number; duplicates: number },
  where: { outDir: string; workItems: string; interrupted: boolean },
): Promise<number> {
  const latest = new Map<string, Job>();
  for await (const job of queue.listAll({ queue: IMAGES_QUEUE, batch }))
    latest.set(job.key ?? job.id, job);
  const jobs = [...latest.values()];
  const by = (status: string) => jobs.filter((job) => job.status === status);
  const completed = by('completed');
  const failed = by('failed');
  const waiting = jobs.length - completed.length - failed.length - by('cancelled').length;
  const stored = completed.reduce(
    (sum, job) => sum + ((job.result as ExtractionResult | null)?.images?.length ?? 0),
    0,
  );
  print('');
  print(
    `${completed.length} of ${jobs.length} properties completed, ${failed.length} failed${waiting > 0 ? `, ${waiting} not finished` : ''}`,
  );
  print(
    `images: ${thisRun.saved} saved by this run, ${thisRun.duplicates} duplicates skipped, ${stored} stored in total`,
  );
  if (failed.length > 0) {
    print('failed:');
    for (const job of failed)
      print(
        `  ${job.key}: ${(job.lastError ?? 'unknown error').replace(/^\w*Error: /, '').replace(/\s*\n\s*/g, ' ')}`,
      );
    print(
      `  (retry them with: holdfast retry --failed --batch ${JSON.stringify(batch)}, then run this command again)`,
    );
  }
  if (where.interrupted && waiting > 0)
    print(`stopped: run the same command again to resume the ${waiting} unfinished properties`);
  print(`images and manifests: ${where.outDir}/<address-slug>/`);
  print(`work items:           ${where.workItems}`);
  print(
    `queue:                ${queue.store.description} (holdfast status, holdfast jobs --batch ${JSON.stringify(batch)})`,
  );
  return failed.length;
}
