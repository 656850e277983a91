/**
 * `holdfast schedule add|list|remove`: cron schedules stored in the database. Any running
 * `holdfast work` (any JobExecutor) enqueues their ticks, one job per tick however many run.
 */
import type { Command } from 'commander';
import type { CatchUp } from '../../store/store.js';
import { parseJsonArg, parseNameArg } from '../args.js';
import { withQueue } from '../context.js';
import { NotFoundError, UsageError } from '../errors.js';
import { formatTime, print, printJson, table } from '../output.js';

interface AddFlags {
  cron: string;
  queue: string;
  payload?: string;
  tz?: string;
  catchUp?: string;
  json?: boolean;
}

export function registerSchedule(program: Command): void {
  const schedule = program.command('schedule').description('cron schedules: add, list, remove');
  schedule
    .command('add')
    .description('add (or replace) a schedule that enqueues one job per cron tick')
    .argument('<name>', 'schedule name')
    .requiredOption(
      '--cron <expr>',
      'cron expression, e.g. "0 3 * * *" (minute hour day month weekday)',
    )
    .requiredOption('--queue <queue>', 'queue the jobs go to')
    .option('--payload <json>', 'job payload as JSON (default: {})')
    .option(
      '--tz <zone>',
      'IANA time zone the expression is read in, e.g. America/Phoenix (default: UTC)',
    )
    .option(
      '--catch-up <policy>',
      'after downtime: none skips missed ticks, latest enqueues the latest one (default: none)',
    )
    .option('--json', 'print the schedule as JSON')
    .action(async (name: string, flags: AddFlags, command: Command) => {
      const scheduleName = parseNameArg(name, '<name>');
      const catchUp = flags.catchUp ?? 'none';
      if (catchUp !== 'none' && catchUp !== 'latest') {
        throw new UsageError(`--catch-up must be none or latest, got ${JSON.stringify(catchUp)}`);
      }
      const payload = flags.payload === undefined ? {} : parseJsonArg(flags.payload, '--payload');
      await withQueue(command, async (queue) => {
        const saved = await queue.schedules.add(scheduleName, {
          cron: flags.cron,
          queue: parseNameArg(flags.queue, '--queue'),
          payload,
          catchUp: catchUp as CatchUp,
          ...(flags.tz !== undefined ? { tz: flags.tz } : {}),
        });
        if (flags.json) printJson(saved);
        else print(`schedule ${saved.name} added; next run ${formatTime(saved.nextRunAt)}`);
      });
    });
  schedule
    .command('list')
    .description('schedules with their next run times')
    .option('--json', 'print the schedules as JSON')
    .action(async (flags: { json?: boolean }, command: Command) => {
      await withQueue(command, async (queue) => {
        const all = await queue.schedules.list();
        if (flags.json) printJson(all);
        else print(all.length === 0 ? 'No schedules.' : schedulesTable(all));
      });
    });
  schedule
    .command('remove')
    .description('remove a schedule (jobs it already enqueued stay)')
    .argument('<name>', 'schedule name')
    .action(async (name: string, _flags: unknown, command: Command) => {
      const scheduleName = parseNameArg(name, '<name>');
      await withQueue(command, async (queue) => {
        if (!(await queue.schedules.remove(scheduleName)))
          throw new NotFoundError(`No schedule named ${JSON.stringify(scheduleName)}`);
        print(`schedule ${scheduleName} removed`);
      });
    });
}

export function schedulesTable(
  all: ReadonlyArray<{
    name: string;
    cron: string;
    tz: string | null;
    queue: string;
    catchUp: string;
    lastTick: Date | null;
    nextRunAt: Date | null;
  }>,
): string {
  return table(all, [
    { header: 'SCHEDULE', value: (s) => s.name },
    { header: 'CRON', value: (s) => s.cron },
    { header: 'TZ', value: (s) => s.tz ?? 'UTC' },
    { header: 'QUEUE', value: (s) => s.queue },
    { header: 'CATCH-UP', value: (s) => s.catchUp },
    { header: 'LAST TICK', value: (s) => (s.lastTick ? formatTime(s.lastTick) : '-') },
    { header: 'NEXT RUN', value: (s) => (s.nextRunAt ? formatTime(s.nextRunAt) : '-') },
  ]);
}
