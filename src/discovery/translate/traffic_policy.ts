// DestinationRule trafficPolicy → Cluster fields, as Istio's cluster builder applies
// them: top-level policy, overridden field by field (loadBalancer, connectionPool,
// outlierDetection, tls) by its portLevelSettings for the cluster's port, then by the
// subset's policy and the subset's own portLevelSettings.
import type { DestinationRuleSpec, TrafficPolicy } from '../../api/istio/types.js';
import type { NamedConfig, Protocol } from '../model/types.js';
import { upstreamTransportSocket } from './cluster_tls.js';
import type { TranslateContext } from './context.js';
import { HTTP_PROTOCOL_OPTIONS_KEY, HTTP_PROTOCOL_OPTIONS_TYPE, protoDuration, typed, type Json } from './envoy.js';

export type PolicyFields = Omit<TrafficPolicy, 'portLevelSettings'>;
export type LocalityLbSetting = NonNullable<NonNullable<TrafficPolicy['loadBalancer']>['localityLbSetting']>;

const FIELDS = ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] as const;

function overlay(base: PolicyFields | undefined, top: PolicyFields | undefined): PolicyFields | undefined {
  if (!top) return base;
  const out: PolicyFields = { ...base };
  for (const f of FIELDS) if (top[f] !== undefined) (out as Record<string, unknown>)[f] = top[f];
  return out;
}

function forPort(policy: TrafficPolicy | undefined, port: number): PolicyFields | undefined {
  if (!policy) return undefined;
  const { portLevelSettings, ...rest } = policy;
  const level = portLevelSettings?.find((p) => p?.port?.number === port);
  return overlay(rest, level);
}

/** The policy that shapes cluster (port, subset) of a DestinationRule's host. */
export function effectivePolicy(dr: DestinationRuleSpec | undefined, port: number, subset?: string): PolicyFields | undefined {
  if (!dr) return undefined;
  let policy = forPort(dr.trafficPolicy, port);
  if (subset !== undefined) {
    const s = dr.subsets?.find((x) => x?.name === subset);
    policy = overlay(policy, forPort(s?.trafficPolicy, port));
  }
  return policy;
}

const MAX_U32 = 4294967295;

/** Istio leaves Envoy's circuit breakers wide open unless a DestinationRule closes them. */
export function defaultCircuitBreakers(): Json {
  return {
    thresholds: [{ max_connections: MAX_U32, max_pending_requests: MAX_U32, max_requests: MAX_U32, max_retries: MAX_U32, track_remaining: true }],
  };
}

export function isHttpProtocol(p: Protocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-Web';
}

export function isHttp2Protocol(p: Protocol): boolean {
  return p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-Web';
}

export interface PolicyResult {
  /** Set when locality-aware failover applies (Istio needs outlier detection for it). */
  localityLb?: LocalityLbSetting;
}

type Owner = NamedConfig<DestinationRuleSpec>;

/**
 * Applies `policy` (from `dr`) to `cluster`, plus the protocol options every cluster of
 * an HTTP/2 port needs even without a policy. Odd values are skipped with a warning.
 */
export function applyTrafficPolicy(ctx: TranslateContext, cluster: Json, protocol: Protocol, policy: PolicyFields | undefined, dr: Owner | undefined): PolicyResult {
  const result: PolicyResult = {};
  const http = isHttpProtocol(protocol);
  let http2 = isHttp2Protocol(protocol);
  const common: Json = {};
  let useClientProtocol = false;

  const lb = policy?.loadBalancer;
  if (lb && dr) applyLoadBalancer(ctx, cluster, lb, dr);

  const pool = policy?.connectionPool;
  if (pool && dr) {
    const threshold = (cluster.circuit_breakers as { thresholds: Json[] }).thresholds[0]!;
    const tcp = pool.tcp;
    if (tcp?.maxConnections !== undefined) threshold.max_connections = tcp.maxConnections;
    if (tcp?.connectTimeout !== undefined) setDuration(ctx, cluster, 'connect_timeout', tcp.connectTimeout, dr, 'connectionPool.tcp.connectTimeout');
    if (tcp?.tcpKeepalive) {
      const k: Json = {};
      if (tcp.tcpKeepalive.probes !== undefined) k.keepalive_probes = tcp.tcpKeepalive.probes;
      const time = protoDuration(tcp.tcpKeepalive.time);
      const interval = protoDuration(tcp.tcpKeepalive.interval);
      if (time) k.keepalive_time = Math.max(1, Math.round(Number(time.slice(0, -1))));
      if (interval) k.keepalive_interval = Math.max(1, Math.round(Number(interval.slice(0, -1))));
      cluster.upstream_connection_options = { tcp_keepalive: k };
    }
    const h = pool.http;
    if (h?.http1MaxPendingRequests !== undefined) threshold.max_pending_requests = h.http1MaxPendingRequests;
    if (h?.http2MaxRequests !== undefined) threshold.max_requests = h.http2MaxRequests;
    if (h?.maxRetries !== undefined) threshold.max_retries = h.maxRetries;
    if (http && h?.maxRequestsPerConnection) common.max_requests_per_connection = h.maxRequestsPerConnection;
    if (http && h?.idleTimeout !== undefined) {
      const d = protoDuration(h.idleTimeout);
      if (d) common.idle_timeout = d;
      else ctx.warn(dr, `connectionPool.http.idleTimeout "${h.idleTimeout}" is not a duration; ignored`);
    }
    if (http && h?.h2UpgradePolicy === 'UPGRADE') http2 = true;
    if (http && h?.useClientProtocol) useClientProtocol = true;
  }

  const od = policy?.outlierDetection;
  if (od && dr) {
    applyOutlierDetection(ctx, cluster, od, dr);
    const locality = lb?.localityLbSetting;
    if (locality?.enabled !== false) result.localityLb = locality ?? {};
  }

  if (policy?.tls && dr) {
    const socket = upstreamTransportSocket(ctx, policy.tls, dr);
    if (socket) cluster.transport_socket = socket;
  }

  if (http && (http2 || useClientProtocol || Object.keys(common).length > 0)) {
    const options: Json = {};
    if (Object.keys(common).length) options.common_http_protocol_options = common;
    if (useClientProtocol) options.use_downstream_protocol_config = { http_protocol_options: {}, http2_protocol_options: {} };
    else if (http2) options.explicit_http_config = { http2_protocol_options: {} };
    else options.explicit_http_config = { http_protocol_options: {} };
    cluster.typed_extension_protocol_options = { [HTTP_PROTOCOL_OPTIONS_KEY]: typed(HTTP_PROTOCOL_OPTIONS_TYPE, options) };
  }
  return result;
}

