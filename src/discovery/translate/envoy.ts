// Small pieces of Envoy v3 config that every builder shares, written in proto3 JSON
// form (snake_case fields, `@type` on Any, durations as "10s"): type URLs, config
// sources, addresses. Keeping them here means a builder reads like the YAML it emits.

export type Json = Record<string, unknown>;

const T = 'type.googleapis.com/';
export const HCM_TYPE = `${T}envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager`;
export const TCP_PROXY_TYPE = `${T}envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy`;
export const ROUTER_TYPE = `${T}envoy.extensions.filters.http.router.v3.Router`;
export const FAULT_TYPE = `${T}envoy.extensions.filters.http.fault.v3.HTTPFault`;
export const CORS_TYPE = `${T}envoy.extensions.filters.http.cors.v3.Cors`;
export const CORS_POLICY_TYPE = `${T}envoy.extensions.filters.http.cors.v3.CorsPolicy`;
export const TLS_INSPECTOR_TYPE = `${T}envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector`;
export const HTTP_INSPECTOR_TYPE = `${T}envoy.extensions.filters.listener.http_inspector.v3.HttpInspector`;
export const DOWNSTREAM_TLS_TYPE = `${T}envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext`;
export const UPSTREAM_TLS_TYPE = `${T}envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext`;
export const HTTP_PROTOCOL_OPTIONS_TYPE = `${T}envoy.extensions.upstreams.http.v3.HttpProtocolOptions`;
export const HTTP_PROTOCOL_OPTIONS_KEY = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
export const PREVIOUS_HOSTS_TYPE = `${T}envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate`;
export const PREVIOUS_PRIORITIES_TYPE = `${T}envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig`;
export const UUID_REQUEST_ID_TYPE = `${T}envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig`;

/** How Istio points every dynamic resource at the ADS stream (seed 003's clusters and listeners). */
export function adsConfigSource(): Json {
  return { ads: {}, initial_fetch_timeout: '0s', resource_api_version: 'V3' };
}

/** SDS over ADS, as istiod serves `kubernetes://NAME` secrets to gateways. */
export function sdsConfigSource(): Json {
  return { ads: {}, resource_api_version: 'V3' };
}

export function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}

export function typed(type: string, fields: Json = {}): Json {
  return { '@type': type, ...fields };
}

/** Istio's name for the listener address of a port: "0.0.0.0_8080", "127.16.0.1.2_80". */
export function listenerName(address: string, port: number): string {
  return `${address}_${port}`;
}

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, 'µs': 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600 };

/**
 * An Istio duration ("10s", "1.5s", "500ms", "1m30s" — Istio accepts Go's forms) as a
 * proto3 JSON Duration string, or undefined when it does not parse.
 */
export function protoDuration(text: string | undefined): string | undefined {
  if (typeof text !== 'string') return undefined;
  const s = text.trim();
  if (s === '') return undefined;
  if (s === '0') return '0s';
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]!]!;
    matched = re.lastIndex;
  }
  if (matched !== s.length || matched === 0) return undefined;
  return formatSeconds(total);
}

/** Seconds → "10s" / "0.250s" (millisecond precision is all any Istio field needs). */
export function formatSeconds(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const whole = Math.floor(ms / 1000);
  const frac = ms % 1000;
  return frac === 0 ? `${whole}s` : `${whole}.${String(frac).padStart(3, '0')}s`;
}

/** Whole seconds of a proto3 duration string ("7200s" → 7200), for fields typed as plain integers. */
export function durationSeconds(duration: string): number {
  return Math.floor(Number(duration.slice(0, -1)));
}

export function byName<T extends Json>(a: T, b: T): number {
  const x = String(a.name ?? a.cluster_name ?? '');
  const y = String(b.name ?? b.cluster_name ?? '');
  return x < y ? -1 : x > y ? 1 : 0;
}
