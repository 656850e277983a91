/** The overview's flow-control sections: paused and limited queues (with pause/resume), per-key saturation, schedules. */
import { formatRate } from '../../flow/limits.js';
import { formatTime } from '../components.js';
import type { FlowOverview } from '../flow-data.js';
import { html, type SafeHtml } from '../html.js';
import { href, segment, type PageContext } from './layout.js';

export function flowSections(ctx: PageContext, flow: FlowOverview): SafeHtml {
  return html`${
    flow.queues.length > 0 &&
    html`<section id="overview-flow" data-live class="card">
      <h2>Queue limits</h2>
      <table>
        <thead>
          <tr>
            <th>Queue</th>
            <th>State</th>
            <th class="num">Per-key concurrency</th>
            <th>Rate</th>
            <th>Per-key rate</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          ${flow.queues.map(
            (c) =>
              html`<tr data-queue="${c.queue}" data-paused="${c.paused ? 'yes' : 'no'}">
                <td class="wrap">
                  <a href="${href(ctx, `/queues/${segment(c.queue)}`)}">${c.queue}</a>
                </td>
                <td>${c.paused ? html`<strong>paused</strong>` : 'active'}</td>
                <td class="num">${c.perKeyConcurrency ?? '-'}</td>
                <td>${formatRate(c.rate)}</td>
                <td>${formatRate(c.perKeyRate)}</td>
                <td>
                  ${
                    !ctx.readOnly &&
                    html`<a
                      class="button"
                      href="${href(ctx, `/queues/${segment(c.queue)}/${c.paused ? 'resume' : 'pause'}`)}"
                      >${c.paused ? 'Resume' : 'Pause'}</a
                    >`
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>`
  }
  ${
    flow.saturation.some((s) => s.keys.length > 0) &&
    html`<section id="overview-saturation" data-live class="card">
      <h2>Per-key saturation (running / limit)</h2>
      <table>
        <thead>
          <tr>
            <th>Queue</th>
            <th>Key</th>
            <th class="num">Running</th>
          </tr>
        </thead>
        <tbody>
          ${flow.saturation.flatMap((s) =>
            s.keys.map(
              (k) =>
                html`<tr>
                  <td class="wrap">${s.queue}</td>
                  <td class="wrap">${k.key}</td>
                  <td class="num">${k.running} / ${s.limit}</td>
                </tr>`,
            ),
          )}
        </tbody>
      </table>
    </section>`
  }
  ${
    flow.schedules.length > 0 &&
    html`<section id="overview-schedules" data-live class="card">
      <h2>Schedules</h2>
      <table>
        <thead>
          <tr>
            <th>Schedule</th>
            <th>Cron</th>
            <th>Time zone</th>
            <th>Queue</th>
            <th>Last tick</th>
            <th>Next run</th>
          </tr>
        </thead>
        <tbody>
          ${flow.schedules.map(
            (s) =>
              html`<tr data-schedule="${s.name}">
                <td class="wrap">${s.name}</td>
                <td><code>${s.cron}</code></td>
                <td>${s.tz ?? 'UTC'}</td>
                <td class="wrap">${s.queue}</td>
                <td>${s.lastTick ? formatTime(s.lastTick) : '-'}</td>
                <td>${s.nextRunAt ? formatTime(s.nextRunAt) : '-'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </section>`
  }`;
}
