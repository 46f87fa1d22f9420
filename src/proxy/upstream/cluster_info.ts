// Per-cluster settings derived once from the Cluster config and shared by the
// cluster's pools, balancer and the router.
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';
import { durationMs, unwrap } from '../../api/json/wkt.js';
import type { Counter, Histogram, StatsScope } from '../stats/store.js';
import type { TransportSocketMatcher } from '../tls/transport_socket_matches.js';
import type { UpstreamTls } from '../tls/upstream.js';
import { CIRCUIT_BREAKER_STATS, CLUSTER_STATS, type CircuitBreakerStats, type ClusterStats } from './cluster_stats.js';

export type Cluster = envoy.config.cluster.v3.Cluster;

export interface CircuitBreakerLimits {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

const HTTP_PROTOCOL_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export type UpstreamProtocol = 'http1' | 'http2' | 'downstream' | 'auto';

export class ClusterInfo {
  readonly name: string;
  readonly statName: string;
  readonly stats: ClusterStats;
  readonly circuitBreakerStats: CircuitBreakerStats;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxRequestsPerConnection: number;
  readonly perConnectionBufferLimitBytes: number;
  readonly limits: CircuitBreakerLimits;
  readonly protocol: UpstreamProtocol;
  readonly http2Options?: envoy.config.core.v3.Http2ProtocolOptions;
  readonly type: string;
  /** Codes counted per status (upstream_rq_200) are created lazily under this scope. */
  readonly scope: StatsScope;
  /** TLS origination settings when the cluster has an UpstreamTlsContext. */
  upstreamTls?: UpstreamTls;
  /** transport_socket_matches: per-endpoint sockets chosen by endpoint metadata. */
  socketMatches?: TransportSocketMatcher;
  /** Requests in flight across this worker's pools (circuit breaker max_requests). */
  activeRequests = 0;
  pendingRequests = 0;
  activeRetries = 0;

  constructor(
    readonly config: Cluster,
    statsRoot: StatsScope,
    readonly path: string,
  ) {
    this.name = config.name ?? '';
    this.statName = config.alt_stat_name || this.name;
    this.scope = statsRoot.scope(`cluster.${this.statName}.`);
    this.stats = CLUSTER_STATS.create(this.scope);
    this.circuitBreakerStats = CIRCUIT_BREAKER_STATS.create(this.scope.scope('circuit_breakers.default.'));
    this.type = config.type ?? (config.cluster_type ? 'CLUSTER_PROVIDED' : 'STATIC');
    this.connectTimeoutMs = durationMs(config.connect_timeout, 5000);
    this.perConnectionBufferLimitBytes = unwrap(config.per_connection_buffer_limit_bytes, 1024 * 1024);
    const threshold = (config.circuit_breakers?.thresholds ?? []).find((t) => (t.priority ?? 'DEFAULT') === 'DEFAULT');
    this.limits = {
      maxConnections: unwrap(threshold?.max_connections, 1024),
      maxPendingRequests: unwrap(threshold?.max_pending_requests, 1024),
      maxRequests: unwrap(threshold?.max_requests, 1024),
      maxRetries: unwrap(threshold?.max_retries, 3),
    };
    const protocolOptions = config.typed_extension_protocol_options?.['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    let common: envoy.config.core.v3.HttpProtocolOptions | undefined = config.common_http_protocol_options;
    let protocol: UpstreamProtocol = config.http2_protocol_options ? 'http2' : 'http1';
    let http2 = config.http2_protocol_options;
    if (protocolOptions) {
      if (protocolOptions['@type'] !== HTTP_PROTOCOL_OPTIONS) {
        throw ConfigError.single(`${path}.typed_extension_protocol_options`, `expected ${HTTP_PROTOCOL_OPTIONS}, got ${protocolOptions['@type']}`, spanOf(config));
      }
      const opts = protocolOptions as unknown as envoy.extensions.upstreams.http.v3.HttpProtocolOptions;
      common = opts.common_http_protocol_options ?? common;
      if (opts.explicit_http_config?.http2_protocol_options) {
        protocol = 'http2';
        http2 = opts.explicit_http_config.http2_protocol_options;
      } else if (opts.explicit_http_config) protocol = 'http1';
      else if (opts.use_downstream_protocol_config) protocol = 'downstream';
      else if (opts.auto_config) protocol = 'auto';
    }
    this.protocol = protocol;
    this.http2Options = http2;
    this.idleTimeoutMs = durationMs(common?.idle_timeout, 3_600_000);
    this.maxRequestsPerConnection = unwrap(config.max_requests_per_connection, 0) || unwrap(common?.max_requests_per_connection, 0);
  }
  /** The TLS settings for connections to this host: its transport socket match, else the cluster's. */
  upstreamTlsFor(host: { description: { metadata?: Cluster['metadata'] } }): UpstreamTls | undefined {
    const match = this.socketMatches?.select(host.description.metadata);
    return match ? match.tls : this.upstreamTls;
  }


  /** Counts a response code the way Envoy's router does: upstream_rq_<code> and <class>xx. */
  /** Per-code counters by (code, internal), created on first use and kept (no name building per request). */
  private readonly codeCounters = new Map<number, Counter[]>();
  private readonly timeHistograms: Array<Histogram | undefined> = [];

  chargeResponseCode(code: number, internal: boolean): void {
    const key = internal ? -code : code;
    let counters = this.codeCounters.get(key);
    if (!counters) {
      const cls = `${Math.floor(code / 100)}xx`;
      const origin = internal ? 'internal.' : 'external.';
      counters = [
        this.scope.counter(`upstream_rq_${code}`),
        this.scope.counter(`upstream_rq_${cls}`),
        this.scope.counter(`${origin}upstream_rq_${code}`),
        this.scope.counter(`${origin}upstream_rq_${cls}`),
      ];
      this.codeCounters.set(key, counters);
    }
    for (const c of counters) c.inc();
    this.stats.upstream_rq_completed.inc();
  }

  recordResponseTime(ms: number, internal: boolean): void {
    const h = this.timeHistograms;
    (h[0] ??= this.scope.histogram('upstream_rq_time')).record(ms);
    const i = internal ? 1 : 2;
    (h[i] ??= this.scope.histogram(`${internal ? 'internal' : 'external'}.upstream_rq_time`)).record(ms);
  }
}
