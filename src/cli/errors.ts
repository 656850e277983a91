/**
 * How the CLI turns errors into one line and an exit code:
 * 2 for bad arguments or input (nothing was changed), 1 for runtime failures (the store, a
 * missing job or batch, a handler module that throws), 0 otherwise.
 */
import { CommanderError } from 'commander';
import { HoldfastError, ValidationError } from '../errors.js';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** A bad command-line argument; the message names it and says what to give instead. */
export class UsageError extends ValidationError {
  override name = 'UsageError';
}

/** A thing named on the command line (a job id, a batch) that does not exist: exit 1, like a failed lookup. */
export class NotFoundError extends HoldfastError {
  override name = 'NotFoundError';
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (error instanceof NotFoundError) return EXIT_FAILURE;
  // The client reports an unknown batch name as a ValidationError; the CLI treats every
  // "no such thing" alike (exit 1) so scripts can tell a typo in syntax from a missing record.
  if (error instanceof ValidationError) return isMissingBatch(error) ? EXIT_FAILURE : EXIT_USAGE;
  return EXIT_FAILURE;
}

export function isMissingBatch(error: unknown): boolean {
  return error instanceof ValidationError && error.message.startsWith('No batch with id or name');
}

/** The text written to stderr for an error: `holdfast: <message>`, a stack only when HOLDFAST_DEBUG=1. */
export function formatError(error: unknown, debug = process.env.HOLDFAST_DEBUG === '1'): string {
  const err = error instanceof Error ? error : new Error(String(error));
  const expected = err instanceof HoldfastError;
  let text = `holdfast: ${err.message}`;
  if (!expected && !text.includes('\n')) {
    // An error we did not raise on purpose: say what kind it is, since its message may be terse.
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && !err.message.includes(code)) text += ` (${code})`;
  }
  if (debug && err.stack) text += `\n${err.stack}`;
  return `${text}\n`;
}
