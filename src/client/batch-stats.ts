import { JOB_STATUSES, emptyCounts } from '../states.js';
import type { BatchRow } from '../store/store.js';
import type { BatchStats, StatusCounts } from '../types.js';

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
