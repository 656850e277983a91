/** GET routes that render pages. None of them changes anything: actions are POST only. */
import { assertId } from '../client.js';
import { assertName } from '../options.js';
import { emptyCounts } from '../states.js';
import { html } from './html.js';
import { HttpError, send } from './http.js';
import { loadOverview } from './overview-data.js';
import { batchSummary, batchesPage, queueSummary } from './pages/batches.js';
import { confirmPage, type ConfirmView } from './pages/forms.js';
import { jobListPage, type JobListFilter } from './pages/job-list.js';
import { jobPage } from './pages/job.js';
import { segment } from './pages/layout.js';
import { overviewPage } from './pages/overview.js';
import { parseListParams } from './params.js';
import { findBatch, type DashboardRequest, type Route } from './request.js';
import type { SafeHtml } from './html.js';

const PAGE_SIZE = 50;
const LIST_PARAMS = ['status', 'key', 'after', 'order'] as const;

function sendPage(request: DashboardRequest, body: SafeHtml): Promise<void> {
  send(request.res, 200, 'text/html; charset=utf-8', body.toString());
  return Promise.resolve();
}

function listFilter(request: DashboardRequest): JobListFilter {
  const { status, key, after, order } = parseListParams(request.query, LIST_PARAMS, false);
  return {
    ...(status ? { status } : {}),
    ...(key ? { key } : {}),
    ...(after ? { after } : {}),
    order,
  };
}

function listOptions(filter: JobListFilter) {
  return {
    limit: PAGE_SIZE,
    order: filter.order,
    ...(filter.status ? { status: filter.status } : {}),
    ...(filter.key ? { key: filter.key } : {}),
    ...(filter.after ? { after: filter.after } : {}),
  };
}

function requireWritable(request: DashboardRequest): void {
  if (request.ctx.readOnly)
    throw new HttpError(403, 'This dashboard is read-only: actions are turned off');
}

async function confirm(request: DashboardRequest, view: ConfirmView): Promise<void> {
  requireWritable(request);
  await sendPage(request, confirmPage(request.ctx, view));
}

