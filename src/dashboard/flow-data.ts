/** Flow-control state for the overview (issue #8): queue settings, schedules, per-key saturation. */
import type { JobQueue } from '../client.js';
import type { ScheduleInfo } from '../flow/schedules.js';
import type { QueueConfig } from '../store/store.js';

export interface FlowOverview {
  /** Queues that are paused or have a limit. */
  queues: QueueConfig[];
  schedules: ScheduleInfo[];
  /** Per queue with a per-key limit: running jobs of its busiest keys (at most 10 each). */
  saturation: Array<{
    queue: string;
    limit: number;
    keys: Array<{ key: string; running: number }>;
  }>;
}

export async function loadFlow(queue: JobQueue): Promise<FlowOverview> {
  if (!queue.store.listQueueConfigs || !queue.store.listSchedules)
    return { queues: [], schedules: [], saturation: [] };
  const [configs, schedules] = await Promise.all([queue.queueConfigs(), queue.schedules.list()]);
  const queues = configs.filter(
    (c) => c.paused || c.perKeyConcurrency !== null || c.rate || c.perKeyRate,
  );
  // One grouped count per limited queue over the running jobs only (an index range): cheap.
  const saturation = await Promise.all(
    queues
      .filter((c) => c.perKeyConcurrency !== null)
      .map(async (c) => ({
        queue: c.queue,
        limit: c.perKeyConcurrency!,
        keys: (await queue.runningByKey(c.queue))
          .sort((a, b) => b.running - a.running)
          .slice(0, 10),
      })),
  );
  return { queues, schedules, saturation };
}
