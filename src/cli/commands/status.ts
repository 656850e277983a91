/**
 * `holdfast status`: counts per queue and status, and per batch with rate and ETA.
 */
import type { Command } from 'commander';
import type { Stats } from '../../types.js';
import { formatDuration } from '../../util/duration.js';
import { withQueue } from '../context.js';
import { countsJson, print, printJson, table } from '../output.js';
import type { JobQueue } from '../../client.js';
import { loadFlowSettings } from '../../dashboard/flow-data.js';
import { formatRate } from '../../flow/limits.js';
import { schedulesTable } from './schedule.js';

/** Paused and limited queues, and schedules with their next runs (issue #8); nothing when there are none. */
async function flowText(queue: JobQueue): Promise<string[]> {
  const { queues, schedules } = await loadFlowSettings(queue);
  const parts: string[] = [];
  if (queues.length > 0) {
    parts.push(
      table(queues, [
        { header: 'QUEUE', value: (c) => c.queue },
        { header: 'STATE', value: (c) => (c.paused ? 'PAUSED' : 'active') },
        { header: 'PER-KEY CONCURRENCY', value: (c) => c.perKeyConcurrency ?? '-' },
        { header: 'RATE', value: (c) => formatRate(c.rate) },
        { header: 'PER-KEY RATE', value: (c) => formatRate(c.perKeyRate) },
      ]),
    );
  }
  if (schedules.length > 0) parts.push(schedulesTable(schedules));
  return parts;
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('counts per queue and status, and per batch')
    .option('--json', 'print one JSON object: {"queues": {...}, "batches": [...]}')
    .action(async (flags: { json?: boolean }, command: Command) => {
      await withQueue(command, async (queue) => {
        const stats = await queue.stats();
        if (flags.json) printJson(statusJson(stats));
        else print([statusText(stats), ...(await flowText(queue))].join('\n\n'));
      });
    });
}

/** The shape the issue fixes: every status key always present, queues sorted by name. */
export function statusJson(stats: Stats): unknown {
  const queues = Object.fromEntries(
    Object.keys(stats.queues)
      .sort()
      .map((name) => [name, countsJson(stats.queues[name]!.counts)]),
  );
  const batches = stats.batches.map((batch) => ({
    id: batch.id,
    name: batch.name,
    queue: batch.queue,
    counts: countsJson(batch.counts),
  }));
  return { queues, batches };
}

export function statusText(stats: Stats): string {
  const names = Object.keys(stats.queues).sort();
  if (names.length === 0) return 'No jobs yet.';
  const queueRows = names.map((name) => ({ name, ...stats.queues[name]! }));
  const parts = [
    table(queueRows, [
      { header: 'QUEUE', value: (row) => row.name },
      { header: 'PENDING', value: (row) => row.counts.pending },
      { header: 'RUNNING', value: (row) => row.counts.running },
      { header: 'RETRYING', value: (row) => row.counts.retrying },
      { header: 'COMPLETED', value: (row) => row.counts.completed },
      { header: 'FAILED', value: (row) => row.counts.failed },
      { header: 'CANCELLED', value: (row) => row.counts.cancelled },
      {
        header: 'OLDEST WAITING',
        value: (row) => (row.oldestWaitingMs === null ? '-' : formatDuration(row.oldestWaitingMs)),
      },
    ]),
  ];
  if (stats.batches.length > 0) {
    parts.push(
      table(stats.batches, [
        { header: 'BATCH', value: (batch) => batch.name },
        { header: 'QUEUE', value: (batch) => batch.queue },
        { header: 'TOTAL', value: (batch) => batch.total },
        { header: 'WAITING', value: (batch) => batch.counts.pending + batch.counts.retrying },
        { header: 'RUNNING', value: (batch) => batch.counts.running },
        { header: 'COMPLETED', value: (batch) => batch.counts.completed },
        { header: 'FAILED', value: (batch) => batch.counts.failed },
        { header: 'CANCELLED', value: (batch) => batch.counts.cancelled },
        {
          header: 'RATE',
          value: (batch) =>
            batch.ratePerSecond === null ? '-' : `${batch.ratePerSecond.toFixed(1)}/s`,
          align: 'right',
        },
        {
          header: 'ETA',
          value: (batch) =>
            batch.etaMs === null ? '-' : batch.etaMs === 0 ? 'done' : formatDuration(batch.etaMs),
        },
      ]),
    );
  }
  return parts.join('\n\n');
}
