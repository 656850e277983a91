/**
 * SSRF guard: which IP addresses a listing page may make us connect to.
 *
 * Listing pages are untrusted input; without this guard one could point an image (or a
 * redirect) at a cloud metadata endpoint (169.254.169.254), the database on localhost or a
 * router on the LAN. The check runs on the RESOLVED address at connect time (a custom DNS
 * lookup), so a hostname that resolves to 127.0.0.1, DNS rebinding between check and connect,
 * and every redirect hop are all covered. Numeric-host tricks (`http://2130706433/`,
 * `http://0x7f.1/`) are normalised by the WHATWG URL parser to dotted IPv4 before we see them.
 */
import { BlockList, isIP } from 'node:net';

// Two lists: a BlockList checks an IPv4 address against IPv6 rules too (as ::ffff:a.b.c.d),
// which would make the IPv4-mapped rule below refuse every IPv4 address.
const blocked = new BlockList();
const blocked6 = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", includes the unspecified 0.0.0.0
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, includes broadcast
] as const) {
  blocked.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['::ffff:0:0', 96], // IPv4-mapped: refused whatever the IPv4 inside
  ['::', 96], // IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64: could reach a private IPv4 through a translator
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4: embeds an IPv4 that may be private
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  blocked6.addSubnet(network, prefix, 'ipv6');
}

/** True when `address` (an IP literal) is not a public unicast address. Non-IPs count as private. */
export function isPrivateAddress(address: string): boolean {
  const bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const family = isIP(bare);
  if (family === 4) return blocked.check(bare, 'ipv4');
  if (family === 6) return blocked6.check(bare.replace(/%.*$/, ''), 'ipv6');
  return true;
}

/** The address family if `host` (as in `URL.hostname`) is an IP literal, else 0. */
export function ipLiteralFamily(host: string): 0 | 4 | 6 {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return isIP(bare) as 0 | 4 | 6;
}
