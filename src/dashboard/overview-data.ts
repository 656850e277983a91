/** The overview's numbers, shared by the page and /api/overview: aggregate queries only. */
import type { JobQueue } from '../client.js';
import type { ThroughputBucket } from '../store/store.js';
import type { QueueStats } from '../types.js';
import { loadFlow, type FlowOverview } from './flow-data.js';

/** 60 one-minute buckets: the last hour at a resolution that shows a stall within a minute. */
export const CHART_BUCKET_MS = 60_000;
export const CHART_BUCKETS = 60;

export interface Overview {
  generatedAt: Date;
  queues: Record<string, QueueStats>;
  throughput: { since: Date; bucketMs: number; buckets: ThroughputBucket[] };
  /** Workers that started an attempt in the last hour. */
  workers: Array<{ workerId: string; lastSeen: Date }>;
  /** Paused and limited queues, per-key saturation, schedules. */
  flow: FlowOverview;
}

export async function loadOverview(queue: JobQueue, now = new Date()): Promise<Overview> {
  // Align the window to whole buckets so that a bucket's start maps to one column, whether the
  // store buckets by epoch or from `since`.
  const end = Math.floor(now.getTime() / CHART_BUCKET_MS) * CHART_BUCKET_MS + CHART_BUCKET_MS;
  const since = new Date(end - CHART_BUCKETS * CHART_BUCKET_MS);
  const [queues, buckets, workers, flow] = await Promise.all([
    queue.queueStats(),
    queue.throughput({ since, bucketMs: CHART_BUCKET_MS }),
    queue.workersSeen(new Date(now.getTime() - 3_600_000)),
    loadFlow(queue),
  ]);
  workers.sort((a, b) => b.lastSeen.getTime() - a.lastSeen.getTime());
  return {
    generatedAt: now,
    queues,
    throughput: { since, bucketMs: CHART_BUCKET_MS, buckets },
    workers,
    flow,
  };
}
