/**
 * createDashboardHandler: the dashboard as one Node request handler, to run on its own
 * (`holdfast dashboard`) or mount in Node http, Express, Fastify or Hono under a path prefix.
 *
 * Every request passes the same gates, in this order: is it ours (path prefix) → security
 * headers → Host allow-list (421) → method → static assets → login → token → GET routes, or
 * for POST: read-only (403) → same Origin (403) → CSRF token (403) → action.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { JobQueue } from '../client.js';
import { ValidationError } from '../errors.js';
import { createMetrics, type HoldfastMetrics } from '../metrics/metrics.js';
import { LIVE_SCRIPT } from './assets/live-script.js';
import { STYLE } from './assets/style.js';
import { Guard } from './auth.js';
import { describeError, HttpError, readForm, redirect, send, sendJson } from './http.js';
import { errorPage, type Flash, type PageContext } from './pages/layout.js';
import { loginPage } from './pages/forms.js';
import { match, type DashboardRequest } from './request.js';
import { actions } from './routes-actions.js';
import { apiRoutes } from './routes-api.js';
import { pageRoutes } from './routes-pages.js';
import { HostAllowList, sameOrigin, setSecurityHeaders } from './security.js';

export interface DashboardOptions {
  /** Path prefix the dashboard is mounted under, e.g. `/admin/queue`. Default: Express's `req.baseUrl`, else none. */
  basePath?: string;
  /** Require this token (Bearer header or the login form). Default: none (fine on 127.0.0.1 only). */
  token?: string;
  /** Hide and refuse every action (retry, cancel). Default false. */
  readOnly?: boolean;
  /** Host names besides localhost/127.0.0.1/::1 that requests may address (your proxy's name); `*` allows any. */
  allowedHosts?: string[];
  /** Serve /metrics from these metrics, or not at all (`false`). Default: metrics of `queue`, created here. */
  metrics?: HoldfastMetrics | false;
  /** How often live pages refresh, in ms; 0 turns it off. Default 2,000. */
  liveIntervalMs?: number;
  /** The address the server binds (set by `startDashboard`); allowed as a Host. */
  boundHost?: string;
}

