/**
 * Prometheus metrics of one JobQueue, on a Registry of their own (never prom-client's global
 * one, so an application's own metrics and ours never collide).
 *
 * Two sources:
 * - the store, read at scrape time (jobs by queue and status, oldest waiting age): the same for
 *   every process that scrapes it, so scrape one dashboard or one worker for these;
 * - this process's queue events (finished, durations, waits, retries, rescues, active jobs):
 *   each worker process counts its own, so scrape every worker (`holdfast work --metrics-port`).
 *
 * Labels are only `queue`, `status` and `outcome`, whose values are small fixed sets (queue names
 * are chosen by the application): never a job id, key, address, URL or worker id, so the number
 * of series does not grow with the number of jobs.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { throttledClaims } from '../store/flow.js';
import type { JobQueue } from '../client.js';
import type { QueueEvents } from '../events.js';
import { JOB_STATUSES } from '../states.js';
import type { QueueStats } from '../types.js';

export interface MetricsOptions {
  /** Add prom-client's default process metrics (CPU, memory, event loop lag, GC). Default true. */
  defaultMetrics?: boolean;
  /**
   * Store-backed gauges are read at most this often; a scrape within it reuses the last read,
   * so several scrapers (or a scrape and its `up` check) cost one query. Default 1 s.
   */
  storeReadIntervalMs?: number;
}

export interface HoldfastMetrics {
  readonly registry: Registry;
  /** The text exposition of every metric (what /metrics answers). */
  text(): Promise<string>;
  readonly contentType: string;
  /** Stops listening to the queue's events. */
  close(): void;
}

// Jobs run from milliseconds (a cache warm-up) to many minutes (a listing with 200 photos).
const DURATION_BUCKETS = [
  0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600,
];
// Waiting: near zero on an idle queue, hours in a backlog.
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 14_400];

