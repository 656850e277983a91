import { JOB_STATUSES, emptyCounts } from '../states.js';
import type { BatchRow, QueueStatusCount } from '../store/store.js';
import type { BatchStats, Stats, StatusCounts } from '../types.js';

/**
 * Rate: jobs finished per second since the batch's first start (until its last finish once it is
 * done). ETA: the jobs left at that rate. Both null until there is something to measure.
 */
export function withRateAndEta(row: BatchRow, now: number): BatchStats {
  const counts: StatusCounts = { ...emptyCounts(), ...row.counts };
  const total = JOB_STATUSES.reduce((sum, status) => sum + counts[status], 0);
  const finished = counts.completed + counts.failed + counts.cancelled;
  const remaining = total - finished;
  const end = remaining === 0 && row.lastFinishedAt ? row.lastFinishedAt.getTime() : now;
  const elapsedS = row.firstStartedAt ? (end - row.firstStartedAt.getTime()) / 1000 : 0;
  const ratePerSecond = elapsedS > 0 && finished > 0 ? finished / elapsedS : null;
  const etaMs =
    remaining === 0 ? 0 : ratePerSecond ? Math.round((remaining / ratePerSecond) * 1000) : null;
  return { ...row, counts, total, ratePerSecond, etaMs };
}

/** Counts per queue with every status present, and how long each queue's oldest ready job has waited. */
export function queueStatsFrom(
  rows: QueueStatusCount[],
  oldest: Array<{ queue: string; since: Date }>,
  now: Date,
): Stats['queues'] {
  const queues: Stats['queues'] = {};
  for (const row of rows) {
    queues[row.queue] ??= { counts: emptyCounts(), oldestWaitingMs: null };
    queues[row.queue]!.counts[row.status] += row.count;
  }
  for (const { queue, since } of oldest) {
    queues[queue] ??= { counts: emptyCounts(), oldestWaitingMs: null };
    queues[queue]!.oldestWaitingMs = Math.max(0, now.getTime() - since.getTime());
  }
  return queues;
}
