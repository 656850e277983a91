/** Query parameters of job lists, checked the same way for pages and the JSON API. */
import { assertId } from '../client.js';
import { ValidationError } from '../errors.js';
import { assertInteger, assertName, describe } from '../options.js';
import { JOB_STATUSES, isJobStatus } from '../states.js';
import type { JobStatus } from '../types.js';

export interface ListParams {
  status?: JobStatus;
  key?: string;
  after?: string;
  order: 'asc' | 'desc';
  limit?: number;
  queue?: string;
  batch?: string;
}

/** One value per name; a repeated or unknown name is a mistake worth reporting. */
export function singleValues(
  query: URLSearchParams,
  allowed: readonly string[],
  strict: boolean,
): Map<string, string> {
  const values = new Map<string, string>();
  for (const [name, value] of query) {
    if (!allowed.includes(name)) {
      if (strict)
        throw new ValidationError(
          `Unknown parameter \`${name}\`; expected ${allowed.map((a) => `\`${a}\``).join(', ')}`,
        );
      continue;
    }
    if (values.has(name))
      throw new ValidationError(`Parameter \`${name}\` is given more than once`);
    if (value !== '') values.set(name, value);
  }
  return values;
}

export function parseListParams(
  query: URLSearchParams,
  allowed: readonly string[],
  strict: boolean,
): ListParams {
  const values = singleValues(query, allowed, strict);
  const params: ListParams = { order: 'asc' };
  const status = values.get('status');
  if (status !== undefined) {
    if (!isJobStatus(status)) {
      throw new ValidationError(
        `Expected \`status\` to be one of ${JOB_STATUSES.join(', ')}, got ${describe(status)}`,
      );
    }
    params.status = status;
  }
  const order = values.get('order');
  if (order !== undefined) {
    if (order !== 'asc' && order !== 'desc')
      throw new ValidationError(`Expected \`order\` to be asc or desc, got ${describe(order)}`);
    params.order = order;
  }
  const after = values.get('after');
  if (after !== undefined)
    params.after = assertId(after, 'after (the cursor from the previous page)');
  const limit = values.get('limit');
  if (limit !== undefined) {
    params.limit = assertInteger(
      /^\d{1,7}$/.test(limit) ? Number(limit) : limit,
      'limit',
      1,
      1_000,
    );
  }
  for (const name of ['key', 'queue', 'batch'] as const) {
    const value = values.get(name);
    if (value !== undefined) params[name] = assertName(value, name);
  }
  return params;
}
