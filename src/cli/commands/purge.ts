/**
 * `holdfast purge --older-than d [--status s]`: delete finished jobs and their history.
 */
import type { Command } from 'commander';
import { TERMINAL_STATUSES } from '../../states.js';
import { formatDuration } from '../../util/duration.js';
import { optionalArg, parseDurationArg, parseStatusArg } from '../args.js';
import { withQueue } from '../context.js';
import { UsageError } from '../errors.js';
import { print } from '../output.js';

export function registerPurge(program: Command): void {
  program
    .command('purge')
    .description('delete finished jobs (completed, failed, cancelled) and their attempt history')
    .option(
      '--older-than <duration>',
      'only jobs that finished longer ago than this, e.g. 7d (required)',
    )
    .option('--status <status>', 'only this finished status: completed, failed or cancelled')
    .action(async (flags: { olderThan?: string; status?: string }, command: Command) => {
      if (flags.olderThan === undefined)
        throw new UsageError(
          'purge needs --older-than <duration>, e.g. --older-than 7d (0s purges every finished job)',
        );
      const olderThan = parseDurationArg(flags.olderThan, '--older-than');
      const status = optionalArg(flags.status, parseStatusArg, '--status', TERMINAL_STATUSES);
      await withQueue(command, async (queue) => {
        const count = await queue.purge({ olderThan, ...(status ? { status } : {}) });
        print(
          `purged ${count} ${status ?? 'finished'} job${count === 1 ? '' : 's'} older than ${formatDuration(olderThan)}`,
        );
      });
    });
}
