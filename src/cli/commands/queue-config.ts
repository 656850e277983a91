/**
 * `holdfast queue config <queue> [--per-key-concurrency n] [--rate N/duration] [--per-key-rate N/duration]`:
 * stores the queue's limits (every worker obeys them); without flags, prints them.
 */
import type { Command } from 'commander';
import { formatRate, parseRate, type QueueLimits } from '../../flow/limits.js';
import type { QueueConfig } from '../../store/store.js';
import { parseIntegerArg, parseNameArg } from '../args.js';
import { withQueue } from '../context.js';
import { print, printJson } from '../output.js';

interface ConfigFlags {
  perKeyConcurrency?: string;
  rate?: string;
  perKeyRate?: string;
  json?: boolean;
}

const NONE = 'none';

function rateArg(value: string, flag: string): string | null {
  if (value === NONE) return null;
  // Checked here so the error names the flag (its ValidationError exits 2); the client parses it.
  parseRate(value, flag);
  return value;
}

export function registerQueueConfig(program: Command): void {
  const queue = program.command('queue').description('queue settings: `queue config <queue>`');
  queue
    .command('config')
    .description("set or show a queue's limits (stored in the database; every worker obeys them)")
    .argument('<queue>', 'queue name')
    .option(
      '--per-key-concurrency <n>',
      'jobs of one concurrency key running at once, across all workers (none clears)',
    )
    .option(
      '--rate <N/duration>',
      'job starts per interval for the whole queue, e.g. 10/1s (none clears)',
    )
    .option(
      '--per-key-rate <N/duration>',
      'job starts per interval per concurrency key, e.g. 2/1s (none clears)',
    )
    .option('--json', 'print the settings as JSON')
    .action(async (name: string, flags: ConfigFlags, command: Command) => {
      const queueName = parseNameArg(name, '<queue>');
      const limits: QueueLimits = {};
      if (flags.perKeyConcurrency !== undefined) {
        limits.perKeyConcurrency =
          flags.perKeyConcurrency === NONE
            ? null
            : parseIntegerArg(flags.perKeyConcurrency, '--per-key-concurrency', 1, 100_000);
      }
      if (flags.rate !== undefined) limits.rate = rateArg(flags.rate, '--rate');
      if (flags.perKeyRate !== undefined)
        limits.perKeyRate = rateArg(flags.perKeyRate, '--per-key-rate');
      await withQueue(command, async (jobs) => {
        const config =
          Object.keys(limits).length === 0
            ? await jobs.queueConfig(queueName)
            : await jobs.configureQueue(queueName, limits);
        if (flags.json) printJson(config);
        else print(configText(config));
      });
    });
}

export function configText(config: QueueConfig): string {
  return [
    `queue:               ${config.queue}`,
    `paused:              ${config.paused ? 'yes' : 'no'}`,
    `per-key concurrency: ${config.perKeyConcurrency ?? '-'}`,
    `rate:                ${formatRate(config.rate)}`,
    `per-key rate:        ${formatRate(config.perKeyRate)}`,
  ].join('\n');
}
