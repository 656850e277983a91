/**
 * Hostile network input for the image extractor, in one battery. Traffic only ever goes to
 * 127.0.0.1 (servers started here): private ranges beyond loopback are checked through the
 * guard's decision function, and end to end only where a broken guard would still stay on
 * loopback. Every refusal must happen before a connection: the server counts what reaches it.
 */
import { describe, expect, it } from 'vitest';
import { isPrivateAddress } from '../../src/integrations/images/address-guard.js';
import { createDefaultExtractor } from '../../src/integrations/images/default-extractor.js';
import { SourceError } from '../../src/integrations/images/source-error.js';
import { png } from '../images/fixtures.js';
import { send, startServer } from '../images/http-server.js';
import { tempDir } from '../helpers/tmp.js';

const ctx = () => ({ signal: new AbortController().signal, progress: () => {} });

async function refusal(run: Promise<unknown>): Promise<SourceError> {
  const error = await run.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe('SSRF battery', () => {
  it('the decision function refuses every private range of the issue, in every spelling, and allows public addresses', () => {
    const refused = [
      '127.0.0.1',
      '127.1.2.3',
      '127.255.255.254', // 127/8
      '::1',
      '[::1]',
      '0:0:0:0:0:0:0:1', // IPv6 loopback
      '10.0.0.1',
      '10.255.255.255', // 10/8
      '172.16.0.1',
      '172.20.1.1',
      '172.31.255.255', // 172.16/12
      '192.168.0.1',
      '192.168.255.255', // 192.168/16
      '169.254.169.254', // cloud metadata
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::ffff:10.0.0.1',
      '::ffff:169.254.169.254', // IPv4-mapped IPv6
      '0.0.0.0',
      '::',
    ];
    for (const ip of refused) expect(isPrivateAddress(ip), ip).toBe(true);
    for (const ip of [
      '8.8.8.8',
      '172.15.255.255',
      '172.32.0.0',
      '192.169.0.1',
      '169.255.0.1',
      '2606:4700::1111',
    ]) {
      expect(isPrivateAddress(ip), ip).toBe(false);
    }
    // Decimal, hex and octal IPv4 spellings reach the guard as dotted quads (WHATWG URL parsing).
    for (const [spelling, dotted] of [
      ['http://2130706433/', '127.0.0.1'],
      ['http://0x7f000001/', '127.0.0.1'],
      ['http://0x7f.1/', '127.0.0.1'],
      ['http://017700000001/', '127.0.0.1'],
      ['http://167772161/', '10.0.0.1'],
      ['http://0xa9fea9fe/', '169.254.169.254'],
      ['http://2852039166/', '169.254.169.254'],
      ['http://0xc0a80001/', '192.168.0.1'],
    ] as const) {
      const host = new URL(spelling).hostname;
      expect(host).toBe(dotted);
      expect(isPrivateAddress(host)).toBe(true);
    }
  });

  it('end to end: loopback in every spelling and a name resolving to loopback are refused before any connection', async () => {
    const server = await startServer({ '/a.png': send(png(1), 'image/png') });
    const port = new URL(server.origin).port;
    const strict = createDefaultExtractor({
      outDir: tempDir(),
      hostDelayMs: 0,
      idleTimeoutMs: 10_000,
    });
    const sources = [
      `http://127.0.0.1:${port}/a.png`,
      `http://127.9.9.9:${port}/a.png`,
      `http://[::1]:${port}/a.png`,
      `http://2130706433:${port}/a.png`,
      `http://0x7f000001:${port}/a.png`,
      `http://0x7f.1:${port}/a.png`,
      `http://[::ffff:127.0.0.1]:${port}/a.png`,
      `http://[::ffff:7f00:1]:${port}/a.png`,
      `http://localhost:${port}/a.png`,
    ];
    for (const source of sources) {
      const started = Date.now();
      const error = await refusal(strict.extract({ address: source, sources: [source] }, ctx()));
      expect(error.message, source).toMatch(/refused private address/);
      expect(error.transient).toBe(false);
      expect(Date.now() - started).toBeLessThan(5_000);
    }
    expect(server.hits).toEqual([]);
  });

  it('a redirect into a private range is refused at the hop (127.0.0.1 stands in for a public host)', async () => {
    const server = await startServer({ '/a.png': send(png(1), 'image/png') });
    const port = new URL(server.origin).port;
    const targets = [
      `http://127.0.0.2:${port}/a.png`,
      `http://[::1]:${port}/a.png`,
      `http://0x7f000003:${port}/a.png`,
    ];
    targets.forEach((target, i) =>
      server.route(`/to-${i}`, send('', 'text/plain', 302, { location: target })),
    );
    // (A name resolving to 127.0.0.1 is allowed here: the rule allows that address, by any name.)
    const mirror = createDefaultExtractor({
      outDir: tempDir(),
      hostDelayMs: 0,
      isAllowedAddress: (ip) => ip === '127.0.0.1',
    });
    for (let i = 0; i < targets.length; i++) {
      const error = await refusal(
        mirror.extract({ address: `r${i}`, sources: [server.url(`/to-${i}`)] }, ctx()),
      );
      expect(error.message, targets[i]).toMatch(/refused private address/);
    }
    expect(server.count('/a.png')).toBe(0);
    expect(server.hits.filter((hit) => hit.startsWith('/to-'))).toHaveLength(targets.length);
  });

  it('a PNG header claiming 100,000 x 100,000 pixels is rejected from its 33-byte header, without decoding', async () => {
    const bomb = png(1);
    bomb.writeUInt32BE(100_000, 16);
    bomb.writeUInt32BE(100_000, 20);
    const server = await startServer({ '/bomb.png': send(bomb, 'image/png') });
    const extractor = createDefaultExtractor({
      outDir: tempDir(),
      hostDelayMs: 0,
      allowPrivateHosts: true,
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const error = await refusal(
      extractor.extract({ address: 'bomb', sources: [server.url('/bomb.png')] }, ctx()),
    );
    expect(error.message).toMatch(/dimensions 100000x100000 are over the limit/);
    // Decoding would need 40 GB of pixels; the heap moved by far less than one row of them.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50 * 1024 * 1024);
  });

  it('a server dripping one byte a second is cut off by the total timeout, not held open by the idle timeout', async () => {
    const server = await startServer();
    let dripped = 0;
    server.route('/drip.png', (_req, res) => {
      res.writeHead(200, { 'content-type': 'image/png' });
      const timer = setInterval(() => {
        dripped++;
        res.write(Buffer.from([0x89]));
      }, 1_000);
      res.once('close', () => clearInterval(timer));
    });
    const extractor = createDefaultExtractor({
      outDir: tempDir(),
      hostDelayMs: 0,
      allowPrivateHosts: true,
      idleTimeoutMs: 5_000,
      totalTimeoutMs: 2_500,
    });
    const started = Date.now();
    const error = await refusal(
      extractor.extract({ address: 'drip', sources: [server.url('/drip.png')] }, ctx()),
    );
    const elapsed = Date.now() - started;
    expect(error.message).toMatch(/took longer than 2500ms/);
    expect(error.transient).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(2_400);
    expect(elapsed).toBeLessThan(6_000);
    expect(dripped).toBeGreaterThanOrEqual(1);
  }, 30_000);
});
