/**
 * The dashboard's security rules, each small and testable:
 * - token: compared in constant time (timingSafeEqual over SHA-256 digests, so lengths never leak);
 * - Host allow-list against DNS rebinding (a page on evil.example resolving to 127.0.0.1);
 * - CSRF: signed double-submit (cookie nonce + HMAC of it in the form) plus an Origin/Referer check;
 * - response headers: strict CSP, nosniff, no referrer, no framing.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

export function setSecurityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'same-origin');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
}

/** Constant-time string equality: both sides are hashed first, so neither content nor length leaks. */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a, 'utf8').digest();
  const right = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(left, right);
}

/** 127.0.0.0/8, ::1 and localhost: addresses other machines cannot reach. */
export function isLoopback(host: string): boolean {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || name === '0:0:0:0:0:0:0:1';
  return false;
}

/** The host name of a Host header, without port or IPv6 brackets, lower case; null when malformed. */
export function hostName(header: string | undefined): string | null {
  if (!header) return null;
  const text = header.trim().toLowerCase();
  const match =
    /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(text) ?? /^([a-z0-9._-]+)(?::\d{1,5})?$/.exec(text);
  return match ? match[1]!.replace(/\.$/, '') : null;
}

/**
 * Host names a request may be addressed to. Loopback names are always allowed; `bound` (the
 * address the server listens on) and `extra` (a proxy's public name) are added. Bound to every
 * interface (0.0.0.0 or ::), this machine's addresses and host name count as bound: a rebinding
 * attack needs a name of the attacker's, never one of ours. `*` in `extra` allows any Host:
 * only for a proxy that checks Host itself.
 */
export class HostAllowList {
  readonly #names = new Set(['localhost', '127.0.0.1', '::1']);
  readonly #any: boolean;

  constructor(bound: string | undefined, extra: readonly string[] = []) {
    if (bound === '0.0.0.0' || bound === '::') {
      this.#names.add(hostname().toLowerCase());
      for (const addresses of Object.values(networkInterfaces())) {
        for (const { address } of addresses ?? []) this.#names.add(address.toLowerCase());
      }
    } else if (bound) this.#names.add(hostName(bound) ?? bound.toLowerCase());
    for (const name of extra)
      if (name !== '*') this.#names.add(hostName(name) ?? name.toLowerCase());
    this.#any = extra.includes('*');
  }

  allows(hostHeader: string | undefined): boolean {
    const name = hostName(hostHeader);
    if (name === null) return false;
    return this.#any || this.#names.has(name) || isLoopback(name);
  }
}

/**
 * A POST must come from a page of this dashboard: its Origin (or, when a browser omits Origin,
 * its Referer) must name the same host as the request. A request with neither is refused, since
 * every browser that submits a form sends at least one of them.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const host = req.headers.host?.toLowerCase();
  const source = req.headers.origin ?? req.headers.referer;
  if (!host || !source || source === 'null') return false;
  try {
    return new URL(source).host.toLowerCase() === host;
  } catch {
    return false;
  }
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}

export function cookie(name: string, value: string, path: string, maxAgeS?: number): string {
  const age = maxAgeS === undefined ? '' : `; Max-Age=${maxAgeS}`;
  return `${name}=${value}; Path=${path}; HttpOnly; SameSite=Strict${age}`;
}

/**
 * Per-process secret for CSRF tokens, sessions and flash messages. A restart invalidates them
 * all: users log in again, which is the price of keeping no state on disk.
 */
export class Signer {
  readonly #secret: Buffer;

  constructor(secret: Buffer = randomBytes(32)) {
    this.#secret = secret;
  }

  sign(purpose: string, value: string): string {
    return createHmac('sha256', this.#secret)
      .update(`${purpose}\u0000${value}`)
      .digest('base64url');
  }

  verify(purpose: string, value: string, signature: string): boolean {
    return safeEqual(this.sign(purpose, value), signature);
  }

  /** `value.signature`, for cookies that must not be forged (flash messages, sessions). */
  seal(purpose: string, value: string): string {
    const body = Buffer.from(value, 'utf8').toString('base64url');
    return `${body}.${this.sign(purpose, body)}`;
  }

  unseal(purpose: string, sealed: string | undefined): string | null {
    if (!sealed) return null;
    const dot = sealed.lastIndexOf('.');
    if (dot <= 0) return null;
    const body = sealed.slice(0, dot);
    if (!this.verify(purpose, body, sealed.slice(dot + 1))) return null;
    return Buffer.from(body, 'base64url').toString('utf8');
  }
}

export function newNonce(): string {
  return randomBytes(18).toString('base64url');
}
