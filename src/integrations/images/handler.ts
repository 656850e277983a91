/**
 * createImageExtractionHandler: turns any ImageExtractor into a queue handler. The job's payload
 * is the property; its result is the ExtractionResult (JSON). Errors steer the worker:
 * - a transient SourceError (timeout, reset, 5xx, 429) is rethrown as an ordinary error, so the
 *   job retries with backoff, or as RetryAfter when the server said when to come back;
 * - a permanent SourceError (every source 404, not an image, too large) becomes PermanentError;
 * - an abort (timeout, cancel, shutdown) is rethrown untouched for the worker to handle;
 * - anything else is rethrown: retried, up to the job's maxAttempts.
 */
import { PermanentError, RetryAfter } from '../../errors.js';
import type { JobHandler, JobInfo } from '../../types.js';
import { SourceError } from './source-error.js';
import type { ExtractionResult, ImageExtractor, Property } from './types.js';

export interface ImageHandlerOptions {
  /** Turns a job payload into a Property; the default checks `{ address: string, sources: string[] }`. */
  toProperty?: (payload: unknown, job: JobInfo) => Property;
  /** Marks errors of your own extractor as permanent (fail now) rather than retried. */
  isPermanent?: (error: unknown) => boolean;
}

export function createImageExtractionHandler(
  extractor: ImageExtractor,
  options: ImageHandlerOptions = {},
): JobHandler<Property, ExtractionResult> {
  const toProperty = options.toProperty ?? payloadToProperty;
  return async (job, ctx) => {
    const property = toProperty(job.payload, job);
    try {
      return await extractor.extract(property, {
        signal: ctx.signal,
        progress: (current, total, message) => ctx.progress(current, total, message),
      });
    } catch (error) {
      if (ctx.signal.aborted && error === ctx.signal.reason) throw error;
      throw toWorkerError(error, options.isPermanent);
    }
  };
}

export function toWorkerError(error: unknown, isPermanent?: (error: unknown) => boolean): unknown {
  if (error instanceof PermanentError || error instanceof RetryAfter) return error;
  if (error instanceof SourceError) {
    if (!error.transient) return new PermanentError(error.message);
    return error.retryAfterMs !== undefined
      ? new RetryAfter(error.retryAfterMs, error.message)
      : new Error(error.message);
  }
  if (isPermanent?.(error)) return new PermanentError((error as Error)?.message ?? String(error));
  return error;
}

/** The default payload check: a bad payload can never succeed, so it fails at once. */
export function payloadToProperty(payload: unknown): Property {
  const record = payload as Partial<Property> | null;
  if (
    !record ||
    typeof record !== 'object' ||
    typeof record.address !== 'string' ||
    record.address.trim() === ''
  ) {
    throw new PermanentError(
      'Expected the job payload to be an object with a non-empty `address` string',
    );
  }
  if (
    !Array.isArray(record.sources) ||
    !record.sources.every((source) => typeof source === 'string')
  ) {
    throw new PermanentError(
      `Expected \`sources\` of ${JSON.stringify(record.address)} to be an array of strings`,
    );
  }
  return record as Property;
}
