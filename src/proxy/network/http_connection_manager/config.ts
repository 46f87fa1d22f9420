// envoy.filters.network.http_connection_manager: the config, validated and compiled
// once per listener filter chain, and its registration as a network filter.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { durationMs, unwrap } from '../../../api/json/wkt.js';
import { createAccessLogs } from '../../observability/access_log/index.js';
import type { AccessLogInstance } from '../../observability/access_log/types.js';
import { httpFilterRegistry, type FilterInstanceFactory, type HttpFilterContext } from '../../http/http_filter_registry.js';
import { RouteTable } from '../../http/route/route_table.js';
import type { ListenerFactoryContext } from '../../server/factory_context.js';
import { networkFilterRegistry, type NetworkFilterFactory } from '../network_filter.js';
import { HCM_LISTENER_STATS, HCM_STATS, HTTP1_CODEC_STATS, type HcmListenerStats, type HcmStats } from './stats.js';
import { HttpConnectionManager } from './connection_manager.js';
import type { StatsOf } from '../../stats/declare.js';

export type HcmProto = envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager;

export const HCM_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

export interface HttpFilterEntry {
  name: string;
  create: FilterInstanceFactory;
  /** The router: never switched off per route. */
  terminal?: boolean;
  /** HttpFilter `disabled`: runs only on routes whose FilterConfig says `disabled: false`. */
  disabledByDefault?: boolean;
}

/** Where the route table comes from: inline (fixed) or RDS (replaced on updates). */
export interface RouteConfigProvider {
  current(): RouteTable | undefined;
}

export class HcmConfig {
  readonly statPrefix: string;
  readonly stats: HcmStats;
  readonly listenerStats: HcmListenerStats;
  readonly http1Stats: StatsOf<typeof HTTP1_CODEC_STATS>;
  readonly codecType: 'AUTO' | 'HTTP1' | 'HTTP2' | 'HTTP3';
  readonly filters: HttpFilterEntry[];
  /** Some filter is off unless a route turns it on. */
  readonly hasDisabledFilters: boolean;
  readonly routes: RouteConfigProvider;
  readonly accessLogs: AccessLogInstance[];
  readonly serverName: string;
  readonly serverHeaderTransformation: 'OVERWRITE' | 'APPEND_IF_ABSENT' | 'PASS_THROUGH';
  readonly generateRequestId: boolean;
  readonly preserveExternalRequestId: boolean;
  readonly alwaysSetRequestIdInResponse: boolean;
  readonly useRemoteAddress: boolean;
  readonly xffNumTrustedHops: number;
  readonly skipXffAppend: boolean;
  readonly via?: string;
  readonly maxRequestHeadersKb: number;
  readonly maxHeadersCount: number;
  readonly headersWithUnderscoresAction: 'ALLOW' | 'REJECT_REQUEST' | 'DROP_HEADER';
  readonly idleTimeoutMs: number;
  readonly streamIdleTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly requestHeadersTimeoutMs: number;
  readonly maxStreamDurationMs: number;
  readonly maxConnectionDurationMs: number;
  readonly maxRequestsPerConnection: number;
  readonly drainTimeoutMs: number;
  readonly acceptHttp10: boolean;
  readonly defaultHostForHttp10?: string;
  readonly stripPortMode: 'none' | 'matching' | 'any';
  readonly stripTrailingHostDot: boolean;
  readonly upgradeTypes: Set<string>;
  readonly internalAddressCidrs?: Array<{ prefix: string; len: number }>;
  readonly proto: HcmProto;

