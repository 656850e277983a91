/** A raw HTTP client for the dashboard tests: unlike fetch, it lets a test set Host, Origin and Cookie. */
import { request } from 'node:http';

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Set-Cookie values as name → value. */
  cookies: Map<string, string>;
}

export function http(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          const cookies = new Map<string, string>();
          for (const line of res.headers['set-cookie'] ?? []) {
            const [pair] = line.split(';');
            const eq = pair!.indexOf('=');
            cookies.set(pair!.slice(0, eq), pair!.slice(eq + 1));
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, cookies });
        });
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A browser-like session: keeps cookies, sends same-origin Origin on POST, reads CSRF tokens from forms. */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(readonly origin: string) {}

  async get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
    return this.#send('GET', path, headers);
  }

  /** POSTs a form; `csrf: true` takes the token from the last page this browser loaded. */
  async post(
    path: string,
    fields: Record<string, string>,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    return this.#send(
      'POST',
      path,
      { 'content-type': 'application/x-www-form-urlencoded', origin: this.origin, ...headers },
      new URLSearchParams(fields).toString(),
    );
  }

  async csrfFrom(path: string): Promise<string> {
    const page = await this.get(path);
    const match = /name="csrf" value="([^"]+)"/.exec(page.body);
    if (!match) throw new Error(`no CSRF token on ${path} (status ${page.status})`);
    return match[1]!;
  }

  async #send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<Reply> {
    const cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const reply = await http(`${this.origin}${path}`, {
      method,
      headers: { ...(cookie ? { cookie } : {}), ...headers },
      ...(body !== undefined ? { body } : {}),
    });
    for (const [name, value] of reply.cookies) {
      if (value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return reply;
  }
}

/** Markup with whitespace between tags removed and runs of whitespace made one space, for matching. */
export function squash(markup: string): string {
  return markup
    .replace(/>\s+</g, '><')
    .replace(/\s+/g, ' ')
    .replace(/\s+>/g, '>')
    .replace(/ \/>/g, '>');
}
