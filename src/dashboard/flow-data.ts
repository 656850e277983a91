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

/** Paused or limited queues and every schedule (also `holdfast status`'s); none on a store without them. */
export async function loadFlowSettings(
  queue: JobQueue,
): Promise<Pick<FlowOverview, 'queues' | 'schedules'>> {
  if (!queue.store.listQueueConfigs || !queue.store.listSchedules)
    return { queues: [], schedules: [] };
  const [configs, schedules] = await Promise.all([queue.queueConfigs(), queue.schedules.list()]);
  const queues = configs.filter(
    (c) => c.paused || c.perKeyConcurrency !== null || c.rate || c.perKeyRate,
  );
  return { queues, schedules };
}

export async function loadFlow(queue: JobQueue): Promise<FlowOverview> {
  const { queues, schedules } = await loadFlowSettings(queue);
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