function setDuration(ctx: TranslateContext, target: Json, field: string, value: string, dr: Owner, where: string): void {
  const d = protoDuration(value);
  if (d) target[field] = d;
  else ctx.warn(dr, `${where} "${value}" is not a duration; ignored`);
}

function applyLoadBalancer(ctx: TranslateContext, cluster: Json, lb: NonNullable<PolicyFields['loadBalancer']>, dr: Owner): void {
  if (lb.consistentHash) {
    const ch = lb.consistentHash;
    if (ch.maglev) {
      cluster.lb_policy = 'MAGLEV';
      if (ch.maglev.tableSize) cluster.maglev_lb_config = { table_size: ch.maglev.tableSize };
    } else {
      cluster.lb_policy = 'RING_HASH';
      cluster.ring_hash_lb_config = { minimum_ring_size: ch.ringHash?.minimumRingSize ?? ch.minimumRingSize ?? 1024 };
    }
    return;
  }
  switch (lb.simple) {
    case undefined:
    case 'UNSPECIFIED':
    case 'LEAST_CONN':
    case 'LEAST_REQUEST':
      cluster.lb_policy = 'LEAST_REQUEST';
      return;
    case 'ROUND_ROBIN':
      delete cluster.lb_policy; // Envoy's default: proto3 JSON leaves it out
      return;
    case 'RANDOM':
      cluster.lb_policy = 'RANDOM';
      return;
    case 'PASSTHROUGH':
      if (ctx.capabilities.originalDstCluster) {
        cluster.type = 'ORIGINAL_DST';
        cluster.lb_policy = 'CLUSTER_PROVIDED';
        delete cluster.eds_cluster_config;
        delete cluster.load_assignment;
      } else {
        ctx.warn(dr, 'loadBalancer.simple PASSTHROUGH needs ORIGINAL_DST clusters, which skein\'s proxy does not support yet; using LEAST_REQUEST');
      }
      return;
    default:
      ctx.warn(dr, `unknown loadBalancer.simple "${String(lb.simple)}"; using LEAST_REQUEST`);
  }
}

function applyOutlierDetection(ctx: TranslateContext, cluster: Json, od: NonNullable<PolicyFields['outlierDetection']>, dr: Owner): void {
  const out: Json = {};
  const five = od.consecutive5xxErrors ?? od.consecutiveErrors;
  if (five !== undefined) out.consecutive_5xx = five;
  if (od.interval !== undefined) setDuration(ctx, out, 'interval', od.interval, dr, 'outlierDetection.interval');
  if (od.baseEjectionTime !== undefined) setDuration(ctx, out, 'base_ejection_time', od.baseEjectionTime, dr, 'outlierDetection.baseEjectionTime');
  if (od.maxEjectionPercent) out.max_ejection_percent = od.maxEjectionPercent;
  if (five !== undefined) out.enforcing_consecutive_5xx = five > 0 ? 100 : 0;
  if (od.consecutiveGatewayErrors !== undefined) {
    out.consecutive_gateway_failure = od.consecutiveGatewayErrors;
    out.enforcing_consecutive_gateway_failure = od.consecutiveGatewayErrors > 0 ? 100 : 0;
  }
  if (od.splitExternalLocalOriginErrors) {
    out.split_external_local_origin_errors = true;
    if (od.consecutiveLocalOriginFailures) {
      out.consecutive_local_origin_failure = od.consecutiveLocalOriginFailures;
      out.enforcing_consecutive_local_origin_failure = 100;
    }
    out.enforcing_local_origin_success_rate = 0;
  }
  // Success-rate ejection is not part of Istio's API: it is switched off explicitly.
  out.enforcing_success_rate = 0;
  cluster.outlier_detection = out;
  // Istio turns Envoy's panic threshold off unless minHealthPercent asks for one.
  const common = (cluster.common_lb_config ??= {}) as Json;
  common.healthy_panic_threshold = od.minHealthPercent ? { value: od.minHealthPercent } : {};
}
