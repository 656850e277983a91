import { hostname, networkInterfaces } from 'node:os';
import { Parser } from 'htmlparser2';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ValidationError } from '../../src/errors.js';
import { html } from '../../src/dashboard/html.js';
import { startDashboard } from '../../src/dashboard/server.js';
import { openTestQueue } from '../helpers/queue.js';
import { openDashboard, seed } from './fixture.js';
import { Browser, http } from './http-client.js';

/** Tag names and attribute names of every element, as a browser's parser would see them. */
function elements(page: string): Array<{ name: string; attributes: Record<string, string> }> {
  const found: Array<{ name: string; attributes: Record<string, string> }> = [];
  const parser = new Parser({ onopentag: (name, attributes) => found.push({ name, attributes }) });
  parser.write(page);
  parser.end();
  return found;
}

describe('html escaper', () => {
  it('escapes every interpolated string, in text and in attributes, and keeps nested html as is', () => {
    const evil = `"><img src=x onerror=alert(1)>'\`&`;
    // Prettier lays out html templates; whitespace between tags is not part of what is tested.
    const out = html`<a title="${evil}">${evil}</a>${html`<b>${evil}</b>`}${[evil, null, false, 3]}`
      .toString()
      .replace(/<\/a\s+>/, '</a>');
    expect(out).toBe(
      '<a title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&#96;&amp;">&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&#96;&amp;</a>' +
        '<b>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&#96;&amp;</b>&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#39;&#96;&amp;3',
    );
  });
});

