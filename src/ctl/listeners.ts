// `proxy-config listener`: istioctl 1.17's ADDRESS PORT MATCH DESTINATION table (the
// seeds' header; istioctl ≥1.20 says ADDRESSES), one row per filter chain. MATCH
// describes the filter chain match (SNI, transport, ALPN, destination port/prefix,
// "ALL" when it has none); DESTINATION is where its HTTP connection manager or TCP
// proxy sends traffic. With --verbose=false: ADDRESS PORT TYPE, one row per listener.
import { CtlError } from './errors.js';
import { field, isObject, list, num, obj, str, wrapped, type Json } from './fields.js';
import { camelCaseMessage } from './output.js';
import { describeInlineRouteConfig } from './route_match.js';
import { formatTable, LISTENER_PADDING } from './table.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';
const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const BLACKHOLE = 'BlackHoleCluster';

export interface ListenerFilter {
  address?: string;
  port?: number;
  /** HTTP, TCP, HTTP+TCP or UNKNOWN (case-insensitive). */
  type?: string;
  verbose?: boolean;
}

/** Istio's ALPN lists, shown by name as istioctl does. */
const ALPN_NAMES: Array<[string, string[]]> = [
  ['App: HTTP TLS', ['http/1.0', 'http/1.1', 'h2c', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2']],
  ['App: Istio HTTP Plain', ['istio', 'istio-http/1.0', 'istio-http/1.1', 'istio-h2']],
  ['App: TCP TLS', ['istio-peer-exchange', 'istio']],
  ['App: HTTP', ['http/1.0', 'http/1.1', 'h2c']],
];

function is(filter: unknown, name: string, typeName: string): boolean {
  const t = str(filter, 'typed_config', '@type');
  return str(filter, 'name') === name || t.endsWith(`/${typeName}`);
}

export function listenerAddress(l: unknown): string {
  return str(l, 'address', 'socket_address', 'address') || str(l, 'address', 'pipe', 'path');
}

export function listenerPort(l: unknown): number {
  return num(l, 'address', 'socket_address', 'port_value');
}

function filterChains(l: unknown): unknown[] {
  const chains = list(l, 'filter_chains');
  const def = field(l, 'default_filter_chain');
  return isObject(def) ? [...chains, def] : chains;
}

const mentionsBlackHole = (filter: unknown) => JSON.stringify(field(filter, 'typed_config') ?? {}).includes(BLACKHOLE);

/** HTTP, TCP, HTTP+TCP or UNKNOWN: what its filter chains proxy (a TCP proxy to the BlackHoleCluster does not count). */
export function listenerType(l: unknown): string {
  let http = 0;
  let tcp = 0;
  for (const chain of filterChains(l)) {
    for (const f of list(chain, 'filters')) {
      if (is(f, HCM, HCM_TYPE)) http++;
      else if (is(f, TCP_PROXY, TCP_PROXY_TYPE) && !mentionsBlackHole(f)) tcp++;
    }
  }
  if (http > 0) return tcp === 0 ? 'HTTP' : 'HTTP+TCP';
  return tcp > 0 ? 'TCP' : 'UNKNOWN';
}

function describeChainMatch(m: unknown): string {
  const d: string[] = [];
  const sni = list(m, 'server_names');
  if (sni.length) d.push(`SNI: ${sni.join(',')}`);
  const transport = str(m, 'transport_protocol');
  if (transport) d.push(`Trans: ${transport}`);
  const alpn = list(m, 'application_protocols').map(String);
  if (alpn.length) {
    const named = ALPN_NAMES.find(([, protocols]) => protocols.length === alpn.length && protocols.every((p, i) => p === alpn[i]));
    d.push(named ? named[0] : `App: ${alpn.join(',')}`);
  }
  const destPort = wrapped(field(m, 'destination_port'));
  const port = destPort !== undefined && destPort !== null ? `:${String(destPort)}` : '';
  const ranges = list(m, 'prefix_ranges');
  if (ranges.length) d.push(`Addr: ${ranges.map((r) => `${str(r, 'address_prefix')}/${Number(wrapped(field(r, 'prefix_len')) ?? 0)}`).join(',')}${port}`);
  else if (port) d.push(`Addr: *${port}`);
  return d.length ? d.join('; ') : 'ALL';
}

function describeDestination(filters: unknown[]): string {
  for (const f of filters) {
    if (is(f, HCM, HCM_TYPE)) {
      const rc = obj(f, 'typed_config', 'route_config');
      if (rc) return describeInlineRouteConfig(rc);
      const rds = str(f, 'typed_config', 'rds', 'route_config_name');
      return rds ? `Route: ${rds}` : 'HTTP';
    }
    if (is(f, TCP_PROXY, TCP_PROXY_TYPE) && !mentionsBlackHole(f)) {
      const cluster = str(f, 'typed_config', 'cluster');
      if (cluster) return cluster.includes('Cluster') ? cluster : `Cluster: ${cluster}`;
      const weighted = list(f, 'typed_config', 'weighted_clusters', 'clusters').map((c) => `${str(c, 'name')}(${num(c, 'weight')})`);
      return `Cluster: ${weighted.join(',')}`;
    }
  }
  return 'Non-HTTP/Non-TCP';
}

export function verifyListener(l: Json, f: ListenerFilter): boolean {
  if (f.address && listenerAddress(l).toLowerCase() !== f.address.toLowerCase()) return false;
  if (f.port && listenerPort(l) !== f.port) return false;
  if (f.type && listenerType(l).toLowerCase() !== f.type.toLowerCase()) return false;
  return true;
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

/** The listeners that pass the filter, sorted by port, address, type. */
export function selectListeners(listeners: readonly Json[], f: ListenerFilter): Json[] {
  return listeners
    .filter((l) => verifyListener(l, f))
    .sort((a, b) => cmp(listenerPort(a), listenerPort(b)) || cmp(listenerAddress(a), listenerAddress(b)) || cmp(listenerType(a), listenerType(b)));
}

export function listenerRows(listeners: readonly Json[], f: ListenerFilter): string[][] {
  const verbose = f.verbose !== false;
  const rows: string[][] = [verbose ? ['ADDRESS', 'PORT', 'MATCH', 'DESTINATION'] : ['ADDRESS', 'PORT', 'TYPE']];
  for (const l of selectListeners(listeners, f)) {
    const address = listenerAddress(l);
    const port = String(listenerPort(l));
    if (!verbose) {
      rows.push([address, port, listenerType(l)]);
      continue;
    }
    const matches = filterChains(l).map((chain) => ({ match: describeChainMatch(field(chain, 'filter_chain_match')), destination: describeDestination(list(chain, 'filters')) }));
    // Destinations in descending order, as istioctl sorts them.
    matches.sort((a, b) => cmp(b.destination, a.destination));
    for (const m of matches) rows.push([address, port, m.match, m.destination]);
  }
  return rows;
}

export function formatListeners(listeners: readonly Json[], f: ListenerFilter): string {
  if (listeners.length === 0) throw new CtlError('no listeners found');
  return formatTable(listenerRows(listeners, f), LISTENER_PADDING);
}

/** `-o json|yaml`: the matching Listener messages. */
export function listenersJson(listeners: readonly Json[], f: ListenerFilter): unknown[] {
  return listeners.filter((l) => verifyListener(l, f)).map((l) => camelCaseMessage('envoy.config.listener.v3.Listener', stripType(l)));
}

/** A resource unpacked from an Any still carries "@type"; istioctl's output does not. */
export function stripType(v: Json): Json {
  const { '@type': _t, ...rest } = v;
  return rest;
}