export const pageRoutes: Route[] = [
  {
    pattern: /^\/$/,
    handle: async (r) => sendPage(r, overviewPage(r.ctx, await loadOverview(r.queue))),
  },
  {
    pattern: /^\/batches$/,
    handle: async (r) => sendPage(r, batchesPage(r.ctx, await r.queue.batches())),
  },
  {
    pattern: /^\/batches\/([^/]+)$/,
    handle: async (r, [id]) => {
      const batch = await findBatch(r.queue, id!);
      const filter = listFilter(r);
      const jobs = await r.queue.list({ ...listOptions(filter), batch: batch.id });
      await sendPage(
        r,
        jobListPage(r.ctx, {
          title: `Batch ${batch.name}`,
          heading: html`<h1>Batch ${batch.name}</h1>`,
          path: `/batches/${segment(batch.id)}`,
          filter,
          jobs,
          counts: batch.counts,
          summary: batchSummary(r.ctx, batch),
        }),
      );
    },
  },
  {
    pattern: /^\/queues\/([^/]+)$/,
    handle: async (r, [name]) => {
      assertName(name, 'queue');
      const filter = listFilter(r);
      const [stats, jobs] = await Promise.all([
        r.queue.queueStats(),
        r.queue.list({ ...listOptions(filter), queue: name! }),
      ]);
      const queueStats = stats[name!] ?? { counts: emptyCounts(), oldestWaitingMs: null };
      await sendPage(
        r,
        jobListPage(r.ctx, {
          title: `Queue ${name}`,
          heading: html`<h1>Queue ${name}</h1>`,
          path: `/queues/${segment(name!)}`,
          filter,
          jobs,
          counts: queueStats.counts,
          summary: queueSummary(r.ctx, name!, queueStats.counts.failed, queueStats.oldestWaitingMs),
        }),
      );
    },
  },
  {
    pattern: /^\/jobs$/,
    handle: async (r) => {
      const filter = listFilter(r);
      const jobs = await r.queue.list(listOptions(filter));
      await sendPage(
        r,
        jobListPage(r.ctx, {
          title: 'Jobs',
          heading: html`<h1>Jobs</h1>`,
          path: '/jobs',
          filter,
          jobs,
        }),
      );
    },
  },
  {
    pattern: /^\/jobs\/([^/]+)$/,
    handle: async (r, [id]) => {
      const job = await r.queue.getOrThrow(assertId(id));
      await sendPage(r, jobPage(r.ctx, job, await r.queue.attempts(job.id)));
    },
  },
  {
    pattern: /^\/jobs\/([^/]+)\/retry$/,
    handle: async (r, [id]) => {
      const job = await r.queue.getOrThrow(assertId(id));
      await confirm(r, {
        title: `Retry job ${job.id}?`,
        question: `Job ${job.id}${job.key ? ` (${job.key})` : ''} is ${job.status}. Retrying makes it pending again with a fresh round of ${job.maxAttempts} attempts.`,
        action: `/jobs/${segment(job.id)}/retry`,
        button: 'Retry job',
        back: `/jobs/${segment(job.id)}`,
      });
    },
  },
  {
    pattern: /^\/jobs\/([^/]+)\/cancel$/,
    handle: async (r, [id]) => {
      const job = await r.queue.getOrThrow(assertId(id));
      await confirm(r, {
        title: `Cancel job ${job.id}?`,
        question: `Job ${job.id}${job.key ? ` (${job.key})` : ''} is ${job.status}. A waiting job is cancelled at once; a running one is stopped through its signal.`,
        action: `/jobs/${segment(job.id)}/cancel`,
        button: 'Cancel job',
        back: `/jobs/${segment(job.id)}`,
        danger: true,
      });
    },
  },
  {
    pattern: /^\/batches\/([^/]+)\/retry$/,
    handle: async (r, [id]) => {
      const batch = await findBatch(r.queue, id!);
      await confirm(r, {
        title: `Retry failed jobs of batch ${batch.name}?`,
        question: `${batch.counts.failed} failed jobs of batch ${batch.name} become pending again.`,
        action: `/batches/${segment(batch.id)}/retry`,
        button: 'Retry failed jobs',
        back: `/batches/${segment(batch.id)}`,
      });
    },
  },
  {
    pattern: /^\/batches\/([^/]+)\/cancel$/,
    handle: async (r, [id]) => {
      const batch = await findBatch(r.queue, id!);
      const active = batch.counts.pending + batch.counts.retrying + batch.counts.running;
      await confirm(r, {
        title: `Cancel batch ${batch.name}?`,
        question: `${active} unfinished jobs of batch ${batch.name} are cancelled (running ones through their signal).`,
        action: `/batches/${segment(batch.id)}/cancel`,
        button: 'Cancel batch',
        back: `/batches/${segment(batch.id)}`,
        danger: true,
      });
    },
  },
  {
    pattern: /^\/queues\/([^/]+)\/retry$/,
    handle: async (r, [name]) => {
      assertName(name, 'queue');
      const failed = (await r.queue.queueStats())[name!]?.counts.failed ?? 0;
      await confirm(r, {
        title: `Retry failed jobs of queue ${name}?`,
        question: `${failed} failed jobs of queue ${name} become pending again.`,
        action: `/queues/${segment(name!)}/retry`,
        button: 'Retry failed jobs',
        back: `/queues/${segment(name!)}`,
      });
    },
  },
  {
    pattern: /^\/queues\/([^/]+)\/(pause|resume)$/,
    handle: async (r, [name, verb]) => {
      assertName(name, 'queue');
      const pause = verb === 'pause';
      await confirm(r, {
        title: `${pause ? 'Pause' : 'Resume'} queue ${name}?`,
        question: pause
          ? `Workers stop starting jobs of queue ${name} within a poll interval; running jobs finish.`
          : `Workers start jobs of queue ${name} again.`,
        action: `/queues/${segment(name!)}/${verb}`,
        button: pause ? 'Pause queue' : 'Resume queue',
        back: '/',
      });
    },
  },
];
