import { existsSync, promises as fs, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  createDefaultExtractor,
  type DefaultExtractorOptions,
} from '../../src/integrations/images/default-extractor.js';
import { SourceError } from '../../src/integrations/images/source-error.js';
import type { ExtractionResult, Property } from '../../src/integrations/images/types.js';
import { tempDir } from '../helpers/tmp.js';
import { gif, jpeg, png } from './fixtures.js';
import { html, send, startServer } from './http-server.js';

const ctx = () => ({ signal: new AbortController().signal, progress: () => {} });

function extractor(out: string, options: DefaultExtractorOptions = {}) {
  return createDefaultExtractor({
    outDir: out,
    allowPrivateHosts: true,
    hostDelayMs: 0,
    ...options,
  });
}

async function extractError(run: Promise<ExtractionResult>): Promise<SourceError> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

function filesIn(dir: string): string[] {
  return readdirSync(dir).sort();
}

describe('default extractor against a local HTTP server', () => {
  it('finds srcset, lazy, og:image and JSON-LD images, resolves relative URLs and stores duplicates once', async () => {
    const out = tempDir();
    const server = await startServer({
      '/listing/1/': html(`
        <meta property="og:image" content="/img/og.png">
        <script type="application/ld+json">{"image":[{"@type":"ImageObject","url":"../../img/ld.gif"}]}</script>
        <img src="thumb.jpg" srcset="thumb.jpg 300w, /img/big.jpg 1200w">
        <img src="data:image/gif;base64,R0lGOD" data-src="lazy.png">
        <img src="/img/same-as-og.png">`),
      '/listing/1/thumb.jpg': send(jpeg(9), 'image/jpeg'),
      '/img/big.jpg': send(jpeg(1), 'image/jpeg'),
      '/img/og.png': send(png(2), 'image/png'),
      '/img/same-as-og.png': send(png(2), 'image/png'),
      '/img/ld.gif': send(gif(3), 'image/gif'),
      '/listing/1/lazy.png': send(png(4), 'image/png'),
    });
    const progress: Array<[number, number]> = [];
    const property: Property = {
      address: '1 Camelback Rd, Phoenix, AZ',
      sources: [server.url('/listing/1/')],
    };
    const result = await extractor(out).extract(property, {
      signal: new AbortController().signal,
      progress: (current, total) => progress.push([current, total]),
    });

    expect(result.saved).toBe(4);
    expect(result.duplicates).toBe(1);
    expect(result.failedSources).toEqual([]);
    expect(server.count('/listing/1/thumb.jpg')).toBe(0); // the srcset's larger candidate was taken
    const stored = result.images.map((image) => image.source).sort();
    expect(stored).toEqual(
      ['/img/big.jpg', '/img/ld.gif', '/img/og.png', '/listing/1/lazy.png'].map((path) =>
        server.url(path),
      ),
    );
    const big = result.images.find((image) => image.source.endsWith('big.jpg'))!;
    expect(big).toMatchObject({
      type: 'jpeg',
      width: 32,
      height: 24,
      bytes: jpeg(1).length,
      file: `${big.sha256}.jpg`,
    });
    expect(result.images.find((image) => image.source.endsWith('og.png'))!.alsoFrom).toEqual([
      server.url('/img/same-as-og.png'),
    ]);
    expect(filesIn(result.folder)).toEqual(
      [...result.images.map((image) => image.file), 'manifest.json'].sort(),
    );
    const manifest = JSON.parse(await fs.readFile(join(result.folder, 'manifest.json'), 'utf8'));
    expect(manifest.images).toEqual(result.images);
    expect(manifest.sources[server.url('/listing/1/')]).toEqual({
      status: 'complete',
      imageUrls: 5,
    });
    expect(progress.at(-1)).toEqual([6, 6]);
  });

  it('records 404 and non-images per source, and a re-run fetches nothing', async () => {
    const out = tempDir();
    const server = await startServer({
      '/page': html('<img src="/ok.jpg"><img src="/missing.jpg"><img src="/fake.jpg">'),
      '/ok.jpg': send(jpeg(1), 'image/jpeg'),
      '/fake.jpg': html('<p>Sorry, this photo was removed</p>'),
      '/direct.png': send(png(5), 'image/png'),
    });
    // Served as text/html but labelled image/jpeg: the content decides.
    server.route('/fake.jpg', send('<!doctype html><p>removed</p>', 'image/jpeg'));
    const property = {
      address: '2 Main St',
      sources: [server.url('/page'), server.url('/direct.png'), server.url('/gone')],
    };
    const first = await extractor(out).extract(property, ctx());
    expect(first.saved).toBe(2);
    const reasons = Object.fromEntries(
      first.failedSources.map((failure) => [failure.source, failure.reason]),
    );
    expect(reasons[server.url('/missing.jpg')]).toMatch(/HTTP 404/);
    expect(reasons[server.url('/fake.jpg')]).toMatch(/not an image \(looks like HTML\)/);
    expect(reasons[server.url('/gone')]).toMatch(/HTTP 404/);

    const hitsBefore = server.hits.length;
    const second = await extractor(out).extract(property, ctx());
    // The two complete sources are skipped; only the source that failed is tried again.
    expect(server.hits.slice(hitsBefore)).toEqual(['/gone']);
    expect(second).toMatchObject({ saved: 0, duplicates: 0, skipped: 2 });
    expect(second.images).toEqual(first.images);
  });

  it('retries after a 500 and fetches only what is missing', async () => {
    const out = tempDir();
    let failing = true;
    const server = await startServer({
      '/page': html('<img src="/a.png"><img src="/flaky.png">'),
      '/a.png': send(png(1), 'image/png'),
      '/flaky.png': (req, res) =>
        failing ? send('oops', 'text/plain', 500)(req, res) : send(png(2), 'image/png')(req, res),
    });
    const property = { address: '3 Roosevelt St', sources: [server.url('/page')] };
    const error = await extractError(extractor(out).extract(property, ctx()));
    expect(error.transient).toBe(true);
    expect(error.message).toMatch(/HTTP 500/);
    failing = false;
    const result = await extractor(out).extract(property, ctx());
    expect(result.saved).toBe(1);
    expect(result.skipped).toBe(1);
    expect(server.count('/a.png')).toBe(1);
    expect(server.count('/flaky.png')).toBe(2);
    expect(result.images).toHaveLength(2);
  });

  it('honours Retry-After on 429 (seconds) and 503 (HTTP date)', async () => {
    const out = tempDir();
    const server = await startServer({
      '/busy.png': send('slow down', 'text/plain', 429, { 'retry-after': '7' }),
      '/down.png': send('maintenance', 'text/plain', 503, {
        'retry-after': new Date(Date.now() + 120_000).toUTCString(),
      }),
    });
    const busy = await extractError(
      extractor(out).extract({ address: 'a', sources: [server.url('/busy.png')] }, ctx()),
    );
    expect(busy).toMatchObject({ transient: true, retryAfterMs: 7000 });
    const down = await extractError(
      extractor(out).extract({ address: 'b', sources: [server.url('/down.png')] }, ctx()),
    );
    expect(down.transient).toBe(true);
    expect(down.retryAfterMs).toBeGreaterThan(100_000);
    expect(down.retryAfterMs).toBeLessThanOrEqual(120_000);
  });

  it('times out a stalled server and a server that drips bytes', async () => {
    const out = tempDir();
    const timers: NodeJS.Timeout[] = [];
    const server = await startServer({
      '/stall.png': (_req, res) => res.writeHead(200, { 'content-type': 'image/png' }), // headers, then nothing
      '/drip.png': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png' });
        const body = png(1);
        let i = 0;
        const timer = setInterval(
          () => (i < body.length ? res.write(body.subarray(i, ++i)) : res.end()),
          20,
        );
        timers.push(timer);
        res.once('close', () => clearInterval(timer));
      },
    });
    const fast = extractor(out, { idleTimeoutMs: 200, totalTimeoutMs: 600 });
    const started = Date.now();
    const stall = await extractError(
      fast.extract({ address: 'stall', sources: [server.url('/stall.png')] }, ctx()),
    );
    expect(stall.transient).toBe(true);
    expect(stall.message).toMatch(/no data for 200ms/);
    const drip = await extractError(
      fast.extract({ address: 'drip', sources: [server.url('/drip.png')] }, ctx()),
    );
    expect(drip.message).toMatch(/took longer than 600ms/);
    expect(Date.now() - started).toBeLessThan(5_000);
    timers.forEach(clearInterval);
  });

  it('cuts off an oversized image mid-stream and refuses absurd dimensions', async () => {
    const out = tempDir();
    let sent = 0;
    let closedEarly = false;
    const server = await startServer({
      '/page': html(
        '<img src="/huge.png"><img src="/declared.png"><img src="/bomb.png"><img src="/fine.png">',
      ),
      '/huge.png': (_req, res) => {
        res.writeHead(200, { 'content-type': 'image/png' }); // chunked: no length to check up front
        res.once('close', () => (closedEarly = !res.writableFinished));
        const chunk = Buffer.concat([png(1), Buffer.alloc(64 * 1024)]);
        const pump = () => {
          while (sent < 50 * 1024 * 1024 && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          res.end();
        };
        pump();
      },
      '/declared.png': send(Buffer.concat([png(2), Buffer.alloc(200 * 1024)]), 'image/png'),
      '/bomb.png': send(bomb(), 'image/png'),
      '/fine.png': send(png(3), 'image/png'),
    });
    const result = await extractor(out, { maxImageSize: '100kb' }).extract(
      { address: 'big', sources: [server.url('/page')] },
      ctx(),
    );
    const reasons = Object.fromEntries(
      result.failedSources.map((failure) => [failure.source, failure.reason]),
    );
    expect(reasons[server.url('/huge.png')]).toMatch(/too large: more than 102400 bytes, cut off/);
    expect(reasons[server.url('/declared.png')]).toMatch(
      /too large: \d+ bytes, over the limit of 102400/,
    );
    expect(reasons[server.url('/bomb.png')]).toMatch(/dimensions 100000x100000 are over the limit/);
    expect(result.images.map((image) => image.source)).toEqual([server.url('/fine.png')]);
    await expect.poll(() => closedEarly).toBe(true);
    expect(sent).toBeLessThan(50 * 1024 * 1024);
  });

  it('refuses a redirect loop and too many redirects', async () => {
    const out = tempDir();
    const redirect = (to: string) => send('', 'text/plain', 302, { location: to });
    const server = await startServer({
      '/a': redirect('/b'),
      '/b': redirect('/a'),
      '/r1': redirect('/r2'),
      '/r2': redirect('/r3'),
      '/r3': redirect('/r4'),
      '/r4': send(png(1), 'image/png'),
      '/moved': redirect('/r4'),
    });
    const two = extractor(out, { maxRedirects: 2 });
    const loop = await extractError(
      two.extract({ address: 'loop', sources: [server.url('/a')] }, ctx()),
    );
    expect(loop).toMatchObject({ transient: false });
    expect(loop.message).toMatch(/redirect loop at .*\/a/);
    const many = await extractError(
      two.extract({ address: 'many', sources: [server.url('/r1')] }, ctx()),
    );
    expect(many.message).toMatch(/more than 2 redirects/);
    const ok = await two.extract({ address: 'ok', sources: [server.url('/moved')] }, ctx());
    expect(ok.images[0]!.source).toBe(server.url('/r4'));
  });

  it('keeps to the per-host limit and politeness delay, and refuses a redirect to file:', async () => {
    const out = tempDir();
    let inFlight = 0;
    let maxInFlight = 0;
    const starts: number[] = [];
    const server = await startServer({
      '/page': html([1, 2, 3, 4, 5, 6].map((n) => `<img src="/p${n}.png">`).join('')),
      '/to-file': send('', 'text/plain', 302, { location: 'file:///etc/passwd' }),
    });
    for (const n of [1, 2, 3, 4, 5, 6]) {
      server.route(`/p${n}.png`, (req, res) => {
        starts.push(Date.now());
        maxInFlight = Math.max(maxInFlight, ++inFlight);
        setTimeout(() => {
          inFlight--;
          send(png(n), 'image/png')(req, res);
        }, 40);
      });
    }
    const polite = extractor(out, { perHostConcurrency: 2, hostDelayMs: 50, imageConcurrency: 6 });
    const result = await polite.extract(
      { address: 'polite', sources: [server.url('/page')] },
      ctx(),
    );
    expect(result.saved).toBe(6);
    expect(maxInFlight).toBeLessThanOrEqual(2);
    // Starts are at least 50 ms apart at the client; measured at the server over the whole run,
    // since connection latency under load can shift any single one.
    expect(starts.at(-1)! - starts[0]!).toBeGreaterThanOrEqual(5 * 50 - 20);
    const error = await extractError(
      polite.extract({ address: 'to-file', sources: [server.url('/to-file')] }, ctx()),
    );
    expect(error.message).toMatch(/redirect from .* to unsupported scheme file:/);
  });

  it('refuses loopback without allowPrivateHosts, by name and by number, on the first hop and on redirects', async () => {
    const out = tempDir();
    const server = await startServer({ '/img.png': send(png(1), 'image/png') });
    const port = new URL(server.origin).port;
    const strict = createDefaultExtractor({ outDir: out, hostDelayMs: 0 });
    for (const source of [
      server.url('/img.png'),
      `http://localhost:${port}/img.png`,
      `http://2130706433:${port}/img.png`,
    ]) {
      const error = await extractError(
        strict.extract({ address: source, sources: [source] }, ctx()),
      );
      expect(error.transient).toBe(false);
      expect(error.message).toMatch(/refused private address/);
    }
    expect(server.count('/img.png')).toBe(0);

    // Allow exactly 127.0.0.1 (as a mirror would be allowed); redirects to other private addresses are refused.
    const targets = [
      `http://127.0.0.2:${port}/img.png`,
      `http://[::1]:${port}/img.png`,
      `http://0x7f000002:${port}/img.png`,
      'http://169.254.169.254/latest/meta-data/',
    ];
    targets.forEach((target, i) =>
      server.route(`/to-${i}`, send('', 'text/plain', 302, { location: target })),
    );
    const onlyOne = createDefaultExtractor({
      outDir: out,
      hostDelayMs: 0,
      isAllowedAddress: (ip) => ip === '127.0.0.1',
    });
    for (let i = 0; i < targets.length; i++) {
      const error = await extractError(
        onlyOne.extract({ address: `r${i}`, sources: [server.url(`/to-${i}`)] }, ctx()),
      );
      expect(error.message).toMatch(/refused private address/);
    }
    expect(server.count('/img.png')).toBe(0);
    const allowed = await extractor(out).extract(
      { address: 'allowed', sources: [server.url('/img.png')] },
      ctx(),
    );
    expect(allowed.saved).toBe(1);
  });

  it('reads local sources relative to baseDir, and refuses file: URLs on a web page', async () => {
    const out = tempDir();
    const base = tempDir();
    await fs.mkdir(join(base, 'listings'));
    await fs.writeFile(
      join(base, 'listings', 'p.html'),
      '<img src="../photo.gif"><img src="missing.png">',
    );
    await fs.writeFile(join(base, 'photo.gif'), gif(1));
    await fs.writeFile(join(base, 'secret.png'), png(1));
    const server = await startServer({
      '/evil': html(`<img src="file://${join(base, 'secret.png')}">`),
    });
    const result = await extractor(out, { baseDir: base }).extract(
      { address: '4 Local Ave', sources: ['listings/p.html', server.url('/evil')] },
      ctx(),
    );
    expect(result.images.map((image) => image.type)).toEqual(['gif']);
    const reasons = result.failedSources.map((failure) => failure.reason);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/file not found/),
        'file: URL on a web page refused',
      ]),
    );
  });

  it('keeps every address inside the output folder, with a safe, stable and unique slug', async () => {
    const out = tempDir();
    const base = tempDir();
    await fs.writeFile(join(base, 'p.png'), png(7));
    const run = extractor(join(out, 'images'), { baseDir: base });
    const slugs = new Set<string>();
    for (const address of [
      '../../etc/passwd',
      '..',
      '.',
      '/',
      'C:\\Windows\\system32',
      '\u0000..',
      '12 Main St',
      '12 MAIN ST.',
      'x'.repeat(500),
    ]) {
      const result = await run.extract({ address, sources: ['p.png'] }, ctx());
      expect(result.folder.startsWith(join(out, 'images') + '/')).toBe(true);
      expect(result.slug).toMatch(/^[a-z0-9-]{1,60}-[0-9a-f]{10}$/);
      slugs.add(result.slug);
    }
    expect(slugs.size).toBe(9);
    expect(readdirSync(out)).toEqual(['images']);
    expect(existsSync(join(out, 'images', 'etc'))).toBe(false);
  });

  it('fails permanently with every reason when no source yields an image', async () => {
    const out = tempDir();
    const server = await startServer({ '/empty': html('<p>no photos yet</p>') });
    const error = await extractError(
      extractor(out).extract(
        { address: '5 Empty Ln', sources: [server.url('/empty'), server.url('/404')] },
        ctx(),
      ),
    );
    expect(error.transient).toBe(false);
    expect(error.message).toMatch(
      /every source failed: .*\/empty: no images found on the page; .*\/404: HTTP 404/,
    );
  });
});

/** A valid PNG header claiming 100000x100000 pixels. */
function bomb(): Buffer {
  const image = png(1);
  image.writeUInt32BE(100_000, 16);
  image.writeUInt32BE(100_000, 20);
  return image;
}
