import { assertId } from '../client.js';
import { UsageError } from './errors.js';

/** A job id argument: a positive whole number. */
export function parseJobId(value: string, what = '<id>'): string {
  try {
    return assertId(value);
  } catch {
    throw new UsageError(
      `${what} must be a job id (a positive whole number, as printed by enqueue), got ${JSON.stringify(value)}`,
    );
  }
}
