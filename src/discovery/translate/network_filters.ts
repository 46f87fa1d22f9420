// The network filters translation emits: the HTTP connection manager (as Istio
// configures it for gateways, sidecar outbound and sidecar inbound) and tcp_proxy.
import type { TranslateContext } from './context.js';
import { adsConfigSource, CORS_TYPE, FAULT_TYPE, HCM_TYPE, ROUTER_TYPE, TCP_PROXY_TYPE, typed, UUID_REQUEST_ID_TYPE, type Json } from './envoy.js';

export type HcmRole = 'gateway' | 'outbound' | 'inbound';

export type RouteSource = { rds: string } | { routeConfig: Json };

export function httpConnectionManager(ctx: TranslateContext, role: HcmRole, statPrefix: string, routes: RouteSource): Json {
  const hcm: Json = { stat_prefix: statPrefix };
  if ('rds' in routes) hcm.rds = { config_source: adsConfigSource(), route_config_name: routes.rds };
  else hcm.route_config = routes.routeConfig;
  hcm.http_filters = httpFilters(ctx);
  if (role === 'gateway') {
    // The edge: the peer address is the client's, and forwarded-for headers are not trusted.
    hcm.use_remote_address = true;
    hcm.forward_client_cert_details = 'SANITIZE_SET';
    hcm.set_current_client_cert_details = { subject: true, dns: true, uri: true };
    hcm.server_name = 'istio-envoy';
  } else {
    // Sidecars keep the application's own Server header.
    hcm.server_header_transformation = 'PASS_THROUGH';
    if (role === 'inbound') hcm.forward_client_cert_details = 'APPEND_FORWARD';
  }
  hcm.upgrade_configs = [{ upgrade_type: 'websocket' }];
  hcm.normalize_path = true;
  hcm.path_with_escaped_slashes_action = 'KEEP_UNCHANGED';
  hcm.request_id_extension = { typed_config: typed(UUID_REQUEST_ID_TYPE, { use_request_id_for_trace_sampling: true }) };
  return { name: 'envoy.filters.network.http_connection_manager', typed_config: typed(HCM_TYPE, hcm) };
}

/** Istio's chain, minus what the proxy lacks: fault and cors (when it has them), then the router. */
function httpFilters(ctx: TranslateContext): Json[] {
  const out: Json[] = [];
  if (ctx.capabilities.faultFilter) out.push({ name: 'envoy.filters.http.fault', typed_config: typed(FAULT_TYPE) });
  if (ctx.capabilities.corsFilter) out.push({ name: 'envoy.filters.http.cors', typed_config: typed(CORS_TYPE) });
  out.push({ name: 'envoy.filters.http.router', typed_config: typed(ROUTER_TYPE) });
  return out;
}

/** Where a TCP connection goes: one cluster, or several by weight. */
export type TcpTarget = { cluster: string } | { weighted: { name: string; weight: number }[] };

export function tcpProxy(target: TcpTarget): Json {
  const config: Json = {};
  if ('cluster' in target) {
    config.stat_prefix = target.cluster;
    config.cluster = target.cluster;
  } else {
    config.stat_prefix = target.weighted[0]?.name ?? 'tcp';
    config.weighted_clusters = { clusters: target.weighted };
  }
  return { name: 'envoy.filters.network.tcp_proxy', typed_config: typed(TCP_PROXY_TYPE, config) };
}

export function tcpTargetClusters(target: TcpTarget): string[] {
  return 'cluster' in target ? [target.cluster] : target.weighted.map((w) => w.name);
}
