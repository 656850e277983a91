// The public API of holdfast: re-exports only.
export {
  JobQueue,
  type OpenOptions,
  type EnqueueOptions,
  type EnqueueItem,
  type ListOptions,
} from './client.js';
export { JobExecutor, type WorkOptions } from './worker/job-executor.js';
export {
  HoldfastError,
  ValidationError,
  PayloadError,
  JobNotFoundError,
  StoreError,
  PermanentError,
  RetryAfter,
  JobTimeoutError,
  JobCancelledError,
  LeaseLostError,
  ShutdownError,
} from './errors.js';
export type { QueueEvents } from './events.js';
export { DEFAULTS, type BackoffOptions } from './options.js';
export { JOB_STATUSES, TERMINAL_STATUSES, isTerminal } from './states.js';
export { backoffDelay } from './worker/retry-policy.js';
export { parseDuration, formatDuration } from './util/duration.js';
export type { Store, StoreCapabilities } from './store/store.js';
export type { QueueConfig, RateLimit, Schedule, CatchUp } from './store/flow.js';
export { parseRate, type QueueLimits, type RateInput } from './flow/limits.js';
export { Schedules, type ScheduleOptions, type ScheduleInfo } from './flow/schedules.js';
export { Scheduler, type SchedulerOptions } from './maintenance/scheduler.js';
export { ProgressTracker, type ProgressTrackerOptions } from './progress/progress-tracker.js';
export * from './integrations/images/index.js';
export type {
  Attempt,
  AttemptOutcome,
  Batch,
  BatchStats,
  EnqueueResult,
  Job,
  JobContext,
  JobHandler,
  JobInfo,
  JobLogger,
  JobProgress,
  JobStatus,
  Json,
  Page,
  QueueStats,
  Stats,
  StatusCounts,
} from './types.js';
export {
  createDashboardHandler,
  startDashboard,
  type DashboardHandler,
  type DashboardOptions,
  type DashboardServer,
  type DashboardServerOptions,
} from './dashboard/index.js';
export {
  createMetrics,
  startMetricsServer,
  type HoldfastMetrics,
  type MetricsOptions,
} from './metrics/index.js';
