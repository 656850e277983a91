/** Small HTTP helpers: responses, form bodies, and an error that carries its status. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { JobNotFoundError, ValidationError } from '../errors.js';

/** An error that becomes a response with this status and message (the message is shown to the user). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Status and user-facing message of any error: our own errors say what was wrong; others are hidden. */
export function describeError(error: unknown): { status: number; message: string } {
  if (error instanceof HttpError) return { status: error.status, message: error.message };
  if (error instanceof JobNotFoundError) return { status: 404, message: error.message };
  if (error instanceof ValidationError) return { status: 400, message: error.message };
  return { status: 500, message: 'Internal error; see the dashboard process log' };
}

export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.statusCode = status;
  res.setHeader('Content-Type', type);
  res.setHeader('Cache-Control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(body);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(value)}\n`);
}

export function redirect(res: ServerResponse, location: string): void {
  res.statusCode = 303;
  res.setHeader('Location', location);
  res.setHeader('Cache-Control', 'no-store');
  res.end();
}

/** Forms are a few short fields; 16 KiB is far more than any of ours and caps what a client can make us buffer. */
const MAX_FORM_BYTES = 16 * 1024;

const forms = new WeakMap<IncomingMessage, Promise<URLSearchParams>>();

/** Reads a urlencoded form once (later calls get the same one), or takes one a framework parsed (Express `req.body`). */
export function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  let form = forms.get(req);
  if (!form) {
    form = parseForm(req);
    forms.set(req, form);
  }
  return form;
}

async function parseForm(req: IncomingMessage): Promise<URLSearchParams> {
  const parsed = (req as { body?: unknown }).body;
  if (parsed && typeof parsed === 'object' && !Buffer.isBuffer(parsed)) {
    const form = new URLSearchParams();
    for (const [name, value] of Object.entries(parsed))
      if (typeof value === 'string') form.set(name, value);
    return form;
  }
  const type = String(req.headers['content-type'] ?? '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw new HttpError(415, 'Expected a form (application/x-www-form-urlencoded)');
  }
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_FORM_BYTES) throw new HttpError(413, `Form larger than ${MAX_FORM_BYTES} bytes`);
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
