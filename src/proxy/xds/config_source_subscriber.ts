// The XdsSubscriber the server hands to its managers: a consumer names a ConfigSource
// (`ads: {}` or an `api_config_source`), and this finds the mux that serves it — the
// bootstrap's ADS mux, or one mux per distinct api_config_source, created on first
// use — so consumers never know which stream their resources come on.
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { unwrap } from '../../api/json/wkt.js';
import type { StatsScope } from '../stats/store.js';
import { initialFetchTimeoutMs, xdsSourceKind, xdsTarget } from './config_source.js';
import { XdsMux } from './grpc_mux.js';
import type { XdsTarget } from './grpc_stream.js';
import type { SubscriptionRequest, XdsSubscriber } from './subscriber.js';
import type { BackoffOptions, RateLimitOptions, Subscription } from './types.js';

type ApiConfigSource = envoy.config.core.v3.ApiConfigSource;

export interface ConfigSourceSubscriberOptions {
  node: envoy.config.core.v3.Node;
  /** The bootstrap's `dynamic_resources.ads_config`, if any. */
  adsConfig?: ApiConfigSource;
  /**
   * Addresses (and TLS credentials) of an `envoy_grpc` cluster; throws ConfigError when
   * the cluster is unknown. Called when a mux is created.
   */
  resolveCluster(clusterName: string): Omit<XdsTarget, 'metadata'>;
  /** The server's root scope: `control_plane.*` and every subscription's stats go under it. */
  stats: StatsScope;
  backoff?: BackoffOptions;
}

export class ConfigSourceSubscriber implements XdsSubscriber {
  /** The ADS mux, when the bootstrap configures ads_config. */
  readonly ads?: XdsMux;
  private readonly perSource = new Map<string, XdsMux>();
  private running = false;

  constructor(private readonly options: ConfigSourceSubscriberOptions) {
    if (options.adsConfig) this.ads = this.createMux(options.adsConfig, 'dynamic_resources.ads_config', true);
  }

  subscribe(request: SubscriptionRequest): Subscription {
    const mux = this.muxFor(request);
    return mux.subscribe(request.typeUrl, request.names, request.callbacks, {
      initialFetchTimeoutMs: initialFetchTimeoutMs(request.source),
      stats: this.options.stats.scope(request.statsPrefix),
    });
  }

  /** Every mux in use (for config_dump and status). */
  muxes(): XdsMux[] {
    return [...(this.ads ? [this.ads] : []), ...this.perSource.values()];
  }

  start(): void {
    this.running = true;
    for (const mux of this.muxes()) mux.start();
  }

  stop(): void {
    this.running = false;
    for (const mux of this.muxes()) mux.stop();
  }

  private muxFor({ source, at }: SubscriptionRequest): XdsMux {
    if (!source) throw ConfigError.single(at, 'a config source is required');
    // `self` means "where the referring resource came from"; with ADS that is the ADS stream.
    if (source.ads !== undefined || source.self !== undefined) {
      if (!this.ads) throw ConfigError.single(at, 'uses ADS, but the bootstrap has no dynamic_resources.ads_config');
      return this.ads;
    }
    const api = source.api_config_source;
    if (!api) throw ConfigError.single(at, 'only ads and api_config_source (GRPC, DELTA_GRPC) config sources are supported');
    if (api.api_type === 'AGGREGATED_GRPC' || api.api_type === 'AGGREGATED_DELTA_GRPC') {
      if (!this.ads) throw ConfigError.single(`${at}.api_config_source.api_type`, 'aggregated types need dynamic_resources.ads_config');
      return this.ads;
    }
    const key = JSON.stringify(api);
    let mux = this.perSource.get(key);
    if (!mux) {
      mux = this.createMux(api, `${at}.api_config_source`, false);
      this.perSource.set(key, mux);
      if (this.running) mux.start();
    }
    return mux;
  }

  private createMux(api: ApiConfigSource, path: string, isAds: boolean): XdsMux {
    const kind = xdsSourceKind(api, path);
    // ads_config says GRPC or DELTA_GRPC (Envoy's bootstraps, Istio's included); being
    // the ADS source is what makes its stream aggregated.
    return new XdsMux({
      ...kind,
      aggregated: isAds || kind.aggregated,
      target: xdsTarget(api, this.options.resolveCluster, path),
      node: this.options.node,
      stats: this.options.stats,
      backoff: this.options.backoff,
      rateLimit: rateLimitOf(api),
    });
  }
}

/** `rate_limit_settings` with Envoy's defaults (100 tokens, 10 per second); none when absent. */
export function rateLimitOf(api: ApiConfigSource): RateLimitOptions | undefined {
  const settings = api.rate_limit_settings;
  if (!settings) return undefined;
  return { maxTokens: unwrap(settings.max_tokens, 100), fillRatePerSecond: unwrap(settings.fill_rate, 10) };
}
