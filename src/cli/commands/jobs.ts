/**
 * `holdfast jobs`: jobs in enqueue order, filtered by queue, status and batch.
 */
import type { Command } from 'commander';
import type { ListOptions } from '../../client.js';
import type { Job } from '../../types.js';
import { parseIntegerArg, parseNameArg, parseStatusArg } from '../args.js';
import { batchNames, withQueue } from '../context.js';
import {
  formatProgress,
  formatTime,
  jobJson,
  print,
  printJson,
  table,
  truncate,
} from '../output.js';

interface JobsFlags {
  queue?: string;
  status?: string;
  batch?: string;
  limit: string;
  json?: boolean;
}

export function registerJobs(program: Command): void {
  program
    .command('jobs')
    .description('list jobs in enqueue order')
    .option('--queue <queue>', 'only this queue')
    .option(
      '--status <status>',
      'only this status: pending, running, retrying, completed, failed or cancelled',
    )
    .option('--batch <batch>', 'only this batch (name or id)')
    .option('--limit <n>', 'at most this many jobs', '100')
    .option('--json', 'print one JSON array of jobs')
    .action(async (flags: JobsFlags, command: Command) => {
      const filter: Omit<ListOptions, 'after' | 'limit'> = {};
      if (flags.queue !== undefined) filter.queue = parseNameArg(flags.queue, '--queue');
      if (flags.status !== undefined) filter.status = parseStatusArg(flags.status, '--status');
      if (flags.batch !== undefined) filter.batch = parseNameArg(flags.batch, '--batch');
      const limit = parseIntegerArg(flags.limit, '--limit', 1);
      await withQueue(command, async (queue) => {
        const jobs: Job[] = [];
        // Pages of at most 1,000 (the client's cap) until the limit: memory follows --limit, not the queue.
        for await (const job of queue.listAll({ ...filter, limit: Math.min(limit, 1_000) })) {
          jobs.push(job);
          if (jobs.length >= limit) break;
        }
        const names = await batchNames(queue, jobs);
        if (flags.json) printJson(jobs.map((job) => jobJson(job, names)));
        else if (jobs.length === 0) print('No jobs match.');
        else print(jobsText(jobs, names));
      });
    });
}

function jobsText(jobs: Job[], names: Map<string, string>): string {
  return table(jobs, [
    { header: 'ID', value: (job) => job.id, align: 'right' },
    { header: 'QUEUE', value: (job) => job.queue },
    { header: 'STATUS', value: (job) => job.status },
    { header: 'PRI', value: (job) => job.priority },
    { header: 'ATTEMPTS', value: (job) => `${job.attempts}/${job.maxAttempts}`, align: 'right' },
    { header: 'KEY', value: (job) => truncate(job.key ?? '-', 32) },
    {
      header: 'BATCH',
      value: (job) => (job.batchId === null ? '-' : (names.get(job.batchId) ?? job.batchId)),
    },
    { header: 'CREATED', value: (job) => formatTime(job.createdAt) },
    { header: 'PROGRESS', value: (job) => truncate(formatProgress(job.progress), 40) },
  ]);
}
