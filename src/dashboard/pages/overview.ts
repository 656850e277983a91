/** Overview: per-queue counts by status, throughput chart, oldest waiting job, workers seen. */
import { JOB_STATUSES } from '../../states.js';
import { formatAge, formatCount, formatTime, throughputChart } from '../components.js';
import { html, type SafeHtml } from '../html.js';
import { CHART_BUCKETS, type Overview } from '../overview-data.js';
import { href, page, segment, type PageContext } from './layout.js';
import { flowSections } from './flow.js';

export function overviewPage(ctx: PageContext, overview: Overview): SafeHtml {
  const names = Object.keys(overview.queues).sort();
  const rows = names.map((name) => {
    const stats = overview.queues[name]!;
    return html`<tr data-queue="${name}">
      <td class="wrap"><a href="${href(ctx, `/queues/${segment(name)}`)}">${name}</a></td>
      ${JOB_STATUSES.map(
        (status) =>
          html`<td class="num" data-status="${status}">
            ${
              stats.counts[status] > 0
                ? html`<a href="${href(ctx, `/queues/${segment(name)}`, { status })}"
                    >${formatCount(stats.counts[status])}</a
                  >`
                : '0'
            }
          </td>`,
      )}
      <td class="num">${formatAge(stats.oldestWaitingMs)}</td>
    </tr>`;
  });
  const { since, bucketMs, buckets } = overview.throughput;
  const body = html`<h1>Overview</h1>
    <section id="overview-queues" data-live class="card">
      <h2>Queues</h2>
      ${
        names.length === 0
          ? html`<p class="muted">
              No jobs yet. Enqueue some with <code>holdfast enqueue</code> or
              <code>queue.enqueue()</code>.
            </p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Queue</th>
                  ${JOB_STATUSES.map((s) => html`<th class="num">${s}</th>`)}
                  <th class="num">Oldest waiting</th>
                </tr>
              </thead>
              <tbody>
                ${rows}
              </tbody>
            </table>`
      }
    </section>
    ${flowSections(ctx, overview.flow)}
    <section id="overview-chart" data-live class="card">
      <h2>Throughput, last hour</h2>
      ${throughputChart(buckets, since, bucketMs, CHART_BUCKETS)}
    </section>
    <section id="overview-workers" data-live class="card">
      <h2>Workers seen in the last hour (${overview.workers.length})</h2>
      ${
        overview.workers.length === 0
          ? html`<p class="muted">No worker has started a job in the last hour.</p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Worker</th>
                  <th>Last started a job</th>
                </tr>
              </thead>
              <tbody>
                ${overview.workers.map(
                  (w) =>
                    html`<tr>
                      <td class="wrap">${w.workerId}</td>
                      <td>${formatTime(w.lastSeen)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>`;
  return page(ctx, { title: 'Overview', body });
}