describe('dashboard security', () => {
  it('refuses requests whose Host is not the bound host or localhost (DNS rebinding) with 421', async () => {
    const { queue, dashboard, origin } = await openDashboard();
    await seed(queue);
    for (const host of [
      'evil.example',
      `evil.example:${dashboard.port}`,
      '127.0.0.1.nip.io',
      'bad host name',
    ]) {
      for (const path of ['/', '/api/overview', '/metrics']) {
        const reply = await http(`${origin}${path}`, { headers: { host } });
        expect(reply.status, `${host} ${path}`).toBe(421);
        expect(reply.body).not.toContain('images');
      }
    }
    for (const host of [
      `127.0.0.1:${dashboard.port}`,
      `localhost:${dashboard.port}`,
      'LOCALHOST',
      `[::1]:${dashboard.port}`,
    ]) {
      expect((await http(`${origin}/api/overview`, { headers: { host } })).status, host).toBe(200);
    }
  });

  it('accepts configured allowedHosts, and nothing else', async () => {
    const { origin } = await openDashboard({ allowedHosts: ['queue.internal.example'] });
    expect(
      (await http(`${origin}/`, { headers: { host: 'queue.internal.example:4600' } })).status,
    ).toBe(200);
    expect((await http(`${origin}/`, { headers: { host: 'other.internal.example' } })).status).toBe(
      421,
    );
  });

  it('bound to 0.0.0.0, accepts this machine’s own addresses as Host and still refuses others', async () => {
    const { queue } = await openTestQueue();
    const token = 'a-long-secret-token';
    const open = await startDashboard(queue, { host: '0.0.0.0', port: 0, token });
    onTestFinished(() => open.close());
    const own = Object.values(networkInterfaces())
      .flat()
      .map((entry) => entry!.address)
      .filter((address) => !address.startsWith('127.') && address !== '::1');
    const headers = { authorization: `Bearer ${token}` };
    for (const address of [...own, hostname()]) {
      const host = address.includes(':') ? `[${address}]:${open.port}` : `${address}:${open.port}`;
      const reply = await http(`http://127.0.0.1:${open.port}/api/overview`, {
        headers: { ...headers, host },
      });
      expect(reply.status, host).toBe(200);
    }
    const evil = await http(`http://127.0.0.1:${open.port}/api/overview`, {
      headers: { ...headers, host: `evil.example:${open.port}` },
    });
    expect(evil.status).toBe(421);
  });

  it('refuses to start on a non-loopback address without a token, and starts with one', async () => {
    const { queue } = await openTestQueue();
    for (const host of ['0.0.0.0', '::', '192.168.1.20']) {
      await expect(startDashboard(queue, { host, port: 0 })).rejects.toThrow(ValidationError);
      await expect(startDashboard(queue, { host, port: 0 })).rejects.toThrow(
        /Refusing to serve the dashboard on .* without a token/,
      );
    }
    const open = await startDashboard(queue, {
      host: '0.0.0.0',
      port: 0,
      token: 'a-long-secret-token',
    });
    onTestFinished(() => open.close());
    const reply = await http(`http://127.0.0.1:${open.port}/api/overview`);
    expect(reply.status).toBe(401);
  });

  it('refuses a POST from another origin, without Origin/Referer, or without a valid CSRF token; the job is unchanged', async () => {
    const { queue, browser, origin } = await openDashboard();
    const s = await seed(queue);
    const csrf = await browser.csrfFrom(`/jobs/${s.failedId}/retry`);
    const path = `/jobs/${s.failedId}/retry`;
    const attempts: Array<[string, Record<string, string>, Record<string, string>]> = [
      ['cross-origin', { csrf, confirm: 'yes' }, { origin: 'http://evil.example' }],
      [
        'cross-origin referer',
        { csrf, confirm: 'yes' },
        { origin: '', referer: 'http://evil.example/page' },
      ],
      ['null origin', { csrf, confirm: 'yes' }, { origin: 'null' }],
      ['no CSRF token', { confirm: 'yes' }, {}],
      ['wrong CSRF token', { csrf: 'x'.repeat(43), confirm: 'yes' }, {}],
    ];
    for (const [what, fields, headers] of attempts) {
      const sent = Object.fromEntries(Object.entries(headers).filter(([, v]) => v !== ''));
      const reply = await browser.post(
        path,
        fields,
        headers.origin === '' ? { ...sent, origin: '' } : sent,
      );
      expect(reply.status, what).toBe(403);
      expect(reply.body, what).toContain('did not come from this dashboard');
    }
    // No Origin and no Referer at all (a raw client): refused.
    const bare = await http(`${origin}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        cookie: [...browser.cookies].map(([n, v]) => `${n}=${v}`).join('; '),
      },
      body: new URLSearchParams({ csrf, confirm: 'yes' }).toString(),
    });
    expect(bare.status).toBe(403);
    // A token from another browser (its own cookie nonce) does not fit this browser's cookie.
    const other = new Browser(origin);
    const otherCsrf = await other.csrfFrom(path);
    expect((await browser.post(path, { csrf: otherCsrf, confirm: 'yes' })).status).toBe(403);
    expect((await queue.getOrThrow(s.failedId)).status).toBe('failed');
    // Same-origin Referer without Origin is accepted, as browsers that omit Origin send one.
    const viaReferer = await http(`${origin}${path}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        referer: `${origin}${path}`,
        cookie: [...browser.cookies].map(([n, v]) => `${n}=${v}`).join('; '),
      },
      body: new URLSearchParams({ csrf, confirm: 'yes' }).toString(),
    });
    expect(viaReferer.status).toBe(303);
    expect((await queue.getOrThrow(s.failedId)).status).toBe('pending');
  });

  it('sets the CSRF cookie HttpOnly and SameSite=Strict', async () => {
    const { origin } = await openDashboard();
    const reply = await http(`${origin}/`);
    const cookie = ([] as string[])
      .concat(reply.headers['set-cookie'] ?? [])
      .find((c) => c.startsWith('holdfast_csrf='));
    expect(cookie).toMatch(/; Path=\/; HttpOnly; SameSite=Strict$/);
  });

  it('needs the confirmation box, reports the outcome, and a double-clicked retry makes one new attempt', async () => {
    const { queue, browser } = await openDashboard();
    const s = await seed(queue);
    const path = `/jobs/${s.failedId}/retry`;
    const csrf = await browser.csrfFrom(path);

    const unticked = await browser.post(path, { csrf });
    expect([unticked.status, unticked.headers.location]).toEqual([303, path]);
    expect((await browser.get(path)).body).toContain(
      'Nothing was done: tick the confirmation box first.',
    );
    expect((await queue.getOrThrow(s.failedId)).status).toBe('failed');

    const [first, second] = await Promise.all([
      browser.post(path, { csrf, confirm: 'yes' }),
      browser.post(path, { csrf, confirm: 'yes' }),
    ]);
    expect([first.status, second.status]).toEqual([303, 303]);
    expect(first.headers.location).toBe(`/jobs/${s.failedId}`);
    const job = await queue.getOrThrow(s.failedId);
    expect(job.status).toBe('pending');
    // Each response carried its own flash; one says retried, the other why nothing happened.
    const flashes = await Promise.all(
      [first, second].map(async (reply) => {
        const b = new Browser(browser.origin);
        b.cookies.set('holdfast_flash', reply.cookies.get('holdfast_flash')!);
        return /class="flash \w+" role="status">([^<]+)</.exec(
          (await b.get(`/jobs/${s.failedId}`)).body,
        )?.[1];
      }),
    );
    expect(flashes.sort()).toEqual([
      `Job ${s.failedId} retried: it is pending again.`,
      `Job ${s.failedId} was not retried: job is pending; only failed or cancelled jobs can be retried.`,
    ]);
    // The flash is shown once.
    await browser.get(`/jobs/${s.failedId}`);
    expect((await browser.get(`/jobs/${s.failedId}`)).body).not.toContain('class="flash');
  });

  it('cancels a job and a batch, and retries the failed jobs of a batch and a queue', async () => {
    const { queue, browser } = await openDashboard();
    const s = await seed(queue);
    const csrf = await browser.csrfFrom(`/jobs/${s.pendingId}/cancel`);
    const cancel = await browser.post(`/jobs/${s.pendingId}/cancel`, { csrf, confirm: 'yes' });
    expect(cancel.headers.location).toBe(`/jobs/${s.pendingId}`);
    expect((await queue.getOrThrow(s.pendingId)).status).toBe('cancelled');
    expect((await browser.get(`/jobs/${s.pendingId}`)).body).toContain(
      `Job ${s.pendingId} cancelled.`,
    );

    await browser.post(`/batches/${s.batchId}/retry`, { csrf, confirm: 'yes' });
    expect((await browser.get(`/batches/${s.batchId}`)).body).toContain(
      'Retried 1 failed job of batch import-1.',
    );
    expect((await queue.getOrThrow(s.failedId)).status).toBe('pending');

    await browser.post(`/batches/${s.batchId}/cancel`, { csrf, confirm: 'yes' });
    expect((await browser.get(`/batches/${s.batchId}`)).body).toContain(
      'Cancelled 1 job of batch import-1.',
    );
    expect((await queue.getOrThrow(s.failedId)).status).toBe('cancelled');

    await browser.post('/queues/email/retry', { csrf, confirm: 'yes' });
    expect((await browser.get('/queues/email')).body).toContain(
      'Retried 0 failed jobs of queue email.',
    );
    expect((await browser.post('/jobs/abc/retry', { csrf, confirm: 'yes' })).status).toBe(400);
    expect((await browser.post('/jobs/99999/retry', { csrf, confirm: 'yes' })).status).toBe(404);
    expect((await browser.post('/nowhere', { csrf, confirm: 'yes' })).status).toBe(404);
  });

  it('read-only hides every action and refuses them with 403', async () => {
    const { queue, browser } = await openDashboard({ readOnly: true });
    const s = await seed(queue);
    for (const path of [
      '/',
      `/batches/${s.batchId}`,
      '/queues/images',
      `/jobs/${s.failedId}`,
      `/jobs/${s.pendingId}`,
    ]) {
      const body = (await browser.get(path)).body;
      expect(body, path).not.toMatch(/\/(retry|cancel)"/);
      expect(body, path).not.toContain('method="post"');
      expect(body, path).toContain('read-only');
    }
    for (const path of [
      `/jobs/${s.failedId}/retry`,
      `/batches/${s.batchId}/cancel`,
      '/queues/images/retry',
    ]) {
      expect((await browser.get(path)).status, path).toBe(403);
    }
    const csrf = /name="csrf" value="([^"]+)"/.exec(
      (await new Browser(browser.origin).get('/')).body,
    )?.[1];
    expect(csrf).toBeUndefined(); // no form at all on a read-only page
    const token =
      (await browser.get('/')).cookies.get('holdfast_csrf') ??
      browser.cookies.get('holdfast_csrf')!;
    expect(token).toBeTruthy();
    const refused = await browser.post(`/jobs/${s.failedId}/retry`, {
      csrf: 'irrelevant',
      confirm: 'yes',
    });
    expect(refused.status).toBe(403);
    expect((await queue.getOrThrow(s.failedId)).status).toBe('failed');
  });

  it('GET never changes state, not even on action URLs', async () => {
    const { queue, browser } = await openDashboard();
    const s = await seed(queue);
    const before = JSON.parse((await browser.get('/api/jobs?limit=100')).body);
    for (const path of [
      `/jobs/${s.failedId}/retry`,
      `/jobs/${s.pendingId}/cancel`,
      `/batches/${s.batchId}/retry`,
      `/batches/${s.batchId}/cancel`,
      '/queues/images/retry',
      '/logout',
      '/login',
    ]) {
      expect((await browser.get(path)).status, path).toBeLessThan(500);
      expect((await browser.get(`${path}?confirm=yes`)).status, path).toBeLessThan(500);
    }
    expect(JSON.parse((await browser.get('/api/jobs?limit=100')).body)).toEqual(before);
  });

  it('with a token: pages redirect to the login form, API and metrics answer 401, Bearer and the session cookie work', async () => {
    const token = 'correct-horse-battery-staple';
    const { queue, browser, origin } = await openDashboard({ token });
    await seed(queue);
    const page = await http(`${origin}/batches`);
    expect([page.status, page.headers.location]).toEqual([303, '/login']);
    for (const path of ['/api/overview', '/metrics']) {
      const reply = await http(`${origin}${path}`);
      expect(reply.status, path).toBe(401);
      expect(reply.headers['www-authenticate']).toBe('Bearer');
      expect(reply.body).not.toContain('images');
    }
    expect(
      (await http(`${origin}/api/overview`, { headers: { authorization: 'Bearer wrong-token' } }))
        .status,
    ).toBe(401);
    expect(
      (await http(`${origin}/api/overview`, { headers: { authorization: `Bearer ${token}x` } }))
        .status,
    ).toBe(401);
    expect(
      (await http(`${origin}/api/overview`, { headers: { authorization: `Bearer ${token}` } }))
        .status,
    ).toBe(200);
    expect(
      (await http(`${origin}/metrics`, { headers: { authorization: `Bearer ${token}` } })).status,
    ).toBe(200);

    const csrf = await browser.csrfFrom('/login');
    const wrong = await browser.post('/login', { csrf, token: 'nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toContain('That token is not right.');
    expect(browser.cookies.has('holdfast_session')).toBe(false);
    const right = await browser.post('/login', { csrf, token });
    expect([right.status, right.headers.location]).toEqual([303, '/']);
    const setCookie = ([] as string[])
      .concat(right.headers['set-cookie'] ?? [])
      .find((c) => c.startsWith('holdfast_session='));
    expect(setCookie).toMatch(/HttpOnly; SameSite=Strict/);
    expect(setCookie).not.toContain(token);
    expect((await browser.get('/batches')).status).toBe(200);
    // A forged session cookie is refused.
    const forged = new Browser(origin);
    forged.cookies.set(
      'holdfast_session',
      `${Buffer.from(String(Date.now() + 1e9)).toString('base64url')}.AAAA`,
    );
    expect((await forged.get('/batches')).status).toBe(303);

    const out = await browser.post('/logout', { csrf: await browser.csrfFrom('/') });
    expect([out.status, out.headers.location]).toEqual([303, '/login']);
    expect((await browser.get('/batches')).status).toBe(303);
  });

  it('escapes job data everywhere: no element or attribute comes from a key, payload or error', async () => {
    const { queue, browser } = await openDashboard();
    const evil = `<img src=x onerror="alert(1)"><script>alert(2)</script>"'><svg onload=alert(3)>`;
    const { job } = await queue.enqueue(
      `q${evil.slice(0, 20)}`,
      { address: evil },
      { key: evil, batch: evil, maxAttempts: 1 },
    );
    const worker = queue.work(
      job.queue,
      async () => {
        throw new Error(evil);
      },
      { exitWhenEmpty: true, pollInterval: 20 },
    );
    await worker.done;
    const ours = (page: string) =>
      elements(page).filter(
        (e) =>
          e.name === 'script' ||
          e.name === 'img' ||
          Object.keys(e.attributes).some((a) => a.startsWith('on')),
      );
    for (const path of [
      '/',
      '/batches',
      `/batches/${job.batchId}`,
      `/queues/${encodeURIComponent(job.queue)}`,
      `/jobs/${job.id}`,
      `/jobs?key=${encodeURIComponent(evil)}`,
      `/jobs/${job.id}/retry`,
    ]) {
      const page = await browser.get(path);
      expect(page.status, path).toBe(200);
      const risky = ours(page.body);
      expect(risky, path).toEqual([
        { name: 'script', attributes: { src: '/assets/dashboard.js', defer: '' } },
      ]);
      expect(
        elements(page.body).some((e) => e.name === 'svg' && 'onload' in e.attributes),
        path,
      ).toBe(false);
    }
    expect((await browser.get(`/jobs/${job.id}`)).body).toContain(
      '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&lt;script&gt;alert(2)&lt;/script&gt;',
    );
  });
});
