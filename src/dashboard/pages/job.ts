/** One job: payload, progress, result, and every attempt with worker, duration and error. */
import type { Attempt, Job } from '../../types.js';
import { isTerminal } from '../../states.js';
import { formatDuration } from '../../util/duration.js';
import { badge, formatTime, jobProgressBar } from '../components.js';
import { html, type SafeHtml } from '../html.js';
import { href, page, segment, type PageContext } from './layout.js';

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) ?? 'null';
}

function attemptRow(attempt: Attempt): SafeHtml {
  const duration = attempt.finishedAt
    ? formatDuration(attempt.finishedAt.getTime() - attempt.startedAt.getTime())
    : 'running';
  return html`<tr data-attempt="${attempt.attempt}">
    <td class="num">${attempt.attempt}</td>
    <td>${badge(attempt.outcome)}</td>
    <td class="wrap">${attempt.workerId}</td>
    <td>${formatTime(attempt.startedAt)}</td>
    <td class="num">${duration}</td>
    <td class="wrap">
      ${
        attempt.error
          ? html`<div class="attempt-error">${attempt.error}</div>
              ${
                attempt.stack &&
                html`<details>
                  <summary>stack</summary>
                  <pre>${attempt.stack}</pre>
                </details>`
              }`
          : html`<span class="muted">—</span>`
      }
    </td>
  </tr>`;
}

export function jobPage(ctx: PageContext, job: Job, attempts: Attempt[]): SafeHtml {
  const path = `/jobs/${segment(job.id)}`;
  const canRetry = job.status === 'failed' || job.status === 'cancelled';
  const canCancel = !isTerminal(job.status) && !job.cancelRequested;
  const body = html`<section id="job-detail" data-live>
    <h1>Job ${job.id} ${badge(job.status)}</h1>
    ${
      !ctx.readOnly &&
      (canRetry || canCancel) &&
      html`<div class="actions">
        ${canRetry && html`<a class="button" id="retry-job" href="${href(ctx, `${path}/retry`)}">Retry…</a>`}
        ${canCancel && html`<a class="button danger" id="cancel-job" href="${href(ctx, `${path}/cancel`)}">Cancel…</a>`}
      </div>`
    }
    <div class="card">
      <dl class="meta">
        <dt>Status</dt>
        <dd class="job-status">
          ${badge(job.status)}${job.cancelRequested ? ' (cancel requested)' : ''}
        </dd>
        <dt>Queue</dt>
        <dd><a href="${href(ctx, `/queues/${segment(job.queue)}`)}">${job.queue}</a></dd>
        <dt>Key</dt>
        <dd class="job-key">${job.key ?? '—'}</dd>
        <dt>Batch</dt>
        <dd>
          ${job.batchId ? html`<a href="${href(ctx, `/batches/${segment(job.batchId)}`)}">${job.batchId}</a>` : '—'}
        </dd>
        <dt>Attempts</dt>
        <dd>${job.attempts} of ${job.maxAttempts} (this round)</dd>
        <dt>Priority</dt>
        <dd>${job.priority}</dd>
        <dt>Progress</dt>
        <dd>${jobProgressBar(job.progress)}</dd>
        <dt>Due</dt>
        <dd>${formatTime(job.runAt)}</dd>
        <dt>Created</dt>
        <dd>${formatTime(job.createdAt)}</dd>
        <dt>Started</dt>
        <dd>${formatTime(job.startedAt)}</dd>
        <dt>Finished</dt>
        <dd>${formatTime(job.finishedAt)}</dd>
        <dt>Worker</dt>
        <dd>
          ${job.workerId ?? '—'}${job.leaseExpiresAt ? html` <span class="muted">(lease until ${formatTime(job.leaseExpiresAt)})</span>` : ''}
        </dd>
        <dt>Timeout</dt>
        <dd>${job.timeoutMs === null ? 'none' : formatDuration(job.timeoutMs)}</dd>
      </dl>
    </div>
    ${
      job.lastError &&
      html`<h2>Last error</h2>
        <pre class="last-error">${job.lastError}</pre>`
    }
    <h2>Payload</h2>
    <pre class="payload">${json(job.payload)}</pre>
    <h2>Result</h2>
    ${job.result === null ? html`<p class="muted">No result yet.</p>` : html`<pre class="result">${json(job.result)}</pre>`}
    <h2>Attempts (${attempts.length})</h2>
    ${
      attempts.length === 0
        ? html`<p class="muted">Not started yet.</p>`
        : html`<table class="attempts">
            <thead>
              <tr>
                <th class="num">#</th>
                <th>Outcome</th>
                <th>Worker</th>
                <th>Started</th>
                <th class="num">Duration</th>
                <th>Error</th>
              </tr>
            </thead>
            <tbody>
              ${attempts.map(attemptRow)}
            </tbody>
          </table>`
    }
  </section>`;
  return page(ctx, { title: `Job ${job.id}`, body });
}
