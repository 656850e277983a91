/**
 * `holdfast retry <id>` or `holdfast retry --failed [--queue q] [--batch b]`.
 */
import type { Command } from 'commander';
import { parseNameArg } from '../args.js';
import { withQueue } from '../context.js';
import { UsageError } from '../errors.js';
import { parseJobId } from '../job-id.js';
import { print } from '../output.js';

interface RetryFlags {
  failed?: boolean;
  queue?: string;
  batch?: string;
}

export function registerRetry(program: Command): void {
  program
    .command('retry')
    .description('run a failed or cancelled job again, or every failed job (--failed)')
    .argument('[id]', 'job id')
    .option('--failed', 'retry every failed job (of --queue and/or --batch, else of every queue)')
    .option('--queue <queue>', 'with --failed: only this queue')
    .option('--batch <batch>', 'with --failed: only this batch (name or id)')
    .action(async (idArg: string | undefined, flags: RetryFlags, command: Command) => {
      if (idArg !== undefined && flags.failed)
        throw new UsageError('give a job <id> or --failed, not both');
      if (idArg === undefined && !flags.failed)
        throw new UsageError('give a job <id>, or --failed to retry every failed job');
      if (idArg !== undefined && (flags.queue !== undefined || flags.batch !== undefined)) {
        throw new UsageError('--queue and --batch only apply with --failed');
      }
      if (idArg !== undefined) {
        const id = parseJobId(idArg);
        await withQueue(command, async (queue) => {
          // A missing id throws JobNotFoundError: one line, exit 1.
          const { job, retried, reason } = await queue.retry(id);
          print(
            retried
              ? `retried job ${job.id}: it is ${job.status} again`
              : `job ${job.id} not retried: ${reason}`,
          );
        });
        return;
      }
      const filter = {
        ...(flags.queue !== undefined ? { queue: parseNameArg(flags.queue, '--queue') } : {}),
        ...(flags.batch !== undefined ? { batch: parseNameArg(flags.batch, '--batch') } : {}),
      };
      await withQueue(command, async (queue) => {
        let retried = 0;
        let skipped = 0;
        const scopes =
          filter.queue !== undefined || filter.batch !== undefined
            ? [filter]
            : Object.keys((await queue.stats()).queues).map((name) => ({ queue: name }));
        for (const scope of scopes) {
          const outcome = await queue.retryFailed(scope);
          retried += outcome.retried;
          skipped += outcome.skipped;
        }
        const extra =
          skipped > 0 ? ` (${skipped} skipped: another active job has the same key)` : '';
        print(`retried ${retried} failed job${retried === 1 ? '' : 's'}${extra}`);
      });
    });
}
