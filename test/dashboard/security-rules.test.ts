import { describe, expect, it } from 'vitest';
import { assertSafeBind, startDashboard } from '../../src/dashboard/server.js';
import { openTestQueue } from '../helpers/queue.js';
import {
  HostAllowList,
  hostName,
  isLoopback,
  safeEqual,
  Signer,
} from '../../src/dashboard/security.js';

describe('security rules', () => {
  it('reads the host name of a Host header, and rejects malformed ones', () => {
    expect(hostName('LocalHost:4600')).toBe('localhost');
    expect(hostName('[::1]:4600')).toBe('::1');
    expect(hostName('queue.example.com.')).toBe('queue.example.com');
    expect(hostName('127.0.0.1')).toBe('127.0.0.1');
    for (const bad of [
      undefined,
      '',
      'a b',
      'evil.example:80:80',
      'user@host',
      '[zz]:1',
      'host/path',
    ]) {
      expect(hostName(bad), String(bad)).toBeNull();
    }
  });

  it('knows loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.9.9.9', '::1', '[::1]', 'localhost', 'app.localhost']) {
      expect(isLoopback(host), host).toBe(true);
    }
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '192.168.1.2',
      'example.com',
      '128.0.0.1',
      '::ffff:7f00:1x',
    ]) {
      expect(isLoopback(host), host).toBe(false);
    }
  });

  it('allows loopback names, the bound host and extra names; `*` allows any', () => {
    const list = new HostAllowList('10.1.2.3', ['Queue.Example.com']);
    for (const host of [
      'localhost:1',
      '127.0.0.1',
      '[::1]:9',
      '10.1.2.3:4600',
      'queue.example.com',
    ]) {
      expect(list.allows(host), host).toBe(true);
    }
    for (const host of ['10.1.2.4', 'example.com', 'queue.example.com.evil.example', undefined]) {
      expect(list.allows(host), String(host)).toBe(false);
    }
    expect(new HostAllowList(undefined, ['*']).allows('anything.example')).toBe(true);
  });

  it('compares tokens by content only, whatever their lengths', () => {
    expect(safeEqual('secret-token', 'secret-token')).toBe(true);
    expect(safeEqual('secret-token', 'secret-tokem')).toBe(false);
    expect(safeEqual('secret-token', 'secret-token-longer')).toBe(false);
    expect(safeEqual('', 'x')).toBe(false);
  });

  it('seals values that a different secret or any changed byte cannot open', () => {
    const signer = new Signer();
    const sealed = signer.seal('flash', '{"text":"hi"}');
    expect(signer.unseal('flash', sealed)).toBe('{"text":"hi"}');
    expect(signer.unseal('session', sealed)).toBeNull(); // a flash cookie is no session
    expect(new Signer().unseal('flash', sealed)).toBeNull(); // another process secret
    const [body, mac] = sealed.split('.');
    expect(signer.unseal('flash', `${body}x.${mac}`)).toBeNull();
    expect(signer.unseal('flash', `${body}.${mac!.slice(1)}`)).toBeNull();
    expect(signer.unseal('flash', undefined)).toBeNull();
    expect(signer.unseal('flash', 'no-dot')).toBeNull();
  });

  it('refuses a non-loopback bind without a token', () => {
    expect(() => assertSafeBind('127.0.0.1', undefined)).not.toThrow();
    expect(() => assertSafeBind('localhost', undefined)).not.toThrow();
    expect(() => assertSafeBind('0.0.0.0', 'a-token-here')).not.toThrow();
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'queue.example.com']) {
      expect(() => assertSafeBind(host, undefined), host).toThrow(/without a token/);
    }
  });

  it('says so when the port is taken', async () => {
    const { queue } = await openTestQueue();
    const first = await startDashboard(queue, { port: 0 });
    try {
      await expect(startDashboard(queue, { port: first.port })).rejects.toThrow(
        `Port ${first.port} on 127.0.0.1 is already in use; pick another with --port`,
      );
    } finally {
      await first.close();
    }
  });
});
