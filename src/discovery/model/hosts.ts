// Host names as Istio reads them in VirtualService / DestinationRule / Sidecar /
// Gateway fields. Translation compares hosts in many places (virtual host domains,
// DestinationRule lookup, Sidecar egress scoping), so the rules live in one file:
//
//  - a short name (no dot) is expanded in the namespace of the object that wrote it:
//    "catalog" in istioinaction → "catalog.istioinaction.svc.cluster.local";
//    anything with a dot ("catalog.other", "api.example.com") is taken as written;
//  - "*" matches every host, "*.example.com" every host ending in ".example.com"
//    (any number of labels, but not "example.com" itself);
//  - when several patterns match, the more specific one wins: an exact name beats a
//    wildcard, and a longer wildcard beats a shorter one.
import { isIP } from 'node:net';

export const DEFAULT_DOMAIN_SUFFIX = 'cluster.local';

export function isWildcard(host: string): boolean {
  return host.startsWith('*');
}

/**
 * Expands a short host name in `namespace`, as Istio does for VirtualService hosts,
 * DestinationRule hosts and route destinations. "*", IP addresses and names that
 * contain a dot are returned unchanged.
 */
export function resolveHostname(host: string, namespace: string, domainSuffix: string = DEFAULT_DOMAIN_SUFFIX): string {
  if (host === '' || host === '*' || isIP(host) !== 0 || host.includes('.')) return host;
  let out = host;
  if (namespace !== '') out += `.${namespace}`;
  if (domainSuffix !== '') out += `.svc.${domainSuffix}`;
  return out;
}

/**
 * True when every host `host` stands for is also covered by `pattern` (Istio's
 * SubsetOf): hostMatches("*.example.com", "api.example.com"),
 * hostMatches("*.example.com", "*.api.example.com"), but not the other way round.
 */
export function hostMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (isWildcard(p)) {
    const suffix = p.slice(1); // ".example.com", or "" for "*"
    if (isWildcard(h)) return h.slice(1).endsWith(suffix);
    return h.endsWith(suffix) && h.length > suffix.length;
  }
  if (isWildcard(h)) return false;
  return p === h;
}

/** True when some host is matched by both `a` and `b` (Istio's Name.Matches). */
export function hostsOverlap(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  const xw = isWildcard(x);
  const yw = isWildcard(y);
  if (xw && yw) {
    const xs = x.slice(1);
    const ys = y.slice(1);
    return xs.length < ys.length ? ys.endsWith(xs) : xs.endsWith(ys);
  }
  if (xw) return y.endsWith(x.slice(1)) && y.length > x.length - 1;
  if (yw) return x.endsWith(y.slice(1)) && x.length > y.length - 1;
  return x === y;
}

/**
 * Orders hosts most specific first: exact names before wildcards, then longer
 * before shorter, then alphabetically (so the order is total and stable).
 */
export function compareHostSpecificity(a: string, b: string): number {
  const aw = isWildcard(a);
  const bw = isWildcard(b);
  if (aw !== bw) return aw ? 1 : -1;
  if (a.length !== b.length) return b.length - a.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The most specific of `patterns` that covers `host`, or undefined. An exact match
 * always wins; among wildcards the longest does.
 */
export function mostSpecificMatch(host: string, patterns: Iterable<string>): string | undefined {
  let best: string | undefined;
  for (const p of patterns) {
    if (!hostMatches(p, host)) continue;
    if (best === undefined || compareHostSpecificity(p, best) < 0) best = p;
  }
  return best;
}

/**
 * Resolves a gateway reference in a VirtualService (`gateways` or a match's
 * `gateways`) to "ns/name": "mesh" stays "mesh", "ns/name" is taken as written,
 * the legacy "name.ns.svc.cluster.local" form becomes "ns/name", and a short name
 * is in the VirtualService's namespace.
 */
export function resolveGatewayName(gateway: string, namespace: string): string {
  if (gateway === 'mesh') return gateway;
  const slash = gateway.indexOf('/');
  if (slash >= 0) {
    const ns = gateway.slice(0, slash);
    return `${ns === '.' || ns === '' ? namespace : ns}/${gateway.slice(slash + 1)}`;
  }
  const dot = gateway.indexOf('.');
  if (dot >= 0) {
    const [name, ns] = gateway.split('.');
    return `${ns}/${name}`;
  }
  return `${namespace}/${gateway}`;
}
