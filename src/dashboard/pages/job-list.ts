/** A batch's, a queue's or all jobs: status filter, key search, cursor pagination. */
import type { JobStatus, Job, Page, StatusCounts } from '../../types.js';
import { JOB_STATUSES } from '../../states.js';
import { badge, formatCount, formatTime, jobProgressBar } from '../components.js';
import { html, type HtmlValue, type SafeHtml } from '../html.js';
import { href, page, segment, type PageContext } from './layout.js';

export interface JobListFilter {
  status?: JobStatus;
  key?: string;
  after?: string;
  order: 'asc' | 'desc';
}

export interface JobListView {
  title: string;
  heading: HtmlValue;
  /** This page's path, e.g. `/batches/3`; filters and pages link to it. */
  path: string;
  filter: JobListFilter;
  jobs: Page<Job>;
  /** Counts per status for the filter tabs, when the scope has them. */
  counts?: StatusCounts;
  /** Summary and actions above the list (live). */
  summary?: HtmlValue;
}

function truncate(text: string | null, max = 140): string {
  if (!text) return '';
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

export function jobRows(ctx: PageContext, jobs: Job[]): SafeHtml {
  return html`${jobs.map(
    (job) =>
      html`<tr data-job-id="${job.id}">
        <td><a href="${href(ctx, `/jobs/${segment(job.id)}`)}">${job.id}</a></td>
        <td class="wrap">${job.key ?? html`<span class="muted">—</span>`}</td>
        <td>${badge(job.status)}</td>
        <td class="num">${job.attempts}/${job.maxAttempts}</td>
        <td>${jobProgressBar(job.progress)}</td>
        <td>${formatTime(job.updatedAt)}</td>
        <td class="wrap">${truncate(job.lastError)}</td>
      </tr>`,
  )}`;
}

export function jobListPage(ctx: PageContext, view: JobListView): SafeHtml {
  const { filter } = view;
  const base = { key: filter.key, order: filter.order === 'desc' ? 'desc' : undefined };
  const tabs = html`<nav class="filters" id="job-filters" data-live aria-label="Filter by status">
    <a class="${filter.status ? '' : 'current'}" href="${href(ctx, view.path, base)}">all</a>
    ${JOB_STATUSES.map(
      (status) =>
        html`<a
          class="${filter.status === status ? 'current' : ''}"
          href="${href(ctx, view.path, { ...base, status })}"
          >${status}${view.counts ? ` (${formatCount(view.counts[status])})` : ''}</a
        >`,
    )}
  </nav>`;
  const search = html`<form method="get" action="${href(ctx, view.path)}" class="actions">
    ${filter.status && html`<input type="hidden" name="status" value="${filter.status}" />`}
    <input
      type="search"
      name="key"
      value="${filter.key ?? ''}"
      placeholder="exact key, e.g. the address"
      aria-label="Key"
      size="36"
    />
    <button type="submit">Search</button>
    ${filter.key && html`<a class="button" href="${href(ctx, view.path, { status: filter.status })}">Clear</a>`}
  </form>`;
  const { items, nextCursor } = view.jobs;
  const pager = html`<div class="pager">
    ${filter.after && html`<a href="${href(ctx, view.path, { ...base, status: filter.status })}">« First page</a>`}
    ${nextCursor && html`<a rel="next" href="${href(ctx, view.path, { ...base, status: filter.status, after: nextCursor })}">Next page »</a>`}
  </div>`;
  const body = html`${view.heading} ${view.summary}
    <section class="card">
      ${tabs}${search}
      <div id="job-list" data-live>
        ${
          items.length === 0
            ? html`<p class="muted">
                No
                jobs${filter.status ? html` with status ${filter.status}` : ''}${filter.key ? html` with key “${filter.key}”` : ''}.
              </p>`
            : html`<table>
                <thead>
                  <tr>
                    <th>Id</th>
                    <th>Key</th>
                    <th>Status</th>
                    <th class="num">Attempts</th>
                    <th>Progress</th>
                    <th>Updated</th>
                    <th>Last error</th>
                  </tr>
                </thead>
                <tbody>
                  ${jobRows(ctx, items)}
                </tbody>
              </table>`
        }
      </div>
      ${pager}
    </section>`;
  return page(ctx, { title: view.title, body });
}