  constructor(proto: HcmProto, path: string, readonly context: ListenerFactoryContext) {
    this.proto = proto;
    this.statPrefix = proto.stat_prefix ?? '';
    const scope = context.stats.scope(`http.${this.statPrefix}.`);
    this.stats = HCM_STATS.create(scope);
    this.listenerStats = HCM_LISTENER_STATS.create(context.stats.scope(`listener.${context.listenerStatPrefix}.http.${this.statPrefix}.`));
    this.http1Stats = HTTP1_CODEC_STATS.create(context.stats.scope('http1.'));
    this.codecType = (proto.codec_type as HcmConfig['codecType'] | undefined) ?? 'AUTO';
    if (this.codecType === 'HTTP3') throw ConfigError.single(`${path}.codec_type`, 'HTTP3 is not supported by skein', spanOf(proto));
    const common = proto.common_http_protocol_options;
    this.serverName = proto.server_name ?? 'envoy';
    this.serverHeaderTransformation = (proto.server_header_transformation as HcmConfig['serverHeaderTransformation'] | undefined) ?? 'OVERWRITE';
    this.generateRequestId = unwrap(proto.generate_request_id, true);
    this.preserveExternalRequestId = proto.preserve_external_request_id === true;
    this.alwaysSetRequestIdInResponse = proto.always_set_request_id_in_response === true;
    this.useRemoteAddress = unwrap(proto.use_remote_address, false);
    this.xffNumTrustedHops = proto.xff_num_trusted_hops ?? 0;
    this.skipXffAppend = proto.skip_xff_append === true;
    this.via = proto.via || undefined;
    this.maxRequestHeadersKb = unwrap(proto.max_request_headers_kb, 60);
    if (this.maxRequestHeadersKb < 1 || this.maxRequestHeadersKb > 8192) {
      throw ConfigError.single(`${path}.max_request_headers_kb`, 'value must be between 1 and 8192', spanOf(proto));
    }
    this.maxHeadersCount = unwrap(common?.max_headers_count, 100);
    this.headersWithUnderscoresAction = (common?.headers_with_underscores_action as HcmConfig['headersWithUnderscoresAction'] | undefined) ?? 'ALLOW';
    this.idleTimeoutMs = durationMs(common?.idle_timeout, 3_600_000);
    this.maxConnectionDurationMs = durationMs(common?.max_connection_duration, 0);
    this.maxStreamDurationMs = durationMs(common?.max_stream_duration, 0);
    this.maxRequestsPerConnection = unwrap(common?.max_requests_per_connection, 0);
    this.streamIdleTimeoutMs = durationMs(proto.stream_idle_timeout, 300_000);
    this.requestTimeoutMs = durationMs(proto.request_timeout, 0);
    this.requestHeadersTimeoutMs = durationMs(proto.request_headers_timeout, 0);
    this.drainTimeoutMs = durationMs(proto.drain_timeout, 5000);
    this.acceptHttp10 = proto.http_protocol_options?.accept_http_10 === true;
    this.defaultHostForHttp10 = proto.http_protocol_options?.default_host_for_http_10 || undefined;
    this.stripPortMode = proto.strip_any_host_port ? 'any' : proto.strip_matching_host_port ? 'matching' : 'none';
    this.stripTrailingHostDot = proto.strip_trailing_host_dot === true;
    this.upgradeTypes = new Set((proto.upgrade_configs ?? []).filter((u) => unwrap(u.enabled, true)).map((u) => (u.upgrade_type ?? '').toLowerCase()));
    if (proto.internal_address_config?.cidr_ranges?.length) {
      this.internalAddressCidrs = proto.internal_address_config.cidr_ranges.map((c) => ({ prefix: c.address_prefix ?? '', len: unwrap(c.prefix_len, 0) }));
    }

    this.routes = this.buildRouteProvider(proto, path);
    const filterContext: HttpFilterContext = { ...context, hcmStats: this.stats, hcmStatPrefix: `http.${this.statPrefix}.` };
    this.filters = buildFilterChain(proto.http_filters ?? [], `${path}.http_filters`, filterContext);
    this.hasDisabledFilters = this.filters.some((f) => f.disabledByDefault);
    this.accessLogs = createAccessLogs(proto.access_log, `${path}.access_log`, {});
  }

  private buildRouteProvider(proto: HcmProto, path: string): RouteConfigProvider {
    if (proto.route_config) {
      // Inline routes are checked against known clusters, as Envoy's validate_clusters does by default.
      const validate = unwrap(proto.route_config.validate_clusters, true);
      const cm = this.context.clusterManager;
      const table = new RouteTable(proto.route_config, {
        runtime: this.context.runtime,
        validateCluster: validate
          ? (name, at, obj) => {
              if (!cm.hasCluster(name)) throw ConfigError.single(at, `route refers to unknown cluster "${name}"`, spanOf(obj));
            }
          : undefined,
      }, `${path}.route_config`);
      return { current: () => table };
    }
    if (proto.rds) {
      const provider = this.context.routeConfigProviders?.(proto.rds, `${path}.rds`);
      if (!provider) throw ConfigError.single(`${path}.rds`, 'RDS is not available in this configuration (no dynamic route source)', spanOf(proto));
      return provider;
    }
    if (proto.scoped_routes) throw ConfigError.single(`${path}.scoped_routes`, 'scoped routes are not supported by skein', spanOf(proto));
    throw ConfigError.single(path, 'one of route_config, rds is required', spanOf(proto));
  }
}

function buildFilterChain(list: envoy.extensions.filters.network.http_connection_manager.v3.HttpFilter[], path: string, context: HttpFilterContext): HttpFilterEntry[] {
  const entries: HttpFilterEntry[] = [];
  list.forEach((f, i) => {
    const at = `${path}[${i}]`;
    if (f.config_discovery) throw ConfigError.single(`${at}.config_discovery`, 'filter config discovery (ECDS) is not supported yet', spanOf(f));
    const resolved = httpFilterRegistry.resolve(f, at);
    if (!resolved) return; // optional and unknown: skipped, as Envoy does
    const isLast = i === list.length - 1;
    if (f.disabled && (resolved.factory.terminal || isLast)) throw ConfigError.single(`${at}.disabled`, `the terminal filter ${resolved.name} cannot be disabled by default`, spanOf(f));
    if (resolved.factory.terminal && !isLast) {
      throw ConfigError.single(at, `terminal filter named ${resolved.name} of type ${resolved.factory.names[0]} must be the last filter in a http filter chain`, spanOf(f));
    }
    if (!resolved.factory.terminal && isLast) {
      throw ConfigError.single(at, `non-terminal filter named ${resolved.name} of type ${resolved.factory.names[0]} is the last filter in a http filter chain`, spanOf(f));
    }
    entries.push({
      name: resolved.name,
      create: resolved.factory.createFilterFactory(resolved.config, `${at}.typed_config`, context),
      terminal: resolved.factory.terminal,
      disabledByDefault: f.disabled === true,
    });
  });
  if (entries.length === 0) throw ConfigError.single(path, 'http_filters must end with a terminal filter such as envoy.filters.http.router');
  return entries;
}

export const httpConnectionManagerFactory: NetworkFilterFactory = networkFilterRegistry.register({
  names: ['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager'],
  typeUrls: [HCM_TYPE_URL],
  terminal: true,
  createFilterFactory(config, path, context) {
    const hcmConfig = new HcmConfig(config as HcmProto, path, context);
    const manager = new HttpConnectionManager(hcmConfig);
    context.drain.onDrain((closeIdleNow) => manager.startDrain(closeIdleNow));
    return () => ({ handleConnection: (connection) => manager.handleConnection(connection) });
  },
});
