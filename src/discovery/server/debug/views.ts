// The JSON behind the discovery server's debug pages: a proxy's generated config in
// Envoy's admin ConfigDump shape (as istiod's /debug/config_dump returns it, so the
// same readers work on a proxy's /config_dump and on what it was sent), the service
// registry, the loaded config objects and what is wrong with them. Private keys are
// redacted everywhere, as Envoy's admin does.
import { anyToJson } from '../../../api/json/to-json.js';
import { unpackAny } from '../../../api/proto/binary.js';
import type { ConfigObject } from '../../../api/istio/types.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, SHORT_NAME, ADS_PUSH_ORDER } from '../../../api/xds/resource_types.js';
import type { PushContext } from '../../model/types.js';
import type { CachedResource, Snapshot } from '../../xds/cache/snapshot.js';
import type { ProxyEntry } from '../proxy_table.js';

const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
type Obj = Record<string, unknown>;

/** A served resource back to proto3 JSON (decoded from the bytes proxies get, so it shows exactly what was sent). */
function resourceJson(r: CachedResource): unknown {
  return anyToJson(unpackAny(r.any));
}

function items(snapshot: Snapshot, typeUrl: string, wrap: (r: CachedResource, version: string) => Obj): Obj[] {
  const version = snapshot.version(typeUrl);
  return [...snapshot.resources(typeUrl).values()].sort((a, b) => a.name.localeCompare(b.name)).map((r) => wrap(r, version));
}

/** `/debug/config_dump?proxyID=`: what the proxy is being served, per type, with versions. */
export function proxyConfigDump(entry: ProxyEntry): Obj {
  const s = entry.snapshot;
  const p = entry.proxy;
  const proxy = { id: p.id, name: `${p.podName}.${p.namespace}`, type: p.type, namespace: p.namespace, labels: p.labels, clusterId: p.clusterId, istioVersion: p.istioVersion };
  if (!s) return { proxy, configs: [] };
  return {
    proxy,
    versions: Object.fromEntries(ADS_PUSH_ORDER.map((t) => [SHORT_NAME[t], s.version(t)])),
    configs: [
      {
        '@type': `${ADMIN}ClustersConfigDump`,
        version_info: s.version(CLUSTER_TYPE),
        dynamic_active_clusters: items(s, CLUSTER_TYPE, (r, v) => ({ version_info: v, cluster: resourceJson(r) })),
      },
      {
        '@type': `${ADMIN}ListenersConfigDump`,
        version_info: s.version(LISTENER_TYPE),
        dynamic_listeners: items(s, LISTENER_TYPE, (r, v) => ({ name: r.name, active_state: { version_info: v, listener: resourceJson(r) } })),
      },
      {
        '@type': `${ADMIN}RoutesConfigDump`,
        dynamic_route_configs: items(s, ROUTE_TYPE, (r, v) => ({ version_info: v, route_config: resourceJson(r) })),
      },
      {
        '@type': `${ADMIN}SecretsConfigDump`,
        dynamic_active_secrets: items(s, SECRET_TYPE, (r, v) => ({ name: r.name, version_info: v, secret: resourceJson(r) })),
      },
      {
        '@type': `${ADMIN}EndpointsConfigDump`,
        dynamic_endpoint_configs: items(s, ENDPOINT_TYPE, (r, v) => ({ version_info: v, endpoint_config: resourceJson(r) })),
      },
    ],
  };
}

/** `/debug/registry`: every service with its ports and, per port, its endpoints. */
export function registryView(push: PushContext | undefined): unknown {
  if (!push) return [];
  return push.services().map((s) => ({
    hostname: s.hostname,
    name: s.name,
    namespace: s.namespace,
    address: s.address,
    resolution: s.resolution,
    meshExternal: s.meshExternal,
    origin: s.origin,
    serviceType: s.serviceType,
    selector: s.selector,
    labels: s.labels,
    exportTo: s.exportTo,
    localIndex: s.localIndex,
    ports: s.ports.map((port) => ({
      ...port,
      endpoints: push.endpoints(s.hostname, port.port).map((e) => ({
        address: e.address,
        port: e.port,
        healthy: e.healthy,
        labels: e.labels,
        serviceAccount: e.serviceAccount,
        locality: e.locality,
        network: e.network,
        workload: e.workloadName ? `${e.workloadName}.${e.namespace}` : undefined,
        ...(e.hostname ? { hostname: e.hostname } : {}),
        ...(e.weight !== undefined ? { weight: e.weight } : {}),
      })),
    })),
  }));
}

/** `/debug/configz`: the loaded objects, where each came from; Secret data reduced to key names and sizes. */
export function configzView(objects: readonly ConfigObject[]): unknown {
  return objects.map((o) => ({
    apiVersion: o.apiVersion,
    kind: o.kind,
    metadata: o.metadata,
    spec: o.kind === 'Secret' ? redactSecret(o as ConfigObject<'Secret'>) : o.spec,
    source: `${o.source.file}:${o.source.line}`,
  }));
}

function redactSecret(o: ConfigObject<'Secret'>): unknown {
  const data = Object.fromEntries(Object.entries(o.spec.data ?? {}).map(([k, v]) => [k, `[redacted: ${v.length} bytes]`]));
  return { type: o.spec.type, data };
}