export function createMetrics(queue: JobQueue, options: MetricsOptions = {}): HoldfastMetrics {
  const registry = new Registry();
  const registers = [registry];
  const readIntervalMs = options.storeReadIntervalMs ?? 1_000;

  let lastRead: { at: number; stats: Promise<Record<string, QueueStats> | null> } | null = null;
  const readStats = (): Promise<Record<string, QueueStats> | null> => {
    if (!lastRead || Date.now() - lastRead.at >= readIntervalMs) {
      lastRead = { at: Date.now(), stats: queue.queueStats().catch(() => null) };
    }
    return lastRead.stats;
  };

  new Gauge({
    name: 'holdfast_store_up',
    help: 'Whether the last read of the store for these metrics succeeded (1) or not (0).',
    registers,
    async collect() {
      this.set((await readStats()) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'holdfast_jobs',
    help: 'Jobs in the store by queue and status, read at scrape time.',
    labelNames: ['queue', 'status'],
    registers,
    async collect() {
      const stats = await readStats();
      this.reset();
      for (const [name, queueStats] of Object.entries(stats ?? {})) {
        for (const status of JOB_STATUSES)
          this.set({ queue: name, status }, queueStats.counts[status]);
      }
    },
  });
  new Gauge({
    name: 'holdfast_oldest_waiting_seconds',
    help: 'Age of the oldest job that is due and waiting to start, per queue (0 when none waits).',
    labelNames: ['queue'],
    registers,
    async collect() {
      const stats = await readStats();
      this.reset();
      for (const [name, queueStats] of Object.entries(stats ?? {}))
        this.set({ queue: name }, (queueStats.oldestWaitingMs ?? 0) / 1000);
    },
  });

  new Counter({
    name: 'holdfast_throttled_claims_total',
    help: 'Claims by workers in this process that left a ready job waiting because of a queue limit (per-key concurrency or rate), by queue.',
    labelNames: ['queue'],
    registers,
    // The process-wide tally only grows, so it is the counter's value as it stands.
    collect() {
      this.reset();
      for (const [queue, count] of throttledClaims) this.inc({ queue }, count);
    },
  });

  const enqueued = new Counter({
    name: 'holdfast_jobs_enqueued_total',
    help: 'Jobs enqueued by this process.',
    labelNames: ['queue'],
    registers,
  });
  const finished = new Counter({
    name: 'holdfast_jobs_finished_total',
    help: 'Jobs that reached a final state in this process, by queue and outcome (completed, failed, cancelled).',
    labelNames: ['queue', 'outcome'],
    registers,
  });
  const retries = new Counter({
    name: 'holdfast_job_retries_total',
    help: 'Failed attempts that were scheduled to retry.',
    labelNames: ['queue'],
    registers,
  });
  const rescues = new Counter({
    name: 'holdfast_lease_rescues_total',
    help: "Running jobs whose worker's lease expired and that the rescuer took back, by outcome (retrying, failed).",
    labelNames: ['queue', 'outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'holdfast_job_duration_seconds',
    help: 'Duration of one attempt in this process, by queue and outcome (completed, failed, retrying).',
    labelNames: ['queue', 'outcome'],
    buckets: DURATION_BUCKETS,
    registers,
  });
  const wait = new Histogram({
    name: 'holdfast_job_wait_seconds',
    help: 'Time from when a job was due until an attempt started, by queue.',
    labelNames: ['queue'],
    buckets: WAIT_BUCKETS,
    registers,
  });
  const active = new Gauge({
    name: 'holdfast_worker_active_jobs',
    help: 'Jobs running in this worker process now, by queue.',
    labelNames: ['queue'],
    registers,
  });

  // Start times of this process's running attempts, for the durations the events do not carry
  // (retrying) and for the active gauge. Entries leave when their attempt ends.
  const running = new Map<string, { queue: string; startedAt: number }>();
  const end = (jobId: string): number | null => {
    const entry = running.get(jobId);
    if (!entry) return null;
    running.delete(jobId);
    active.dec({ queue: entry.queue });
    return (Date.now() - entry.startedAt) / 1000;
  };

  const listeners: { [K in keyof QueueEvents]?: (...args: QueueEvents[K]) => void } = {
    enqueued: (job) => enqueued.inc({ queue: job.queue }),
    started: (job) => {
      if (running.has(job.id)) end(job.id);
      running.set(job.id, { queue: job.queue, startedAt: Date.now() });
      active.inc({ queue: job.queue });
      wait.observe({ queue: job.queue }, Math.max(0, Date.now() - job.runAt.getTime()) / 1000);
    },
    completed: (job, _result, durationMs) => {
      end(job.id);
      finished.inc({ queue: job.queue, outcome: 'completed' });
      duration.observe({ queue: job.queue, outcome: 'completed' }, durationMs / 1000);
    },
    failed: (job, _error, durationMs) => {
      end(job.id);
      finished.inc({ queue: job.queue, outcome: 'failed' });
      duration.observe({ queue: job.queue, outcome: 'failed' }, durationMs / 1000);
    },
    retrying: (job) => {
      const seconds = end(job.id);
      retries.inc({ queue: job.queue });
      if (seconds !== null) duration.observe({ queue: job.queue, outcome: 'retrying' }, seconds);
    },
    cancelled: (job) => {
      end(job.id);
      finished.inc({ queue: job.queue, outcome: 'cancelled' });
    },
    'lease-lost': (job) => {
      end(job.id);
    },
    rescued: (_jobId, queueName, status) => rescues.inc({ queue: queueName, outcome: status }),
  };
  for (const [event, listener] of Object.entries(listeners))
    queue.on(event as keyof QueueEvents, listener as never);

  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });

  return {
    registry,
    contentType: registry.contentType,
    text: () => registry.metrics(),
    close() {
      for (const [event, listener] of Object.entries(listeners))
        queue.off(event as keyof QueueEvents, listener as never);
      running.clear();
    },
  };
}
