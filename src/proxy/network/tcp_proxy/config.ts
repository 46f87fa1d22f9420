// envoy.filters.network.tcp_proxy: the config, validated and compiled once per
// listener filter chain, and its registration as a terminal network filter.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { durationMs, unwrap } from '../../../api/json/wkt.js';
import { createAccessLogs } from '../../observability/access_log/index.js';
import type { AccessLogInstance } from '../../observability/access_log/types.js';
import type { ListenerFactoryContext } from '../../server/factory_context.js';
import type { ClusterManager } from '../../upstream/cluster_manager.js';
import { hash64 } from '../../upstream/lb/hash.js';
import { networkFilterRegistry, type NetworkFilterFactory } from '../network_filter.js';
import { TcpProxySession } from './session.js';
import { TCP_PROXY_STATS, type TcpProxyStats } from './stats.js';

export type TcpProxyProto = envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy;

export const TCP_PROXY_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

const ONE_HOUR_MS = 3_600_000;

interface WeightedEntry {
  name: string;
  /** End of this cluster's interval in [0, total). */
  upTo: number;
}

export class TcpProxyConfig {
  readonly statPrefix: string;
  readonly stats: TcpProxyStats;
  readonly cluster?: string;
  private readonly weighted?: { entries: WeightedEntry[]; total: number };
  /** 0: no idle timeout. */
  readonly idleTimeoutMs: number;
  /** 0: unlimited. */
  readonly maxDownstreamConnectionDurationMs: number;
  readonly maxConnectAttempts: number;
  readonly accessLogs: AccessLogInstance[];
  readonly flushAccessLogOnConnected: boolean;
  /** 0: no periodic access log entries. */
  readonly accessLogFlushIntervalMs: number;
  readonly hashSourceIp: boolean;
  readonly clusterManager: ClusterManager;

  constructor(proto: TcpProxyProto, path: string, context: ListenerFactoryContext) {
    const span = spanOf(proto);
    if (!proto.stat_prefix) throw ConfigError.single(`${path}.stat_prefix`, 'value is required (must not be empty)', span);
    if (proto.tunneling_config) {
      throw ConfigError.single(`${path}.tunneling_config`, 'tunneling TCP over HTTP (tunneling_config) is not supported by skein', span);
    }
    if (proto.on_demand) {
      throw ConfigError.single(`${path}.on_demand`, 'on-demand cluster discovery (on_demand) is not supported by skein', span);
    }
    this.statPrefix = proto.stat_prefix;
    this.stats = TCP_PROXY_STATS.create(context.stats.scope(`tcp.${this.statPrefix}.`));
    this.clusterManager = context.clusterManager;

    // As in Envoy, `cluster` wins when both are given.
    if (proto.cluster) this.cluster = proto.cluster;
    else if (proto.weighted_clusters) this.weighted = compileWeighted(proto.weighted_clusters, `${path}.weighted_clusters`);
    else throw ConfigError.single(path, 'one of cluster, weighted_clusters is required', span);

    // Envoy: unset → 1 hour; an explicit 0 disables the timeout.
    this.idleTimeoutMs = durationMs(proto.idle_timeout, ONE_HOUR_MS);
    this.maxDownstreamConnectionDurationMs = durationMs(proto.max_downstream_connection_duration, 0);
    this.maxConnectAttempts = unwrap(proto.max_connect_attempts, 1);
    if (this.maxConnectAttempts < 1) throw ConfigError.single(`${path}.max_connect_attempts`, 'value must be greater than or equal to 1', span);

    const options = proto.access_log_options;
    if (options && proto.flush_access_log_on_connected) {
      throw ConfigError.single(`${path}.access_log_options`, 'only one of flush_access_log_on_connected or access_log_options can be specified', span);
    }
    if (options && proto.access_log_flush_interval) {
      throw ConfigError.single(`${path}.access_log_options`, 'only one of access_log_flush_interval or access_log_options can be specified', span);
    }
    this.flushAccessLogOnConnected = (options ? options.flush_access_log_on_connected : proto.flush_access_log_on_connected) === true;
    this.accessLogFlushIntervalMs = durationMs(options ? options.access_log_flush_interval : proto.access_log_flush_interval, 0);
    this.accessLogs = createAccessLogs(proto.access_log, `${path}.access_log`, {});

    const hashPolicies = proto.hash_policy ?? [];
    if (hashPolicies.length > 1) throw ConfigError.single(`${path}.hash_policy`, 'at most one hash policy is allowed', span);
    // filter_state hashing needs filter state objects skein does not keep: it yields no key (random pick).
    this.hashSourceIp = hashPolicies[0]?.source_ip !== undefined;
    // metadata_match (subset load balancing) and the hidden, unimplemented
    // downstream_idle_timeout / upstream_idle_timeout are accepted and ignored.
  }

  /** The cluster for a new connection (a weighted pick per connection, like Envoy). */
  pickCluster(): string {
    if (this.cluster !== undefined) return this.cluster;
    const { entries, total } = this.weighted!;
    const value = Math.floor(Math.random() * total);
    for (const e of entries) if (value < e.upTo) return e.name;
    return entries[entries.length - 1]!.name;
  }

  /** Envoy's source_ip hash policy: xxHash64 of the downstream IP as text. */
  hashKey(remoteIp: string): bigint | undefined {
    return this.hashSourceIp && remoteIp ? hash64(remoteIp) : undefined;
  }
}

function compileWeighted(wc: envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy.WeightedCluster, path: string): { entries: WeightedEntry[]; total: number } {
  const clusters = wc.clusters ?? [];
  if (clusters.length === 0) throw ConfigError.single(`${path}.clusters`, 'at least 1 item(s) required', spanOf(wc));
  let total = 0;
  const entries = clusters.map((c, i) => {
    const at = `${path}.clusters[${i}]`;
    if (!c.name) throw ConfigError.single(`${at}.name`, 'value is required (must not be empty)', spanOf(c));
    const weight = c.weight ?? 0;
    if (weight < 1) throw ConfigError.single(`${at}.weight`, 'value must be greater than or equal to 1', spanOf(c));
    total += weight;
    return { name: c.name, upTo: total };
  });
  return { entries, total };
}

export const tcpProxyFactory: NetworkFilterFactory = networkFilterRegistry.register({
  names: ['envoy.filters.network.tcp_proxy', 'envoy.tcp_proxy'],
  typeUrls: [TCP_PROXY_TYPE_URL],
  terminal: true,
  createFilterFactory(config, path, context) {
    const tcpConfig = new TcpProxyConfig(config as TcpProxyProto, path, context);
    return () => ({ handleConnection: (connection) => new TcpProxySession(tcpConfig, connection).start() });
  },
});
