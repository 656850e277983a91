/**
 * One GET over node:http/https with every limit an untrusted source needs: a connect/idle
 * timeout, a total deadline (a server dripping one byte a second never trips an idle timeout),
 * a redirect limit with loop detection, a byte limit that cuts the download off mid-stream, and
 * the SSRF guard on the resolved address of every connection, redirects included.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { ipLiteralFamily } from './address-guard.js';
import {
  fromNetworkError,
  parseRetryAfter,
  permanent,
  transient,
  type SourceError,
} from './source-error.js';

export interface FetchLimits {
  /** Largest body; more is cut off and fails the source permanently. */
  maxBytes: number;
  /** No bytes for this long (connecting, waiting for headers, between chunks) fails transiently. */
  idleTimeoutMs: number;
  /** The whole request, redirects included, must finish within this. */
  totalTimeoutMs: number;
  maxRedirects: number;
  /** Whether we may connect to this resolved IP; see address-guard.ts. */
  allowAddress: (ip: string) => boolean;
  userAgent: string;
  signal?: AbortSignal;
  /** Called once with the first bytes (up to 4 KiB, or the whole body if shorter); may throw to stop early. */
  inspectHead?: (head: Buffer) => void;
}

export interface Fetched {
  /** The URL after redirects. */
  url: string;
  body: Buffer;
  contentType: string | null;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const HEAD_BYTES = 4096;

/** Fetches `url`; throws SourceError (transient or permanent) or the signal's reason. */
export async function fetchHttp(url: URL, limits: FetchLimits): Promise<Fetched> {
  const deadline = Date.now() + limits.totalTimeoutMs;
  const seen = new Set<string>();
  let current = url;
  for (let hop = 0; ; hop++) {
    seen.add(current.href);
    const outcome = await requestOnce(current, limits, deadline);
    if ('body' in outcome) return outcome;
    const next = outcome.redirect;
    if (next.protocol !== 'http:' && next.protocol !== 'https:') {
      throw permanent(`redirect from ${current.href} to unsupported scheme ${next.protocol}`);
    }
    if (seen.has(next.href)) throw permanent(`redirect loop at ${next.href}`);
    if (hop + 1 > limits.maxRedirects)
      throw permanent(`more than ${limits.maxRedirects} redirects from ${url.href}`);
    current = next;
  }
}

function guardedLookup(allowAddress: (ip: string) => boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(
      hostname,
      options,
      (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => {
        if (!error) {
          const list = Array.isArray(address) ? address : [{ address, family: family ?? 4 }];
          const bad = list.find((entry) => !allowAddress(entry.address));
          if (bad) {
            const refused = Object.assign(
              new Error(`${hostname} resolves to private address ${bad.address}`),
              {
                code: 'EHOLDFAST_PRIVATE',
              },
            );
            return (callback as (e: Error) => void)(refused);
          }
        }
        (callback as (e: Error | null, a: unknown, f?: number) => void)(error, address, family);
      },
    );
  };
}

type Outcome = Fetched | { redirect: URL };

function requestOnce(url: URL, limits: FetchLimits, deadline: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    if (limits.signal?.aborted) return reject(limits.signal.reason);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return reject(permanent(`unsupported scheme ${url.protocol} in ${url.href}`));
    }
    if (url.username || url.password)
      return reject(permanent(`credentials in URL refused: ${url.origin}`));
    // net.connect skips the lookup for IP literals, so those are checked here.
    if (
      ipLiteralFamily(url.hostname) !== 0 &&
      !limits.allowAddress(url.hostname.replace(/^\[|\]$/g, ''))
    ) {
      return reject(privateRefused(url.href, url.hostname));
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0)
      return reject(transient(`took longer than ${limits.totalTimeoutMs}ms: ${url.href}`));

