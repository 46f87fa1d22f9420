// The sections of /config_dump (envoy.admin.v3.*ConfigDump) built from the server's
// state: static resources from the bootstrap, dynamic ones with the version they
// arrived with, warming ones, and the error_state of the last rejected version.
import type { Duration } from '../../api/json/wkt.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../api/xds/resource_types.js';
import type { Server } from '../server/server.js';
import type { UpdateFailures } from '../server/xds/update_failures.js';
import { EdsDiscovery } from '../upstream/discovery/eds.js';

export interface Dump {
  type: string;
  message: Record<string, unknown>;
}

type Obj = Record<string, unknown>;

function ts(d: Date): Duration {
  const ms = d.getTime();
  return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
}

const packed = (typeUrl: string, config: object): Obj => ({ '@type': typeUrl, ...config });

function withError(entry: Obj, failures: UpdateFailures | undefined, name: string): Obj {
  const error = failures?.get(name);
  return error ? { ...entry, error_state: error } : entry;
}

function clustersDump(server: Server): Dump {
  const registry = server.clusterRegistry;
  const failures = server.dynamic?.cds?.failures;
  const active = [...(registry?.active.values() ?? [])];
  const dynamicActive = active.filter((c) => c.addedViaApi).map((c) =>
    withError({ version_info: c.versionInfo ?? '', cluster: packed(CLUSTER_TYPE, c.config), last_updated: ts(c.lastUpdated) }, failures, c.config.name ?? ''),
  );
  const known = new Set([...active.map((c) => c.config.name), ...(registry?.warming.keys() ?? [])]);
  // A cluster whose first version was rejected has only its error to show.
  const rejectedNew = (failures?.names() ?? []).filter((n) => !known.has(n)).map((n) => ({ error_state: failures!.get(n) }));
  return {
    type: 'envoy.admin.v3.ClustersConfigDump',
    message: {
      version_info: server.dynamic?.cds?.versionInfo ?? '',
      static_clusters: active.filter((c) => !c.addedViaApi).map((c) => ({ cluster: packed(CLUSTER_TYPE, c.config), last_updated: ts(c.lastUpdated) })),
      dynamic_active_clusters: [...dynamicActive, ...rejectedNew],
      dynamic_warming_clusters: [...(registry?.warming.values() ?? [])].map((c) => ({ version_info: c.versionInfo ?? '', cluster: packed(CLUSTER_TYPE, c.config), last_updated: ts(c.lastUpdated) })),
    },
  };
}

function listenersDump(server: Server): Dump {
  const registry = server.listenerRegistry;
  const failures = server.dynamic?.lds?.failures;
  const active = [...(registry?.active.values() ?? [])];
  const state = (e: { versionInfo?: string; config: object; lastUpdated: Date }) => ({ version_info: e.versionInfo ?? '', listener: packed(LISTENER_TYPE, e.config), last_updated: ts(e.lastUpdated) });
  const names = new Set<string>([...active.filter((l) => l.addedViaApi).map((l) => l.config.name ?? ''), ...(registry?.warming.keys() ?? []), ...(failures?.names() ?? [])]);
  const dynamic = [...names].sort().map((name) => {
    const activeEntry = registry?.active.get(name);
    const warming = registry?.warming.get(name);
    const out: Obj = { name };
    if (activeEntry?.addedViaApi) out.active_state = state(activeEntry);
    if (warming) out.warming_state = state(warming);
    return withError(out, failures, name);
  });
  return {
    type: 'envoy.admin.v3.ListenersConfigDump',
    message: {
      version_info: server.dynamic?.lds?.versionInfo ?? '',
      static_listeners: active.filter((l) => !l.addedViaApi).map((l) => ({ listener: packed(LISTENER_TYPE, l.config), last_updated: ts(l.lastUpdated) })),
      dynamic_listeners: dynamic,
    },
  };
}

function routesDump(server: Server): Dump {
  const inline: Obj[] = [];
  for (const l of server.listeners.values()) {
    for (const chain of [...(l.config.filter_chains ?? []), ...(l.config.default_filter_chain ? [l.config.default_filter_chain] : [])]) {
      for (const f of chain.filters ?? []) {
        const rc = (f.typed_config as { route_config?: Obj } | undefined)?.route_config;
        if (rc) inline.push({ route_config: packed(ROUTE_TYPE, rc), last_updated: ts(l.lastUpdated) });
      }
    }
  }
  const routes = server.dynamic?.routes;
  const dynamic = (routes?.entries() ?? [])
    .filter((e) => e.value || routes?.failures.get(e.name))
    .map((e) => withError(e.value ? { version_info: e.versionInfo ?? '', route_config: packed(ROUTE_TYPE, e.value), last_updated: ts(e.lastUpdated!) } : {}, routes?.failures, e.name));
  return { type: 'envoy.admin.v3.RoutesConfigDump', message: { static_route_configs: inline, dynamic_route_configs: dynamic } };
}

function secretsDump(server: Server): Dump {
  const loaded = server.bootstrapLoadedAt;
  const secrets = server.dynamic?.secrets;
  const entries = secrets?.entries() ?? [];
  return {
    type: 'envoy.admin.v3.SecretsConfigDump',
    message: {
      static_secrets: (server.bootstrap?.static_resources?.secrets ?? []).map((s) => ({ name: s.name ?? '', last_updated: ts(loaded), secret: packed(SECRET_TYPE, s) })),
      dynamic_active_secrets: entries
        .filter((e) => e.value)
        .map((e) => withError({ name: e.name, version_info: e.versionInfo ?? '', last_updated: ts(e.lastUpdated!), secret: packed(SECRET_TYPE, e.value!) }, secrets?.failures, e.name)),
      dynamic_warming_secrets: entries.filter((e) => !e.value).map((e) => withError({ name: e.name }, secrets?.failures, e.name)),
    },
  };
}

function endpointsDump(server: Server): Dump {
  const clusters = [...server.clusters.values()];
  return {
    type: 'envoy.admin.v3.EndpointsConfigDump',
    message: {
      static_endpoint_configs: clusters
        .filter((c) => c.config.load_assignment && !(c.discovery instanceof EdsDiscovery))
        .map((c) => ({ endpoint_config: packed(ENDPOINT_TYPE, c.config.load_assignment!), last_updated: ts(c.lastUpdated) })),
      dynamic_endpoint_configs: clusters.flatMap((c) => {
        const a = c.discovery instanceof EdsDiscovery ? c.discovery.assignment : undefined;
        return a ? [{ version_info: a.versionInfo, endpoint_config: packed(ENDPOINT_TYPE, a.config), last_updated: ts(a.lastUpdated) }] : [];
      }),
    },
  };
}

export function buildDumps(server: Server, includeEds: boolean): Dump[] {
  const dumps: Dump[] = [
    { type: 'envoy.admin.v3.BootstrapConfigDump', message: { bootstrap: server.bootstrap, last_updated: ts(server.bootstrapLoadedAt) } },
    clustersDump(server),
    listenersDump(server),
    { type: 'envoy.admin.v3.ScopedRoutesConfigDump', message: {} },
    routesDump(server),
    secretsDump(server),
  ];
  if (includeEds) dumps.push(endpointsDump(server));
  return dumps;
}
