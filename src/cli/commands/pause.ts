/**
 * `holdfast pause <queue>` and `holdfast resume <queue>`: workers everywhere stop (or start
 * again) claiming from the queue within a poll interval; running jobs finish.
 */
import type { Command } from 'commander';
import { parseNameArg } from '../args.js';
import { withQueue } from '../context.js';
import { print, printJson } from '../output.js';

export function registerPause(program: Command): void {
  register(program, true);
}

export function registerResume(program: Command): void {
  register(program, false);
}

function register(program: Command, paused: boolean): void {
  program
    .command(paused ? 'pause' : 'resume')
    .description(
      paused
        ? 'stop claiming jobs from a queue (every worker, within a poll interval); running jobs finish'
        : 'let workers claim from a paused queue again',
    )
    .argument('<queue>', 'queue name')
    .option('--json', 'print the queue settings as JSON')
    .action(async (name: string, flags: { json?: boolean }, command: Command) => {
      const queueName = parseNameArg(name, '<queue>');
      await withQueue(command, async (queue) => {
        const config = paused ? await queue.pause(queueName) : await queue.resume(queueName);
        if (flags.json) printJson(config);
        else
          print(
            `queue ${queueName} ${paused ? 'paused: no new jobs start; running jobs finish' : 'resumed'}`,
          );
      });
    });
}
