// From Envoy's ConfigSource / ApiConfigSource to the engine's settings. Which cluster a
// GrpcService names, and that cluster's addresses and TLS, belong to the cluster
// manager; it is asked through `resolveCluster`, so this module stays free of it.
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { durationMs } from '../../api/json/wkt.js';
import type { XdsTarget } from './grpc_stream.js';
import type { XdsAddress, XdsTransport } from './types.js';

type ApiConfigSource = envoy.config.core.v3.ApiConfigSource;
type ConfigSource = envoy.config.core.v3.ConfigSource;
type GrpcService = envoy.config.core.v3.GrpcService;

/** Envoy's default `initial_fetch_timeout`. */
export const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;

export interface XdsSourceKind {
  transport: XdsTransport;
  aggregated: boolean;
  setNodeOnFirstMessageOnly: boolean;
}

/** How an ApiConfigSource talks: SotW or delta, ADS or per type. Throws ConfigError for REST. */
export function xdsSourceKind(api: ApiConfigSource, path = 'api_config_source'): XdsSourceKind {
  const setNodeOnFirstMessageOnly = api.set_node_on_first_message_only ?? false;
  switch (api.api_type ?? 'DEPRECATED_AND_UNAVAILABLE_DO_NOT_USE') {
    case 'GRPC':
      return { transport: 'sotw', aggregated: false, setNodeOnFirstMessageOnly };
    case 'DELTA_GRPC':
      return { transport: 'delta', aggregated: false, setNodeOnFirstMessageOnly };
    case 'AGGREGATED_GRPC':
      return { transport: 'sotw', aggregated: true, setNodeOnFirstMessageOnly };
    case 'AGGREGATED_DELTA_GRPC':
      return { transport: 'delta', aggregated: true, setNodeOnFirstMessageOnly };
    default:
      throw ConfigError.single(`${path}.api_type`, `api_type ${api.api_type ?? '(unset)'} is not supported; use GRPC, DELTA_GRPC or an ADS type`);
  }
}

/** `initial_fetch_timeout` in ms (0 disables it). */
export function initialFetchTimeoutMs(source: ConfigSource | undefined): number {
  return durationMs(source?.initial_fetch_timeout, DEFAULT_INITIAL_FETCH_TIMEOUT_MS);
}

/**
 * The gRPC target of an ApiConfigSource's first grpc_service. `envoy_grpc` names a
 * cluster, resolved by the caller; `google_grpc.target_uri` is `host:port` (an optional
 * `dns:`/`ipv4:`/`ipv6:` scheme is dropped).
 */
export function xdsTarget(
  api: ApiConfigSource,
  resolveCluster: (clusterName: string) => Omit<XdsTarget, 'metadata'>,
  path = 'api_config_source',
): XdsTarget {
  const service: GrpcService | undefined = api.grpc_services?.[0];
  if (!service) throw ConfigError.single(`${path}.grpc_services`, 'a gRPC ApiConfigSource needs one grpc_services entry');
  const metadata = Object.fromEntries((service.initial_metadata ?? []).map((h) => [String(h.key).toLowerCase(), h.value ?? '']));
  if (service.envoy_grpc) {
    const target = resolveCluster(service.envoy_grpc.cluster_name ?? '');
    const authority = service.envoy_grpc.authority || target.authority;
    return { ...target, ...(authority ? { authority } : {}), metadata };
  }
  const uri = service.google_grpc?.target_uri;
  if (!uri) throw ConfigError.single(`${path}.grpc_services[0]`, 'needs envoy_grpc or google_grpc.target_uri');
  return { addresses: [parseHostPort(uri, `${path}.grpc_services[0].google_grpc.target_uri`)], metadata };
}

function parseHostPort(uri: string, path: string): XdsAddress {
  const bare = uri.replace(/^(dns|ipv4|ipv6):(\/\/\/?)?/, '');
  const m = /^\[?([^\]]*?)\]?:(\d+)$/.exec(bare);
  if (!m) throw ConfigError.single(path, `expected host:port, got "${uri}"`);
  return { host: m[1]!, port: Number(m[2]) };
}
