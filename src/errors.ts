/** Base of every error holdfast throws on purpose. */
export class HoldfastError extends Error {
  override name = 'HoldfastError';
}

/** A bad argument or option from the caller: the message names it and says what is expected. */
export class ValidationError extends HoldfastError {
  override name = 'ValidationError';
}

/** A payload or result that does not survive JSON, or is too large. */
export class PayloadError extends ValidationError {
  override name = 'PayloadError';
}

/** No job with that id. */
export class JobNotFoundError extends HoldfastError {
  override name = 'JobNotFoundError';
  constructor(readonly jobId: string) {
    super(`No job with id ${jobId}`);
  }
}

/** The store cannot be opened or used: not a database, read-only, written by a newer holdfast. */
export class StoreError extends HoldfastError {
  override name = 'StoreError';
}

/**
 * Thrown by a handler: fail the job now, without further attempts
 * (an HTTP 404, a malformed input: retrying cannot help).
 */
export class PermanentError extends Error {
  override name = 'PermanentError';
}

/**
 * Thrown by a handler: retry at a given time, e.g. from an HTTP `Retry-After`.
 * Pass a delay in ms or a Date. Counts as an attempt.
 */
export class RetryAfter extends Error {
  override name = 'RetryAfter';
  readonly delayMs: number;
  constructor(delayOrDate: number | Date, message?: string) {
    const delayMs =
      delayOrDate instanceof Date ? delayOrDate.getTime() - Date.now() : Number(delayOrDate);
    super(message ?? `retry after ${Math.max(0, Math.round(delayMs))}ms`);
    this.delayMs = Number.isFinite(delayMs) ? Math.max(0, delayMs) : 0;
  }
}

/** The attempt ran past its job's timeout. */
export class JobTimeoutError extends HoldfastError {
  override name = 'JobTimeoutError';
  constructor(readonly timeoutMs: number) {
    super(`Job timed out after ${timeoutMs}ms`);
  }
}

/** The job was cancelled while it ran. */
export class JobCancelledError extends HoldfastError {
  override name = 'JobCancelledError';
  constructor() {
    super('Job was cancelled');
  }
}

/** The worker lost the job's lease (it stalled past it, and another worker may have the job). */
export class LeaseLostError extends HoldfastError {
  override name = 'LeaseLostError';
  constructor() {
    super('Lease lost: this attempt no longer owns the job');
  }
}

/** The worker is shutting down and hands the job back. */
export class ShutdownError extends HoldfastError {
  override name = 'ShutdownError';
  constructor() {
    super('Worker is shutting down');
  }
}
