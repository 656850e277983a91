/**
 * `holdfast show <id>`: one job in full, with every attempt and its error.
 */
import type { Command } from 'commander';
import type { Attempt, Job } from '../../types.js';
import { formatDuration } from '../../util/duration.js';
import { batchNames, withQueue } from '../context.js';
import { parseJobId } from '../job-id.js';
import { formatProgress, formatTime, jobJson, print, printJson, table } from '../output.js';

export function registerShow(program: Command): void {
  program
    .command('show')
    .description('one job: payload, progress, result and every attempt with its error')
    .argument('<id>', 'job id')
    .option('--json', 'print one JSON object: {"job": {...}, "attempts": [...]}')
    .action(async (idArg: string, flags: { json?: boolean }, command: Command) => {
      const id = parseJobId(idArg);
      await withQueue(command, async (queue) => {
        const job = await queue.getOrThrow(id); // a missing id: one line, exit 1
        const [attempts, names] = await Promise.all([queue.attempts(id), batchNames(queue, [job])]);
        if (flags.json) printJson({ job: jobJson(job, names), attempts });
        else print(showText(job, attempts, names.get(job.batchId ?? '') ?? null));
      });
    });
}

function showText(job: Job, attempts: Attempt[], batch: string | null): string {
  const fields: Array<[string, string]> = [
    ['queue', job.queue],
    [
      'status',
      job.status + (job.cancelRequested && job.status === 'running' ? ' (cancel requested)' : ''),
    ],
    ['key', job.key ?? '-'],
    ['batch', job.batchId === null ? '-' : `${batch ?? '?'} (#${job.batchId})`],
    ['priority', String(job.priority)],
    ['attempts', `${job.attempts} of ${job.maxAttempts}`],
    ['timeout', job.timeoutMs === null ? '-' : formatDuration(job.timeoutMs)],
    ['run at', formatTime(job.runAt)],
    ['created', formatTime(job.createdAt)],
    ['started', formatTime(job.startedAt)],
    ['finished', formatTime(job.finishedAt)],
    ['updated', formatTime(job.updatedAt)],
    ['progress', formatProgress(job.progress)],
  ];
  if (job.workerId)
    fields.push(['worker', `${job.workerId} (lease until ${formatTime(job.leaseExpiresAt)})`]);
  if (job.lastError) fields.push(['last error', job.lastError]);
  const lines = [
    `job ${job.id}`,
    ...fields.map(([name, value]) => `  ${`${name}:`.padEnd(12)}${value}`),
  ];
  lines.push('payload:', indent(JSON.stringify(job.payload, null, 2)));
  lines.push('result:', indent(job.result === null ? '-' : JSON.stringify(job.result, null, 2)));
  lines.push('attempt history:');
  if (attempts.length === 0) lines.push('  (none yet)');
  else {
    lines.push(
      indent(
        table(attempts, [
          { header: '#', value: (a) => a.attempt },
          { header: 'STARTED', value: (a) => formatTime(a.startedAt) },
          {
            header: 'TOOK',
            value: (a) =>
              a.finishedAt ? formatDuration(a.finishedAt.getTime() - a.startedAt.getTime()) : '-',
          },
          { header: 'OUTCOME', value: (a) => a.outcome },
          { header: 'WORKER', value: (a) => a.workerId },
          { header: 'ERROR', value: (a) => a.error ?? '' },
        ]),
      ),
    );
  }
  return lines.join('\n');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
