/**
 * `holdfast cancel <id>` or `holdfast cancel --batch b`.
 */
import type { Command } from 'commander';
import { parseNameArg } from '../args.js';
import { withQueue } from '../context.js';
import { UsageError } from '../errors.js';
import { parseJobId } from '../job-id.js';
import { print } from '../output.js';

export function registerCancel(program: Command): void {
  program
    .command('cancel')
    .description(
      'cancel a job (a running one through its signal), or every unfinished job of a batch',
    )
    .argument('[id]', 'job id')
    .option('--batch <batch>', 'cancel every unfinished job of this batch (name or id)')
    .action(async (idArg: string | undefined, flags: { batch?: string }, command: Command) => {
      if (idArg !== undefined && flags.batch !== undefined)
        throw new UsageError('give a job <id> or --batch, not both');
      if (idArg === undefined && flags.batch === undefined)
        throw new UsageError('give a job <id>, or --batch <batch> to cancel a batch');
      if (idArg !== undefined) {
        const id = parseJobId(idArg);
        await withQueue(command, async (queue) => {
          // A missing id throws JobNotFoundError: one line, exit 1.
          const { job, cancelled, requested } = await queue.cancel(id);
          if (cancelled) print(`cancelled job ${job.id}`);
          else if (requested)
            print(
              `job ${job.id} is running: cancel requested, its worker aborts it at its next heartbeat`,
            );
          else print(`job ${job.id} is ${job.status}; nothing to cancel`);
        });
        return;
      }
      const batch = parseNameArg(flags.batch!, '--batch');
      await withQueue(command, async (queue) => {
        const { cancelled, requested } = await queue.cancelBatch(batch);
        const running =
          requested > 0
            ? `; ${requested} running job${requested === 1 ? '' : 's'} asked to stop`
            : '';
        print(
          `cancelled ${cancelled} job${cancelled === 1 ? '' : 's'} of batch ${batch}${running}`,
        );
      });
    });
}
