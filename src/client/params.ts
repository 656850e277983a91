import { ValidationError } from '../errors.js';
import { assertInteger, assertName, describe, resolveDuration } from '../options.js';
import { JOB_STATUSES, TERMINAL_STATUSES, isJobStatus } from '../states.js';
import type { Job, JobStatus } from '../types.js';
import type { ListJobsParams } from '../store/store.js';
import { assertId } from './ids.js';
import type { ListOptions } from './options.js';

/** Checks `list` options (all but the batch, which needs a lookup) and maps them to the store's. */
export function listParams(options: ListOptions): {
  limit: number;
  params: Omit<ListJobsParams, 'limit'>;
} {
  const limit = options.limit === undefined ? 50 : assertInteger(options.limit, 'limit', 1, 1_000);
  if (options.status !== undefined && !isJobStatus(options.status)) {
    throw new ValidationError(
      `Expected \`status\` to be one of ${JOB_STATUSES.join(', ')}, got ${describe(options.status)}`,
    );
  }
  if (options.order !== undefined && options.order !== 'asc' && options.order !== 'desc') {
    throw new ValidationError(
      `Expected \`order\` to be asc or desc, got ${describe(options.order)}`,
    );
  }
  const params: Omit<ListJobsParams, 'limit'> = { order: options.order ?? 'asc' };
  if (options.queue !== undefined) params.queue = assertName(options.queue, 'queue');
  if (options.status !== undefined) params.status = options.status;
  if (options.key !== undefined) params.key = assertName(options.key, 'key');
  if (options.after !== undefined) params.after = assertId(options.after, 'after');
  return { limit, params };
}

/** Checks `purge` options: how old a finished job must be, and which finished statuses go. */
export function purgeParams(options: { olderThan: number | string; status?: JobStatus }): {
  ageMs: number;
  statuses: JobStatus[];
} {
  const ageMs = resolveDuration(options.olderThan, 'olderThan', 0);
  if (options.status !== undefined && !TERMINAL_STATUSES.includes(options.status)) {
    throw new ValidationError(
      `Expected \`status\` to be a finished status (${TERMINAL_STATUSES.join(', ')}), got ${describe(options.status)}`,
    );
  }
  return { ageMs, statuses: options.status ? [options.status] : [...TERMINAL_STATUSES] };
}

/** What `retry(id)` reports: whether the job was retried, and if not, why. */
export function retryOutcome(
  job: Job,
  outcome: { retried: string[]; skipped: string[] },
): { job: Job; retried: boolean; reason?: string } {
  if (outcome.retried.length > 0) return { job, retried: true };
  const reason =
    outcome.skipped.length > 0
      ? `another active job has key ${JSON.stringify(job.key)}`
      : `job is ${job.status}; only failed or cancelled jobs can be retried`;
  return { job, retried: false, reason };
}
