/** The JSON API (GET only): the same numbers as the pages, for scripts and the curious. */
import { assertId } from '../client.js';
import { sendJson } from './http.js';
import { loadOverview } from './overview-data.js';
import { parseListParams, singleValues } from './params.js';
import { findBatch, type Route } from './request.js';

const JOB_LIST_PARAMS = ['queue', 'batch', 'status', 'key', 'after', 'limit', 'order'] as const;

export const apiRoutes: Route[] = [
  {
    pattern: /^\/api\/overview$/,
    handle: async (r) => {
      singleValues(r.query, [], true);
      sendJson(r.res, 200, await loadOverview(r.queue));
    },
  },
  {
    pattern: /^\/api\/batches$/,
    handle: async (r) => {
      singleValues(r.query, [], true);
      sendJson(r.res, 200, { batches: await r.queue.batches() });
    },
  },
  {
    pattern: /^\/api\/batches\/([^/]+)$/,
    handle: async (r, [id]) => {
      singleValues(r.query, [], true);
      sendJson(r.res, 200, { batch: await findBatch(r.queue, id!) });
    },
  },
  {
    pattern: /^\/api\/jobs$/,
    handle: async (r) => {
      const params = parseListParams(r.query, JOB_LIST_PARAMS, true);
      if (params.batch !== undefined) params.batch = (await findBatch(r.queue, params.batch)).id;
      sendJson(r.res, 200, await r.queue.list(params));
    },
  },
  {
    pattern: /^\/api\/jobs\/([^/]+)$/,
    handle: async (r, [id]) => {
      singleValues(r.query, [], true);
      const job = await r.queue.getOrThrow(assertId(id));
      sendJson(r.res, 200, { job, attempts: await r.queue.attempts(job.id) });
    },
  },
];
