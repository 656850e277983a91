/**
 * How a source (a listing page or an image URL) failed, and whether trying again could help.
 * The extractor records permanent failures in the manifest and keeps going; a transient one
 * makes the job retry (after `retryAfterMs` when the server said so).
 */
export class SourceError extends Error {
  override name = 'SourceError';
  constructor(
    message: string,
    readonly transient: boolean,
    /** From a 429/503 `Retry-After`, in ms. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export function permanent(message: string): SourceError {
  return new SourceError(message, false);
}

export function transient(message: string, retryAfterMs?: number): SourceError {
  return new SourceError(message, true, retryAfterMs);
}

/** Socket-level failures worth another try: resets, refused connections, DNS hiccups. */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'ERR_STREAM_PREMATURE_CLOSE',
  'HPE_INVALID_CONSTANT',
]);

/** Classifies a low-level error from a request; unknown errors count as transient (retries are bounded). */
export function fromNetworkError(error: unknown, url: string): SourceError {
  if (error instanceof SourceError) return error;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = (error as Error | undefined)?.message ?? String(error);
  if (code === 'ENOTFOUND') return permanent(`host not found for ${url}`);
  if (code && TRANSIENT_CODES.has(code)) return transient(`${code} fetching ${url}`);
  return transient(`${message} fetching ${url}`);
}

/**
 * Parses `Retry-After`: delta seconds or an HTTP date. Returns ms from now (0 for a past date),
 * or undefined when absent or unreadable.
 */
export function parseRetryAfter(
  value: string | string[] | undefined,
  now = Date.now(),
): number | undefined {
  const text = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!text) return undefined;
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