export type DashboardHandler = ((
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void) & {
  /** The metrics served at /metrics (null when turned off). */
  readonly metrics: HoldfastMetrics | null;
  /** Detaches the metrics' event listeners (the queue itself is left open). */
  close(): void;
};

const ASSETS: Record<string, { type: string; body: string }> = {
  '/assets/dashboard.css': { type: 'text/css; charset=utf-8', body: STYLE },
  '/assets/dashboard.js': { type: 'text/javascript; charset=utf-8', body: LIVE_SCRIPT },
};

/** `what` names the input in the error (the CLI passes `--base-path`). */
export function normaliseBasePath(basePath: string, what = '`basePath`'): string {
  if (typeof basePath !== 'string' || !/^(\/[\w.~-]+)*\/?$/.test(basePath)) {
    throw new ValidationError(
      `Expected ${what} to be a path like /admin/queue (letters, digits, . _ ~ -), got ${JSON.stringify(basePath)}`,
    );
  }
  return basePath.replace(/\/$/, '');
}

export function createDashboardHandler(
  queue: JobQueue,
  options: DashboardOptions = {},
): DashboardHandler {
  const fixedBase =
    options.basePath === undefined ? undefined : normaliseBasePath(options.basePath);
  const hosts = new HostAllowList(options.boundHost, options.allowedHosts ?? []);
  const guard = new Guard(options.token);
  const metrics = options.metrics === false ? null : (options.metrics ?? createMetrics(queue));
  const ownsMetrics = options.metrics === undefined;
  const liveIntervalMs = options.liveIntervalMs ?? 2_000;
  const readOnly = options.readOnly === true;

  const handler = (
    req: IncomingMessage,
    res: ServerResponse,
    next?: (error?: unknown) => void,
  ): void => {
    const raw = (req as { originalUrl?: string }).originalUrl ?? req.url ?? '/';
    const q = raw.indexOf('?');
    const fullPath = q === -1 ? raw : raw.slice(0, q);
    const base = fixedBase ?? normaliseBasePath((req as { baseUrl?: string }).baseUrl ?? '');
    if (fullPath !== base && !fullPath.startsWith(`${base}/`)) {
      if (next) return next();
      send(res, 404, 'text/plain; charset=utf-8', 'Not found\n');
      return;
    }
    const path = fullPath.slice(base.length) || '/';
    const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
    handle(req, res, base, path, query).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error\n');
      else res.destroy();
      console.error('holdfast dashboard:', error);
    });
  };

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    base: string,
    path: string,
    query: URLSearchParams,
  ): Promise<void> {
    setSecurityHeaders(res);
    if (!hosts.allows(req.headers.host)) {
      // DNS rebinding: a page on another name that resolves to us must not read our answers.
      send(
        res,
        421,
        'text/plain; charset=utf-8',
        `Host ${JSON.stringify(req.headers.host ?? '')} is not allowed; add it with allowedHosts / --allowed-host\n`,
      );
      return;
    }
    const method = req.method ?? 'GET';
    if (method !== 'GET' && method !== 'HEAD' && method !== 'POST') {
      send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed\n', {
        Allow: 'GET, HEAD, POST',
      });
      return;
    }
    const asset = ASSETS[path];
    if (asset && method !== 'POST') {
      send(res, 200, asset.type, asset.body);
      return;
    }

    const cookiePath = base || '/';
    const secure =
      Boolean((req.socket as { encrypted?: boolean }).encrypted) ||
      req.headers['x-forwarded-proto'] === 'https';
    const cookies: string[] = [];
    const csrf = guard.csrf(req, cookiePath, secure);
    if (csrf.setCookie) cookies.push(csrf.setCookie);
    const ctx: PageContext = {
      base,
      readOnly,
      csrf: csrf.token,
      flash: null,
      authRequired: guard.tokenRequired,
      liveIntervalMs,
    };
    const request: DashboardRequest = { req, res, queue, path, query, ctx };
    const kind = path.startsWith('/api/') ? 'api' : path === '/metrics' ? 'metrics' : 'page';
    const fail = (status: number, message: string, headers: Record<string, string> = {}): void => {
      res.setHeader('Set-Cookie', cookies);
      if (kind === 'api') {
        for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
        sendJson(res, status, { error: message, status });
      } else if (kind === 'metrics')
        send(res, status, 'text/plain; charset=utf-8', `${message}\n`, headers);
      else
        send(
          res,
          status,
          'text/html; charset=utf-8',
          errorPage(ctx, status, message).toString(),
          headers,
        );
    };

    try {
      if (
        method === 'POST' &&
        !(sameOrigin(req) && guard.checkCsrf(req, (await readForm(req)).get('csrf')))
      ) {
        // Checked before anything else a POST does, login included (no login CSRF).
        throw new HttpError(
          403,
          'Refused: this form did not come from this dashboard (Origin or CSRF token missing or wrong). Reload the page and try again.',
        );
      }
      if (path === '/login') return await login(request, method, cookies, secure);
      if (!guard.isAuthenticated(req)) {
        if (kind === 'page' && method !== 'POST') {
          res.setHeader('Set-Cookie', cookies);
          return redirect(res, `${base}/login`);
        }
        return fail(401, 'A token is required: send `Authorization: Bearer <token>` or log in', {
          'WWW-Authenticate': 'Bearer',
        });
      }
      if (method === 'POST') return await post(request, cookies, secure);

      if (kind === 'metrics') {
        if (!metrics) return fail(404, 'Metrics are turned off for this dashboard');
        return send(res, 200, metrics.contentType, await metrics.text());
      }
      if (kind === 'page' && !req.headers['x-holdfast-live']) {
        const { flash, clear } = guard.takeFlash(req, cookiePath, secure);
        ctx.flash = flash;
        if (clear) cookies.push(clear);
      }
      res.setHeader('Set-Cookie', cookies);
      const found = match(kind === 'api' ? apiRoutes : pageRoutes, path);
      if (!found)
        return fail(
          404,
          `Not found: ${kind === 'api' ? 'no such API route' : 'no such page'} (${path})`,
        );
      await found.route.handle(request, found.params);
    } catch (error) {
      const { status, message } = describeError(error);
      if (status === 500) console.error('holdfast dashboard:', error);
      fail(status, message);
    }
  }

  async function login(
    request: DashboardRequest,
    method: string,
    cookies: string[],
    secure: boolean,
  ): Promise<void> {
    const { req, res, ctx } = request;
    const cookiePath = ctx.base || '/';
    if (!guard.tokenRequired) {
      res.setHeader('Set-Cookie', cookies);
      return redirect(res, `${ctx.base}/`);
    }
    if (method === 'POST') {
      // readForm returns the already-read body: the CSRF check consumed the stream and cached it.
      const form = await readForm(req);
      if (guard.checkToken(form.get('token') ?? '')) {
        cookies.push(guard.sessionCookie(cookiePath, secure));
        res.setHeader('Set-Cookie', cookies);
        return redirect(res, `${ctx.base}/`);
      }
      res.setHeader('Set-Cookie', cookies);
      return send(res, 401, 'text/html; charset=utf-8', loginPage(ctx, true).toString());
    }
    res.setHeader('Set-Cookie', cookies);
    send(res, 200, 'text/html; charset=utf-8', loginPage(ctx, false).toString());
  }

  async function post(
    request: DashboardRequest,
    cookies: string[],
    secure: boolean,
  ): Promise<void> {
    const { req, res, ctx, path } = request;
    const cookiePath = ctx.base || '/';
    if (path === '/logout') {
      cookies.push(guard.clearSessionCookie(cookiePath, secure));
      res.setHeader('Set-Cookie', cookies);
      return redirect(res, `${ctx.base}/login`);
    }
    if (readOnly) throw new HttpError(403, 'This dashboard is read-only: actions are turned off');
    const found = match(actions, path);
    if (!found) throw new HttpError(404, `Not found: no action at ${path}`);
    const form = await readForm(req);
    let flash: Flash;
    let location: string;
    if (form.get('confirm') !== 'yes') {
      flash = { kind: 'error', text: 'Nothing was done: tick the confirmation box first.' };
      location = found.route.confirmPath(found.params);
    } else {
      ({ flash, location } = await found.route.run(request, found.params));
    }
    cookies.push(guard.flashCookie(flash, cookiePath, secure));
    res.setHeader('Set-Cookie', cookies);
    redirect(res, `${ctx.base}${location}`);
  }

  return Object.assign(handler, {
    metrics,
    close: () => {
      if (ownsMetrics) metrics?.close();
    },
  });
}
