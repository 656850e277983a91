/** Token check (Bearer header or session cookie), sessions, CSRF tokens and flash cookies. */
import type { IncomingMessage } from 'node:http';
import type { Flash } from './pages/layout.js';
import { cookie, newNonce, parseCookies, safeEqual, Signer } from './security.js';

const SESSION = 'holdfast_session';
const CSRF = 'holdfast_csrf';
const FLASH = 'holdfast_flash';
/** A login lasts a working day; the process secret also ends it on restart. */
const SESSION_S = 12 * 3600;

export class Guard {
  readonly #token: string | null;
  readonly #signer = new Signer();

  constructor(token: string | undefined) {
    this.#token = token ? token : null;
  }

  get tokenRequired(): boolean {
    return this.#token !== null;
  }

  checkToken(given: string): boolean {
    return this.#token !== null && safeEqual(given, this.#token);
  }

  isAuthenticated(req: IncomingMessage): boolean {
    if (this.#token === null) return true;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    if (bearer) return this.checkToken(bearer[1]!);
    const session = this.#signer.unseal('session', parseCookies(req.headers.cookie).get(SESSION));
    return session !== null && Number(session) > Date.now();
  }

  sessionCookie(path: string, secure: boolean): string {
    return withSecure(
      cookie(
        SESSION,
        this.#signer.seal('session', String(Date.now() + SESSION_S * 1000)),
        path,
        SESSION_S,
      ),
      secure,
    );
  }

  clearSessionCookie(path: string, secure: boolean): string {
    return withSecure(cookie(SESSION, '', path, 0), secure);
  }

  /** The form token for this browser, and the cookie to set when the browser has no nonce yet. */
  csrf(
    req: IncomingMessage,
    path: string,
    secure: boolean,
  ): { token: string; setCookie: string | null } {
    const existing = parseCookies(req.headers.cookie).get(CSRF);
    const nonce = existing && /^[\w-]{16,64}$/.test(existing) ? existing : newNonce();
    return {
      token: this.#signer.sign('csrf', nonce),
      setCookie: nonce === existing ? null : withSecure(cookie(CSRF, nonce, path), secure),
    };
  }

  /** Signed double submit: the form's token must be the HMAC of this browser's cookie nonce. */
  checkCsrf(req: IncomingMessage, token: string | null): boolean {
    const nonce = parseCookies(req.headers.cookie).get(CSRF);
    return Boolean(nonce && token) && this.#signer.verify('csrf', nonce!, token!);
  }

  flashCookie(flash: Flash, path: string, secure: boolean): string {
    return withSecure(
      cookie(FLASH, this.#signer.seal('flash', JSON.stringify(flash)), path, 60),
      secure,
    );
  }

  /** The flash message left by the last action, and the cookie that clears it. */
  takeFlash(
    req: IncomingMessage,
    path: string,
    secure: boolean,
  ): { flash: Flash | null; clear: string | null } {
    const sealed = parseCookies(req.headers.cookie).get(FLASH);
    if (sealed === undefined) return { flash: null, clear: null };
    const clear = withSecure(cookie(FLASH, '', path, 0), secure);
    const text = this.#signer.unseal('flash', sealed);
    try {
      const flash = text === null ? null : (JSON.parse(text) as Flash);
      return { flash, clear };
    } catch {
      return { flash: null, clear };
    }
  }
}

function withSecure(value: string, secure: boolean): string {
  return secure ? `${value}; Secure` : value;
}
