/** The batches page, and the summary block of one batch. */
import type { BatchStats } from '../../types.js';
import { batchBar, formatAge, formatCount, formatRate, formatTime } from '../components.js';
import { html, type SafeHtml } from '../html.js';
import { href, page, segment, type PageContext } from './layout.js';

function eta(batch: BatchStats): string {
  if (batch.etaMs === 0) return 'done';
  return formatAge(batch.etaMs);
}

function finished(batch: BatchStats): number {
  return batch.counts.completed + batch.counts.failed + batch.counts.cancelled;
}

export function batchesPage(ctx: PageContext, batches: BatchStats[]): SafeHtml {
  const sorted = [...batches].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  const body = html`<h1>Batches</h1>
    <section id="batch-table" data-live class="card">
      ${
        sorted.length === 0
          ? html`<p class="muted">
              No batches yet. Jobs enqueued with a <code>batch</code> name appear here.
            </p>`
          : html`<table>
              <thead>
                <tr>
                  <th>Batch</th>
                  <th>Queue</th>
                  <th>Progress</th>
                  <th class="num">Done</th>
                  <th class="num">Failed</th>
                  <th class="num">Running</th>
                  <th class="num">Waiting</th>
                  <th class="num">Rate</th>
                  <th class="num">ETA</th>
                  <th>Created</th>
                </tr>
              </thead>
              <tbody>
                ${sorted.map(
                  (b) =>
                    html`<tr data-batch-id="${b.id}">
                      <td class="wrap">
                        <a href="${href(ctx, `/batches/${segment(b.id)}`)}">${b.name}</a>
                      </td>
                      <td class="wrap">${b.queue}</td>
                      <td>${batchBar(b.counts, b.total, 200)}</td>
                      <td class="num">${formatCount(finished(b))}/${formatCount(b.total)}</td>
                      <td class="num">${formatCount(b.counts.failed)}</td>
                      <td class="num">${formatCount(b.counts.running)}</td>
                      <td class="num">${formatCount(b.counts.pending + b.counts.retrying)}</td>
                      <td class="num">${formatRate(b.ratePerSecond)}</td>
                      <td class="num">${eta(b)}</td>
                      <td>${formatTime(b.createdAt)}</td>
                    </tr>`,
                )}
              </tbody>
            </table>`
      }
    </section>`;
  return page(ctx, { title: 'Batches', body });
}

export function batchSummary(ctx: PageContext, batch: BatchStats): SafeHtml {
  const active = batch.counts.pending + batch.counts.running + batch.counts.retrying;
  const path = `/batches/${segment(batch.id)}`;
  return html`<section id="batch-summary" data-live class="card">
    ${batchBar(batch.counts, batch.total, 600)}
    <p>
      ${formatCount(finished(batch))} of ${formatCount(batch.total)} finished ·
      <span class="completed-count">${formatCount(batch.counts.completed)}</span> completed ·
      ${formatCount(batch.counts.failed)} failed · ${formatCount(batch.counts.cancelled)} cancelled
      · ${formatCount(batch.counts.running)} running ·
      ${formatCount(batch.counts.pending + batch.counts.retrying)} waiting
    </p>
    <p class="muted">
      Rate ${formatRate(batch.ratePerSecond)} · ETA ${eta(batch)} · queue
      <a href="${href(ctx, `/queues/${segment(batch.queue)}`)}">${batch.queue}</a> · created
      ${formatTime(batch.createdAt)}
    </p>
    ${
      !ctx.readOnly &&
      html`<div class="actions">
        ${batch.counts.failed > 0 && html`<a class="button" href="${href(ctx, `${path}/retry`)}">Retry ${formatCount(batch.counts.failed)} failed jobs…</a>`}
        ${active > 0 && html`<a class="button danger" href="${href(ctx, `${path}/cancel`)}">Cancel batch…</a>`}
      </div>`
    }
  </section>`;
}

export function queueSummary(
  ctx: PageContext,
  name: string,
  failed: number,
  oldestWaitingMs: number | null,
): SafeHtml {
  return html`<section id="queue-summary" data-live class="card">
    <p class="muted">Oldest waiting job: ${formatAge(oldestWaitingMs)}</p>
    ${
      !ctx.readOnly &&
      failed > 0 &&
      html`<div class="actions">
        <a class="button" href="${href(ctx, `/queues/${segment(name)}/retry`)}"
          >Retry ${formatCount(failed)} failed jobs…</a
        >
      </div>`
    }
  </section>`;
}
