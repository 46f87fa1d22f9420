// What config-time builders (listeners, filter factories, route tables) may use.
// Built once per worker; per-request code reaches these through its config objects.
import type { Runtime } from './runtime.js';
import type { StatsStore } from '../stats/store.js';
import type { ClusterManager } from '../upstream/cluster_manager.js';
import type { SecretManager } from '../tls/secret_manager.js';
import type { envoy } from '../../api/envoy-types.generated.js';
import type { RouteConfigProvider } from '../network/http_connection_manager/config.js';

export interface LocalInfo {
  nodeId: string;
  clusterName: string;
  node: envoy.config.core.v3.Node;
}

export interface DrainDecision {
  /** True once the listener or server started draining (close connections after responses). */
  drainClose(): boolean;
  /**
   * Runs once when draining starts: send HTTP/2 GOAWAY, and with `closeIdleNow`
   * (shutdown) close idle HTTP/1 connections too.
   */
  onDrain(fn: (closeIdleNow: boolean) => void): void;
}

export interface ServerFactoryContext {
  runtime: Runtime;
  stats: StatsStore;
  clusterManager: ClusterManager;
  localInfo: LocalInfo;
  /** Named TLS secrets: bootstrap static secrets, SDS files, (later) SDS over xDS. */
  secretManager: SecretManager;
}

export interface ListenerFactoryContext extends ServerFactoryContext {
  listenerName: string;
  /** `0.0.0.0_15001` — the listener's stat prefix (listener.<this>.*). */
  listenerStatPrefix: string;
  drain: DrainDecision;
  /** "INBOUND" / "OUTBOUND" / "UNSPECIFIED" (traffic_direction). */
  direction: string;
  /** RDS: route tables delivered over xDS (absent with static config only). */
  routeConfigProviders?: (rds: envoy.extensions.filters.network.http_connection_manager.v3.Rds, path: string) => RouteConfigProvider | undefined;
}
