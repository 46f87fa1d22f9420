// What a listener or cluster needs before it is usable (warm): the RDS route configs its
// connection managers name and the SDS secrets its TLS contexts name, each with the
// config source to fetch it from. (File-based SDS is read by the secret manager
// itself and static secrets are already there, so neither is listed.)
import type { envoy } from '../envoy-types.generated.js';

/** A reference by name to another xDS resource, and where to fetch it from. */
export interface ResourceRef {
  name: string;
  source: envoy.config.core.v3.ConfigSource | undefined;
  /** Config path of the reference's config source (errors name it). */
  at: string;
  /** Envoy's stats prefix of the subscription ("http.<prefix>.rds.<name>.", "sds.<name>."). */
  statsPrefix: string;
}

type Listener = envoy.config.listener.v3.Listener;
type Cluster = envoy.config.cluster.v3.Cluster;
type Obj = Record<string, unknown>;

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const obj = (v: unknown): Obj => (v && typeof v === 'object' ? (v as Obj) : {});
const list = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

function chainsOf(listener: Listener, path: string): Array<{ chain: Obj; at: string }> {
  const chains = (listener.filter_chains ?? []).map((chain, i) => ({ chain: chain as Obj, at: `${path}.filter_chains[${i}]` }));
  if (listener.default_filter_chain) chains.push({ chain: listener.default_filter_chain as Obj, at: `${path}.default_filter_chain` });
  return chains;
}

export function routeRefsOfListener(listener: Listener, path: string): ResourceRef[] {
  const refs: ResourceRef[] = [];
  for (const { chain, at } of chainsOf(listener, path)) {
    list(chain.filters).forEach((filter, i) => {
      const hcm = obj(filter.typed_config);
      if (hcm['@type'] !== HCM_TYPE || !hcm.rds) return;
      const rds = obj(hcm.rds);
      const name = String(rds.route_config_name ?? '');
      refs.push({
        name,
        source: rds.config_source as ResourceRef['source'],
        at: `${at}.filters[${i}].typed_config.rds.config_source`,
        statsPrefix: `http.${String(hcm.stat_prefix ?? '')}.rds.${name}.`,
      });
    });
  }
  return refs;
}

export function secretRefsOfListener(listener: Listener, path: string): ResourceRef[] {
  return chainsOf(listener, path).flatMap(({ chain, at }) => secretRefsOfTransport(obj(chain.transport_socket), `${at}.transport_socket`));
}

export function secretRefsOfCluster(cluster: Cluster, path: string): ResourceRef[] {
  const refs = secretRefsOfTransport(obj(cluster.transport_socket), `${path}.transport_socket`);
  (cluster.transport_socket_matches ?? []).forEach((m, i) => {
    refs.push(...secretRefsOfTransport(obj(m.transport_socket), `${path}.transport_socket_matches[${i}].transport_socket`));
  });
  return refs;
}

function secretRefsOfTransport(transportSocket: Obj, at: string): ResourceRef[] {
  const ctx = obj(transportSocket.typed_config);
  const common = obj(ctx.common_tls_context);
  const base = `${at}.typed_config.common_tls_context`;
  const configs: Array<{ config: Obj; at: string }> = list(common.tls_certificate_sds_secret_configs).map((c, i) => ({ config: c, at: `${base}.tls_certificate_sds_secret_configs[${i}]` }));
  if (common.validation_context_sds_secret_config) configs.push({ config: obj(common.validation_context_sds_secret_config), at: `${base}.validation_context_sds_secret_config` });
  const combined = obj(obj(common.combined_validation_context).validation_context_sds_secret_config);
  if (combined.name !== undefined) configs.push({ config: combined, at: `${base}.combined_validation_context.validation_context_sds_secret_config` });
  return configs
    .filter(({ config }) => {
      const sds = obj(config.sds_config);
      return sds.ads !== undefined || sds.api_config_source !== undefined;
    })
    .map(({ config, at: where }) => {
      const name = String(config.name ?? '');
      return { name, source: config.sds_config as ResourceRef['source'], at: `${where}.sds_config`, statsPrefix: `sds.${name}.` };
    });
}
