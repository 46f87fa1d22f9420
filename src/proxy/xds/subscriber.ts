// How config consumers (EDS clusters, RDS route configs, SDS secrets, CDS, LDS) ask
// for resources: by the ConfigSource their own config names. The server resolves a
// source to a stream (the ADS mux, a per-source gRPC mux) and consumers never know
// which one serves them.
import type { envoy } from '../../api/envoy-types.generated.js';
import type { Subscription, SubscriptionCallbacks } from './types.js';

export type ConfigSource = envoy.config.core.v3.ConfigSource;

export interface SubscriptionRequest {
  /** The consumer's config_source (eds_config, rds.config_source, sds_config, ...). */
  source: ConfigSource | undefined;
  /** Config path of `source`, for errors ("...eds_cluster_config.eds_config"). */
  at: string;
  typeUrl: string;
  names: readonly string[] | '*';
  callbacks: SubscriptionCallbacks;
  /** Where the subscription's update_* stats live, e.g. "cluster.foo." or "sds.cert." */
  statsPrefix: string;
}

export interface XdsSubscriber {
  /** Throws ConfigError when the source cannot be used (e.g. `ads` without ads_config). */
  subscribe(request: SubscriptionRequest): Subscription;
}
