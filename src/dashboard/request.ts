/** What a route sees of one request, and the lookups several routes share. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JobQueue } from '../client.js';
import { ValidationError } from '../errors.js';
import type { BatchStats } from '../types.js';
import { HttpError } from './http.js';
import type { PageContext } from './pages/layout.js';

export interface DashboardRequest {
  req: IncomingMessage;
  res: ServerResponse;
  queue: JobQueue;
  /** Path below the mount point, starting with `/`. */
  path: string;
  query: URLSearchParams;
  ctx: PageContext;
}

/** A route: `pattern` captures path segments, which arrive decoded. */
export interface Route {
  pattern: RegExp;
  handle(request: DashboardRequest, params: string[]): Promise<void>;
}

export function match<R extends { pattern: RegExp }>(
  routes: readonly R[],
  path: string,
): { route: R; params: string[] } | null {
  for (const route of routes) {
    const found = route.pattern.exec(path);
    if (!found) continue;
    const params = found.slice(1).map((part) => {
      try {
        return decodeURIComponent(part);
      } catch {
        throw new HttpError(
          400,
          `Malformed percent-encoding in the path segment ${JSON.stringify(part)}`,
        );
      }
    });
    return { route, params };
  }
  return null;
}

/** A batch by id or name, or a 404 naming it. */
export async function findBatch(queue: JobQueue, idOrName: string): Promise<BatchStats> {
  try {
    const [batch] = await queue.batches(idOrName);
    if (batch) return batch;
  } catch (error) {
    if (!(error instanceof ValidationError && error.message.startsWith('No batch'))) throw error;
  }
  throw new HttpError(404, `No batch with id or name ${JSON.stringify(idOrName)}`);
}
