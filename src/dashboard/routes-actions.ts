/**
 * POST routes: the only ones that change anything. The handler has already checked read-only,
 * Origin and CSRF; here each action checks its confirmation box, acts through the client, and
 * answers with a redirect and a flash message saying what happened (or why nothing did).
 */
import { assertId } from '../client.js';
import { assertName } from '../options.js';
import type { Flash } from './pages/layout.js';
import { segment } from './pages/layout.js';
import { findBatch, type DashboardRequest } from './request.js';

export interface ActionOutcome {
  flash: Flash;
  /** Path below the mount point to redirect to. */
  location: string;
}

export interface Action {
  pattern: RegExp;
  /** The confirmation page, where an unticked box sends the user back. */
  confirmPath(params: string[]): string;
  run(request: DashboardRequest, params: string[]): Promise<ActionOutcome>;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export const actions: Action[] = [
  {
    pattern: /^\/jobs\/([^/]+)\/retry$/,
    confirmPath: ([id]) => `/jobs/${segment(id!)}/retry`,
    run: async (r, [id]) => {
      const { job, retried, reason } = await r.queue.retry(assertId(id));
      const location = `/jobs/${segment(job.id)}`;
      return retried
        ? { location, flash: { kind: 'ok', text: `Job ${job.id} retried: it is pending again.` } }
        : {
            location,
            flash: {
              kind: 'info',
              text: `Job ${job.id} was not retried: ${reason ?? `job is ${job.status}`}.`,
            },
          };
    },
  },
  {
    pattern: /^\/jobs\/([^/]+)\/cancel$/,
    confirmPath: ([id]) => `/jobs/${segment(id!)}/cancel`,
    run: async (r, [id]) => {
      const { job, cancelled, requested } = await r.queue.cancel(assertId(id));
      const location = `/jobs/${segment(job.id)}`;
      if (cancelled) return { location, flash: { kind: 'ok', text: `Job ${job.id} cancelled.` } };
      if (requested)
        return {
          location,
          flash: {
            kind: 'ok',
            text: `Cancel requested: the worker running job ${job.id} stops it at its next heartbeat.`,
          },
        };
      return {
        location,
        flash: { kind: 'info', text: `Job ${job.id} was not cancelled: it is ${job.status}.` },
      };
    },
  },
  {
    pattern: /^\/batches\/([^/]+)\/retry$/,
    confirmPath: ([id]) => `/batches/${segment(id!)}/retry`,
    run: async (r, [id]) => {
      const batch = await findBatch(r.queue, id!);
      const { retried, skipped } = await r.queue.retryFailed({ batch: batch.id });
      const more =
        skipped > 0
          ? ` ${plural(skipped, 'job')} skipped: another active job has the same key.`
          : '';
      return {
        location: `/batches/${segment(batch.id)}`,
        flash: {
          kind: retried > 0 ? 'ok' : 'info',
          text: `Retried ${plural(retried, 'failed job')} of batch ${batch.name}.${more}`,
        },
      };
    },
  },
  {
    pattern: /^\/batches\/([^/]+)\/cancel$/,
    confirmPath: ([id]) => `/batches/${segment(id!)}/cancel`,
    run: async (r, [id]) => {
      const batch = await findBatch(r.queue, id!);
      const { cancelled, requested } = await r.queue.cancelBatch(batch.id);
      const more =
        requested > 0 ? ` Cancel requested for ${plural(requested, 'running job')}.` : '';
      return {
        location: `/batches/${segment(batch.id)}`,
        flash: {
          kind: cancelled + requested > 0 ? 'ok' : 'info',
          text: `Cancelled ${plural(cancelled, 'job')} of batch ${batch.name}.${more}`,
        },
      };
    },
  },
  {
    pattern: /^\/queues\/([^/]+)\/retry$/,
    confirmPath: ([name]) => `/queues/${segment(name!)}/retry`,
    run: async (r, [name]) => {
      const queue = assertName(name, 'queue');
      const { retried, skipped } = await r.queue.retryFailed({ queue });
      const more =
        skipped > 0
          ? ` ${plural(skipped, 'job')} skipped: another active job has the same key.`
          : '';
      return {
        location: `/queues/${segment(queue)}`,
        flash: {
          kind: retried > 0 ? 'ok' : 'info',
          text: `Retried ${plural(retried, 'failed job')} of queue ${queue}.${more}`,
        },
      };
    },
  },
  {
    pattern: /^\/queues\/([^/]+)\/(pause|resume)$/,
    confirmPath: ([name, verb]) => `/queues/${segment(name!)}/${verb}`,
    run: async (r, [name, verb]) => {
      const queue = assertName(name, 'queue');
      if (verb === 'pause') await r.queue.pause(queue);
      else await r.queue.resume(queue);
      return {
        location: '/',
        flash: {
          kind: 'ok',
          text:
            verb === 'pause'
              ? `Queue ${queue} paused: no new jobs start; running jobs finish.`
              : `Queue ${queue} resumed.`,
        },
      };
    },
  },
];
