// Resolves the config sources found in config (`ads: {}`, `api_config_source`) to xDS
// muxes: one for the bootstrap's ads_config, one per distinct api_config_source. A
// gRPC service naming a cluster (`envoy_grpc.cluster_name`) connects to that static
// cluster's hosts, with its upstream TLS settings when it has them.
import * as grpc from '@grpc/grpc-js';
import type { Bootstrap } from '../../../api/bootstrap.js';
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { logger } from '../../../common/logger.js';
import { readDataSource } from '../../common/data_source.js';
import type { StatsStore } from '../../stats/store.js';
import type { Cluster } from '../../upstream/cluster_info.js';
import type { HostDescription } from '../../upstream/host.js';
import { XdsMux, initialFetchTimeoutMs, xdsSourceKind, xdsTarget, type XdsTarget } from '../../xds/index.js';
import type { SubscriptionRequest, XdsSubscriber } from '../../xds/subscriber.js';
import type { Subscription } from '../../xds/types.js';
import type { LocalInfo } from '../factory_context.js';

const log = logger('config');

type ApiConfigSource = envoy.config.core.v3.ApiConfigSource;
type UpstreamTlsContext = envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;

export interface XdsClientEnv {
  bootstrap: Bootstrap;
  localInfo: LocalInfo;
  stats: StatsStore;
  /** A static cluster's config and current hosts (the control plane's address). */
  cluster(name: string): { config: Cluster; hosts: HostDescription[] } | undefined;
}

export class XdsClient implements XdsSubscriber {
  private ads?: XdsMux;
  private readonly apiMuxes = new Map<string, XdsMux>();

  constructor(private readonly env: XdsClientEnv) {}

  subscribe(request: SubscriptionRequest): Subscription {
    const { source, at } = request;
    let mux: XdsMux;
    if (!source) throw ConfigError.single(at, 'a config source is required');
    if (source.ads) mux = this.adsMux(at);
    else if (source.api_config_source) mux = this.apiMux(source.api_config_source, `${at}.api_config_source`);
    else if (source.path !== undefined || source.path_config_source) {
      throw ConfigError.single(at, 'filesystem subscriptions (path / path_config_source) are not supported by skein for this resource type; use ads or api_config_source');
    } else throw ConfigError.single(at, 'config source needs ads, api_config_source or path_config_source');
    return mux.subscribe(request.typeUrl, request.names, request.callbacks, {
      initialFetchTimeoutMs: initialFetchTimeoutMs(source),
      stats: this.env.stats.scope(request.statsPrefix),
    });
  }

  /** Every mux's subscription state for `typeUrl` (config_dump's version_info). */
  muxes(): XdsMux[] {
    return [...(this.ads ? [this.ads] : []), ...this.apiMuxes.values()];
  }

  stop(): void {
    for (const mux of this.muxes()) mux.stop();
  }

  private adsMux(at: string): XdsMux {
    if (this.ads) return this.ads;
    const ads = this.env.bootstrap.dynamic_resources?.ads_config;
    if (!ads) throw ConfigError.single(`${at}.ads`, 'ads: {} needs dynamic_resources.ads_config in the bootstrap');
    const kind = xdsSourceKind({ ...ads, api_type: ads.api_type === 'DELTA_GRPC' ? 'AGGREGATED_DELTA_GRPC' : ads.api_type === 'GRPC' ? 'AGGREGATED_GRPC' : ads.api_type }, 'dynamic_resources.ads_config');
    this.ads = this.startMux(ads, kind, 'dynamic_resources.ads_config', true);
    return this.ads;
  }

  private apiMux(api: ApiConfigSource, at: string): XdsMux {
    const key = JSON.stringify(api);
    const existing = this.apiMuxes.get(key);
    if (existing) return existing;
    const kind = xdsSourceKind(api, at);
    if (kind.aggregated) return this.adsMux(at);
    const mux = this.startMux(api, kind, at, false);
    this.apiMuxes.set(key, mux);
    return mux;
  }

  private startMux(api: ApiConfigSource, kind: ReturnType<typeof xdsSourceKind>, at: string, aggregated: boolean): XdsMux {
    const target = xdsTarget(api, (name) => this.clusterTarget(name, `${at}.grpc_services[0].envoy_grpc.cluster_name`), at);
    const mux = new XdsMux({
      transport: kind.transport,
      aggregated,
      target,
      node: this.env.localInfo.node,
      setNodeOnFirstMessageOnly: kind.setNodeOnFirstMessageOnly,
      stats: this.env.stats.scope(''),
      rateLimit: rateLimitOf(api),
    });
    mux.start();
    log.info(`xDS: ${aggregated ? 'ADS' : 'per-type'} ${kind.transport === 'delta' ? 'delta' : 'state-of-the-world'} stream to ${target.addresses.map((a) => `${a.host}:${a.port}`).join(', ')}`);
    return mux;
  }

  private clusterTarget(name: string, at: string): Omit<XdsTarget, 'metadata'> {
    const cluster = this.env.cluster(name);
    if (!cluster) throw ConfigError.single(at, `unknown cluster '${name}': the xDS cluster must be a static cluster of the bootstrap`);
    if (!cluster.hosts.length) throw ConfigError.single(at, `cluster '${name}' has no hosts to reach the control plane`);
    return {
      addresses: cluster.hosts.map((h) => ({ host: h.ip, port: h.port })),
      credentials: credentialsOf(cluster.config, at),
      authority: name,
    };
  }
}

function rateLimitOf(api: ApiConfigSource): { maxTokens: number; fillRatePerSecond: number } | undefined {
  const r = api.rate_limit_settings;
  if (!r) return undefined;
  return { maxTokens: r.max_tokens?.value ?? 100, fillRatePerSecond: r.fill_rate?.value ?? 10 };
}

/** The xDS cluster's UpstreamTlsContext as gRPC channel credentials (insecure without one). */
function credentialsOf(cluster: Cluster, at: string): grpc.ChannelCredentials | undefined {
  const ts = cluster.transport_socket;
  if (!ts) return undefined;
  const ctx = ts.typed_config as (UpstreamTlsContext & { '@type'?: string }) | undefined;
  if (!ctx || !String(ctx['@type'] ?? '').endsWith('UpstreamTlsContext')) {
    throw ConfigError.single(`${at}`, `the xDS cluster's transport socket must be TLS (UpstreamTlsContext)`);
  }
  const common = ctx.common_tls_context ?? {};
  const ca = common.validation_context?.trusted_ca;
  const cert = common.tls_certificates?.[0];
  const read = (ds: envoy.config.core.v3.DataSource | undefined, p: string) => (ds ? Buffer.from(readDataSource(ds, p)) : null);
  return grpc.credentials.createSsl(
    read(ca, `${at}.transport_socket.common_tls_context.validation_context.trusted_ca`),
    read(cert?.private_key, `${at}.transport_socket.common_tls_context.tls_certificates[0].private_key`),
    read(cert?.certificate_chain, `${at}.transport_socket.common_tls_context.tls_certificates[0].certificate_chain`),
  );
}
