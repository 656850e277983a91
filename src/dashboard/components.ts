/** Small pieces shared by the pages: badges, progress bars, the throughput chart, formatting. */
import type { ThroughputBucket } from '../store/store.js';
import type { JobProgress, StatusCounts } from '../types.js';
import { formatDuration } from '../util/duration.js';
import { html, type SafeHtml } from './html.js';

export function badge(status: string): SafeHtml {
  return html`<span class="badge ${status}">${status}</span>`;
}

export function formatTime(date: Date | null | undefined): string {
  if (!date) return '—';
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}

export function formatAge(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '—' : formatDuration(ms);
}

export function formatRate(perSecond: number | null): string {
  if (perSecond === null) return '—';
  return perSecond >= 1 ? `${perSecond.toFixed(1)}/s` : `${(perSecond * 60).toFixed(1)}/min`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** Width in % with two decimals, so a bar moves visibly even for one job of 10,000. */
function pct(part: number, total: number): string {
  return total > 0 ? ((part / total) * 100).toFixed(2) : '0';
}

/**
 * A stacked bar: completed, failed, running, then waiting (pending + retrying). SVG attributes,
 * not inline styles, set the widths: the CSP forbids inline styles.
 */
export function batchBar(counts: StatusCounts, total: number, width = 260): SafeHtml {
  const parts: Array<[string, number]> = [
    ['completed', counts.completed],
    ['failed', counts.failed + counts.cancelled],
    ['running', counts.running],
    ['waiting', counts.pending + counts.retrying],
  ];
  let x = 0;
  const rects = parts.map(([name, n]) => {
    const rect = html`<rect
      class="${name}"
      x="${pct(x, total)}%"
      y="0"
      width="${pct(n, total)}%"
      height="100%"
    ></rect>`;
    x += n;
    return rect;
  });
  const done = counts.completed + counts.failed + counts.cancelled;
  const label = `${done} of ${total} finished`;
  return barFrame(
    { width, height: 12, max: total, now: done },
    rects,
    html`data-completed="${counts.completed}" data-failed="${counts.failed}" aria-label="${label}"`,
  );
}

export function jobProgressBar(progress: JobProgress | null): SafeHtml {
  if (!progress) return html`<span class="muted">—</span>`;
  const total = Math.max(progress.total, 0);
  const current = Math.min(Math.max(progress.current, 0), total);
  return html`${barFrame(
      { width: 160, height: 10, max: total, now: current },
      html`<rect class="running" width="${pct(current, total)}%" height="100%"></rect>`,
    )}
    <span class="muted"
      >${progress.current}/${progress.total}${progress.message ? ` · ${progress.message}` : ''}</span
    >`;
}

/** The frame both progress bars share: an accessible <svg> with a track under `bars`. */
function barFrame(
  size: { width: number; height: number; max: number; now: number },
  bars: SafeHtml | SafeHtml[],
  attributes: SafeHtml | null = null,
): SafeHtml {
  return html`<svg
    class="bar"
    role="progressbar"
    width="${size.width}"
    height="${size.height}"
    aria-valuemin="0"
    aria-valuemax="${size.max}"
    aria-valuenow="${size.now}"
    ${attributes}
  >
    <rect class="track" width="100%" height="100%"></rect>
    ${bars}
  </svg>`;
}

/**
 * Completed (green) and failed (red, stacked on top) jobs per bucket over the last hour, as
 * SVG bars rendered on the server: bars, not lines, because a queue's throughput is often
 * sparse (a batch an hour), and a lone spike reads better as a bar.
 */
export function throughputChart(
  buckets: ThroughputBucket[],
  since: Date,
  bucketMs: number,
  count: number,
): SafeHtml {
  const completed = new Array<number>(count).fill(0);
  const failed = new Array<number>(count).fill(0);
  for (const bucket of buckets) {
    const index = Math.floor((bucket.at.getTime() - since.getTime()) / bucketMs);
    if (index < 0 || index >= count) continue;
    completed[index]! += bucket.completed;
    failed[index]! += bucket.failed;
  }
  const max = Math.max(1, ...completed.map((c, i) => c + failed[i]!));
  const [w, h, left, bottom, top] = [1100, 140, 44, 18, 8];
  const plot = h - bottom - top;
  const step = (w - left) / count;
  const bars = completed.map((c, i) => {
    const x = (left + i * step + 1).toFixed(1);
    const width = Math.max(1, step - 2).toFixed(1);
    const hc = (c / max) * plot;
    const hf = (failed[i]! / max) * plot;
    return html`${c > 0 && html`<rect class="completed" x="${x}" y="${(h - bottom - hc).toFixed(1)}" width="${width}" height="${hc.toFixed(1)}"><title>${c} completed</title></rect>`}${
      failed[i]! > 0 &&
      html`<rect
        class="failed"
        x="${x}"
        y="${(h - bottom - hc - hf).toFixed(1)}"
        width="${width}"
        height="${hf.toFixed(1)}"
        ><title>${failed[i]} failed</title></rect
      >`
    }`;
  });
  const totalCompleted = completed.reduce((a, b) => a + b, 0);
  const totalFailed = failed.reduce((a, b) => a + b, 0);
  const minutes = Math.round((count * bucketMs) / 60_000);
  return html`<svg
      class="chart"
      viewBox="0 0 ${w} ${h}"
      width="100%"
      role="img"
      aria-label="${totalCompleted} completed and ${totalFailed} failed in the last ${minutes} minutes"
      data-completed="${totalCompleted}"
      data-failed="${totalFailed}"
    >
      <line class="axis" x1="${left}" y1="${h - bottom}" x2="${w}" y2="${h - bottom}"></line>
      <line class="axis" x1="${left}" y1="${top}" x2="${left}" y2="${h - bottom}"></line>
      <text x="2" y="${top + 8}">${formatCount(max)}</text>
      <text x="2" y="${h - bottom}">0</text>
      <text x="${left}" y="${h - 4}">-${minutes}m</text>
      <text x="${w - 24}" y="${h - 4}">now</text>
      ${bars}
    </svg>
    <div class="legend">
      <span><i class="dot completed"></i>completed ${formatCount(totalCompleted)}</span
      ><span><i class="dot failed"></i>failed ${formatCount(totalFailed)}</span
      ><span class="muted">per ${formatDuration(bucketMs)}</span>
    </div>`;
}
