// Where an `envoy_grpc` gRPC service (ads_config, api_config_source) connects: the
// hosts of the static cluster it names, over TLS when that cluster has an
// UpstreamTlsContext. The xDS client speaks gRPC through @grpc/grpc-js, so the TLS
// settings become grpc channel credentials.
import type * as grpc from '@grpc/grpc-js';
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { lazyRequire } from '../../common/lazy_require.js';
import { readDataSource } from '../../common/data_source.js';
import type { Cluster } from '../../upstream/cluster_info.js';
import type { HostDescription } from '../../upstream/host.js';
import type { XdsTarget } from '../../xds/index.js';

// Loaded when a TLS xDS cluster is resolved, not at start-up (lazy_require.ts).
const loadGrpc = lazyRequire<typeof grpc>('@grpc/grpc-js');

type UpstreamTlsContext = envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext;

export function xdsClusterTarget(name: string, cluster: { config: Cluster; hosts: HostDescription[] } | undefined): Omit<XdsTarget, 'metadata'> {
  const at = `envoy_grpc.cluster_name`;
  if (!cluster) throw ConfigError.single(at, `unknown cluster '${name}': the xDS cluster must be a static cluster of the bootstrap`);
  if (!cluster.hosts.length) throw ConfigError.single(at, `cluster '${name}' has no hosts to reach the control plane`);
  return {
    addresses: cluster.hosts.map((h) => ({ host: h.ip, port: h.port })),
    credentials: credentialsOf(cluster.config),
    authority: name,
  };
}

/** The cluster's UpstreamTlsContext as gRPC channel credentials (plaintext h2c without one). */
function credentialsOf(cluster: Cluster): grpc.ChannelCredentials | undefined {
  const ts = cluster.transport_socket;
  if (!ts) return undefined;
  const at = `static_resources.clusters[${cluster.name}].transport_socket`;
  const ctx = ts.typed_config as (UpstreamTlsContext & { '@type'?: string }) | undefined;
  if (!ctx || !String(ctx['@type'] ?? '').endsWith('UpstreamTlsContext')) throw ConfigError.single(at, `the xDS cluster's transport socket must be TLS (UpstreamTlsContext)`);
  const common = ctx.common_tls_context ?? {};
  const cert = common.tls_certificates?.[0];
  const read = (ds: envoy.config.core.v3.DataSource | undefined, p: string) => (ds ? Buffer.from(readDataSource(ds, `${at}.typed_config.common_tls_context.${p}`)) : null);
  const sni = ctx.sni;
  return loadGrpc().credentials.createSsl(
    read(common.validation_context?.trusted_ca, 'validation_context.trusted_ca'),
    read(cert?.private_key, 'tls_certificates[0].private_key'),
    read(cert?.certificate_chain, 'tls_certificates[0].certificate_chain'),
    // Without an SNI the control plane is reached by IP; Envoy checks SANs only when told to.
    sni ? undefined : { checkServerIdentity: () => undefined },
  );
}
