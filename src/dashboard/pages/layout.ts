/** The frame of every page: head, navigation, flash message, live-status line. */
import { html, type HtmlValue, type SafeHtml } from '../html.js';

export interface Flash {
  kind: 'ok' | 'error' | 'info';
  text: string;
}

/** What every page needs to know about the request it answers. */
export interface PageContext {
  /** Mount path without trailing slash: '' or e.g. '/admin/queue'. */
  base: string;
  readOnly: boolean;
  /** The CSRF token to put in forms. */
  csrf: string;
  flash: Flash | null;
  /** A token protects this dashboard (shows the log-out button). */
  authRequired: boolean;
  /** Poll interval of live pages in ms; 0 turns live updates off. */
  liveIntervalMs: number;
}

/** A link inside the dashboard: `path` is ours (never user data), query values are encoded. */
export function href(
  ctx: PageContext,
  path: string,
  query: Record<string, string | null | undefined> = {},
): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(name, value);
  const search = params.toString();
  return `${ctx.base}${path}${search ? `?${search}` : ''}`;
}

/** A path segment from data (a queue name, an id). */
export function segment(value: string): string {
  return encodeURIComponent(value);
}

export function csrfField(ctx: PageContext): SafeHtml {
  return html`<input type="hidden" name="csrf" value="${ctx.csrf}" />`;
}

export function page(
  ctx: PageContext,
  options: { title: string; body: HtmlValue; live?: boolean },
): SafeHtml {
  const live = options.live !== false && ctx.liveIntervalMs > 0;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} · holdfast</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href="${ctx.base}/assets/dashboard.css" />
        <script src="${ctx.base}/assets/dashboard.js" defer></script>
      </head>
      <body data-live-interval="${live ? ctx.liveIntervalMs : 0}">
        <header class="top">
          <a class="brand" href="${ctx.base}/">holdfast</a>
          <a href="${ctx.base}/">Overview</a>
          <a href="${ctx.base}/batches">Batches</a>
          <a href="${ctx.base}/jobs">Jobs</a>
          <form class="inline" method="get" action="${ctx.base}/jobs">
            <input
              type="search"
              name="key"
              placeholder="key (address)"
              aria-label="Search jobs by key"
            />
          </form>
          <span class="right"
            ><span id="live-status">${live ? 'live' : ''}</span
            >${ctx.readOnly ? ' · read-only' : ''}</span
          >
          ${
            ctx.authRequired &&
            html`<form class="inline" method="post" action="${ctx.base}/logout">
              ${csrfField(ctx)}<button type="submit">Log out</button>
            </form>`
          }
        </header>
        <main>
          ${ctx.flash && html`<div class="flash ${ctx.flash.kind}" role="status">${ctx.flash.text}</div>`}
          ${options.body}
        </main>
      </body>
    </html>`;
}

export function errorPage(ctx: PageContext, status: number, message: string): SafeHtml {
  return page(ctx, {
    title: `Error ${status}`,
    live: false,
    body: html`<h1>Error ${status}</h1>
      <div class="flash error">${message}</div>
      <p><a href="${ctx.base}/">Back to the overview</a></p>`,
  });
}
