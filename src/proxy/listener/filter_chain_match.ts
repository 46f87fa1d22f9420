// Picks a listener filter chain for a connection the way Envoy does: criteria are
// checked in a fixed order (destination port, destination IP, server name,
// transport protocol, application protocols, direct source IP, source type, source
// IP, source port); at each step only the most specific matching chains go on, and
// there is no backtracking to a less specific branch. No match → default chain.
import net from 'node:net';
import type { envoy } from '../../api/envoy-types.generated.js';
import { unwrap } from '../../api/json/wkt.js';

export interface ConnectionFacts {
  localIp: string;
  localPort: number;
  remoteIp: string;
  remotePort: number;
  directRemoteIp?: string;
  serverName?: string;
  transportProtocol?: string;
  applicationProtocols?: string[];
}

type Match = envoy.config.listener.v3.FilterChainMatch;
type Cidr = envoy.config.core.v3.CidrRange;
/** -1: no match; otherwise higher is more specific. */
type Scorer = (m: Match, c: ConnectionFacts) => number;

function ipToBytes(ip: string): number[] | undefined {
  if (net.isIPv4(ip)) return ip.split('.').map(Number);
  if (!net.isIPv6(ip)) return undefined;
  const [head, tail] = ip.split('::');
  const parse = (s?: string) => (s ? s.split(':').flatMap((g) => (g.includes('.') ? (ipToBytes(g) ?? []) : [parseInt(g, 16) >> 8, parseInt(g, 16) & 255])) : []);
  const h = parse(head);
  const t = tail !== undefined ? parse(tail) : [];
  const fill = new Array(16 - h.length - t.length).fill(0);
  return [...h, ...fill, ...t];
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) compares as IPv4. */
function normalize(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

export function cidrContains(range: Cidr, ip: string): boolean {
  const a = ipToBytes(normalize(ip));
  const b = ipToBytes(normalize(range.address_prefix ?? ''));
  if (!a || !b || a.length !== b.length) return false;
  let bits = unwrap(range.prefix_len, 0);
  for (let i = 0; i < a.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((a[i]! & mask) !== (b[i]! & mask)) return false;
  }
  return true;
}

function cidrScore(ranges: Cidr[] | undefined, ip: string): number {
  if (!ranges?.length) return 0;
  let best = -1;
  for (const r of ranges) if (cidrContains(r, ip)) best = Math.max(best, unwrap(r.prefix_len, 0) + 1);
  return best;
}

function serverNameScore(m: Match, c: ConnectionFacts): number {
  const names = m.server_names ?? [];
  if (!names.length) return 0;
  const sni = c.serverName?.toLowerCase();
  if (!sni) return -1;
  let best = -1;
  for (const raw of names) {
    const name = raw.toLowerCase();
    if (name === sni) return 10_000;
    // "*.example.com" matches any name ending in ".example.com"; longer suffix wins.
    if (name.startsWith('*.') && sni.endsWith(name.slice(1)) && sni.length > name.length - 1) best = Math.max(best, name.length);
  }
  return best;
}

const LEVELS: Scorer[] = [
  (m, c) => (m.destination_port?.value === undefined ? 0 : m.destination_port.value === c.localPort ? 1 : -1),
  (m, c) => cidrScore(m.prefix_ranges, c.localIp),
  serverNameScore,
  (m, c) => (!m.transport_protocol ? 0 : m.transport_protocol === (c.transportProtocol ?? 'raw_buffer') ? 1 : -1),
  (m, c) => (!m.application_protocols?.length ? 0 : m.application_protocols.some((p) => c.applicationProtocols?.includes(p)) ? 1 : -1),
  (m, c) => cidrScore(m.direct_source_prefix_ranges, c.directRemoteIp ?? c.remoteIp),
  (m, c) => {
    const type = m.source_type ?? 'ANY';
    if (type === 'ANY') return 0;
    const local = c.remoteIp === c.localIp || normalize(c.remoteIp).startsWith('127.') || c.remoteIp === '::1';
    return (type === 'SAME_IP_OR_LOOPBACK') === local ? 1 : -1;
  },
  (m, c) => cidrScore(m.source_prefix_ranges, c.remoteIp),
  (m, c) => (!m.source_ports?.length ? 0 : m.source_ports.includes(c.remotePort) ? 1 : -1),
];

export function selectFilterChain<T extends { match: Match }>(chains: readonly T[], facts: ConnectionFacts): T | undefined {
  let candidates = chains;
  for (const score of LEVELS) {
    let best = -1;
    let kept: T[] = [];
    for (const chain of candidates) {
      const s = score(chain.match, facts);
      if (s < 0 || s < best) continue;
      if (s > best) {
        best = s;
        kept = [];
      }
      kept.push(chain);
    }
    if (!kept.length) return undefined;
    candidates = kept;
  }
  return candidates[0];
}

/** A stable text of a chain's match, to reject duplicate matchers as Envoy does. */
export function matchSignature(m: Match | undefined): string {
  const x = m ?? {};
  return JSON.stringify([
    x.destination_port?.value ?? null, x.prefix_ranges ?? [], [...(x.server_names ?? [])].sort(), x.transport_protocol ?? '',
    [...(x.application_protocols ?? [])].sort(), x.direct_source_prefix_ranges ?? [], x.source_type ?? 'ANY',
    x.source_prefix_ranges ?? [], [...(x.source_ports ?? [])].sort(),
  ]);
}

/** Does the listener need to read ahead (SNI/ALPN) before a chain can be chosen? */
export function needsInspection(chains: Array<{ match: Match }>): { sni: boolean; alpn: boolean; transport: boolean } {
  return {
    sni: chains.some((c) => (c.match.server_names ?? []).length > 0),
    alpn: chains.some((c) => (c.match.application_protocols ?? []).length > 0),
    transport: chains.some((c) => !!c.match.transport_protocol),
  };
}
