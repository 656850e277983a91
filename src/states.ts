import type { JobStatus, StatusCounts } from './types.js';

export const JOB_STATUSES: readonly JobStatus[] = [
  'pending',
  'running',
  'retrying',
  'completed',
  'failed',
  'cancelled',
];
export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];
export const ACTIVE_STATUSES: readonly JobStatus[] = ['pending', 'running', 'retrying'];

export function isJobStatus(value: unknown): value is JobStatus {
  return typeof value === 'string' && (JOB_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function emptyCounts(): StatusCounts {
  return { pending: 0, running: 0, retrying: 0, completed: 0, failed: 0, cancelled: 0 };
}