    let settled = false;
    const finish = (error: unknown, value?: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(totalTimer);
      limits.signal?.removeEventListener('abort', onAbort);
      if (error) {
        request.destroy();
        reject(error);
      } else resolve(value!);
    };
    const onAbort = () => finish(limits.signal!.reason);
    const totalTimer = setTimeout(
      () => finish(transient(`took longer than ${limits.totalTimeoutMs}ms: ${url.href}`)),
      remaining,
    );
    limits.signal?.addEventListener('abort', onAbort, { once: true });

    const client = url.protocol === 'https:' ? https : http;
    const request = client.get(url, {
      agent: false, // a fresh connection per request: the guarded lookup runs every time
      lookup: guardedLookup(limits.allowAddress),
      headers: { 'user-agent': limits.userAgent, accept: '*/*', 'accept-encoding': 'identity' },
    });
    request.setTimeout(limits.idleTimeoutMs, () =>
      finish(transient(`no data for ${limits.idleTimeoutMs}ms from ${url.href}`)),
    );
    request.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EHOLDFAST_PRIVATE') finish(privateRefused(url.href, error.message));
      else finish(fromNetworkError(error, url.href));
    });
    request.once('response', (response) => {
      const status = response.statusCode ?? 0;
      if (REDIRECTS.has(status)) {
        response.resume();
        const location = response.headers.location;
        if (!location) return finish(permanent(`HTTP ${status} without Location from ${url.href}`));
        let next: URL;
        try {
          next = new URL(location, url);
        } catch {
          return finish(
            permanent(`HTTP ${status} to an invalid Location ${JSON.stringify(location)}`),
          );
        }
        return finish(null, { redirect: next });
      }
      if (status < 200 || status > 299) {
        response.resume();
        return finish(statusError(status, response, url.href));
      }
      const declared = Number(response.headers['content-length']);
      if (Number.isFinite(declared) && declared > limits.maxBytes) {
        return finish(
          permanent(
            `too large: ${declared} bytes, over the limit of ${limits.maxBytes} (${url.href})`,
          ),
        );
      }
      readBody(response, url, limits, (error, body) =>
        error
          ? finish(error)
          : finish(null, {
              url: url.href,
              body: body!,
              contentType: response.headers['content-type'] ?? null,
            }),
      );
    });
  });
}

function readBody(
  response: IncomingMessage,
  url: URL,
  limits: FetchLimits,
  done: (error: unknown, body?: Buffer) => void,
): void {
  const chunks: Buffer[] = [];
  let bytes = 0;
  let inspected = !limits.inspectHead;
  const inspect = (): boolean => {
    if (inspected) return true;
    inspected = true;
    try {
      limits.inspectHead!(Buffer.concat(chunks).subarray(0, HEAD_BYTES));
      return true;
    } catch (error) {
      done(error);
      return false;
    }
  };
  response.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > limits.maxBytes) {
      response.destroy();
      return done(
        permanent(`too large: more than ${limits.maxBytes} bytes, cut off (${url.href})`),
      );
    }
    chunks.push(chunk);
    if (!inspected && bytes >= HEAD_BYTES && !inspect()) response.destroy();
  });
  response.once('end', () => {
    if (!inspect()) return;
    done(null, Buffer.concat(chunks, bytes));
  });
  response.once('close', () => {
    if (!response.complete) done(transient(`connection closed mid-body by ${url.host}`));
  });
  response.once('error', (error) => done(fromNetworkError(error, url.href)));
}

function statusError(status: number, response: IncomingMessage, href: string): SourceError {
  if (status === 429 || status === 503) {
    return transient(
      `HTTP ${status} from ${href}`,
      parseRetryAfter(response.headers['retry-after']),
    );
  }
  if (status === 408 || status === 425 || status >= 500)
    return transient(`HTTP ${status} from ${href}`);
  return permanent(`HTTP ${status} from ${href}`);
}

function privateRefused(href: string, detail: string): SourceError {
  return permanent(
    `refused private address (${detail}) for ${href}; pass --allow-private-hosts (allowPrivateHosts) for local mirrors`,
  );
}
