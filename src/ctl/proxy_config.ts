// What `skein proxy-config TYPE <proxy>` does once its flags are read: find the
// proxy's admin API (or the saved file), read /config_dump or /clusters, and print
// the table or the JSON/YAML for TYPE. Returns the text so tests and the CLI share it.
import { fetchClusterStatuses, fetchConfigDump, fetchConfigDumpText, type AdminSource } from './admin_client.js';
import { bootstrapJson, formatBootstrapSummary } from './bootstrap.js';
import { clusterRows, clustersJson, formatClusters, type ClusterFilter } from './clusters.js';
import { clusterStatuses, endpointsJson, formatEndpoints, type EndpointFilter } from './endpoints.js';
import { CtlError } from './errors.js';
import { parseJson } from './http.js';
import { formatListeners, listenerRows, listenersJson, type ListenerFilter } from './listeners.js';
import { parseLevelFlag, setLogLevels } from './logging.js';
import { renderStructured, renderYaml, type OutputFormat } from './output.js';
import { resolveProxy } from './proxy_ref.js';
import { formatRoutes, routeRows, routesJson, type RouteFilter } from './routes.js';
import { formatTable, LISTENER_PADDING } from './table.js';
import { formatSecrets, secretsJson } from './secrets.js';
import { ecdsJson, formatEcds } from './ecds.js';

export const CONFIG_KINDS = ['listener', 'route', 'cluster', 'endpoint', 'secret', 'bootstrap', 'ecds', 'log', 'all'] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

/** istioctl's names and aliases for each type. */
export const KIND_ALIASES: Record<string, ConfigKind> = {
  listener: 'listener', listeners: 'listener', l: 'listener',
  route: 'route', routes: 'route', r: 'route',
  cluster: 'cluster', clusters: 'cluster', c: 'cluster',
  endpoint: 'endpoint', endpoints: 'endpoint', ep: 'endpoint',
  secret: 'secret', secrets: 'secret', s: 'secret',
  bootstrap: 'bootstrap', b: 'bootstrap',
  ecds: 'ecds', ec: 'ecds',
  log: 'log', o: 'log',
  all: 'all', a: 'all',
};

export interface ProxyConfigOptions {
  kind: ConfigKind;
  /** deploy/NAME.NS, POD.NS, a node id; optional with --admin-address or --file. */
  ref?: string;
  namespace?: string;
  adminAddress?: string;
  discoveryAddress: string;
  file?: string;
  /** Default: "short", except bootstrap (json). */
  output?: OutputFormat;
  verbose: boolean;
  name?: string;
  port?: number;
  address?: string;
  type?: string;
  fqdn?: string;
  cluster?: string;
  subset?: string;
  direction?: string;
  status?: string;
  level?: string;
  reset?: boolean;
}

async function sourceOf(o: ProxyConfigOptions): Promise<AdminSource> {
  if (o.file) {
    if (o.kind === 'log') throw new CtlError('log needs a running proxy, not --file');
    return { file: o.file };
  }
  const target = await resolveProxy({ ref: o.ref, namespace: o.namespace, adminAddress: o.adminAddress, discoveryAddress: o.discoveryAddress });
  return { adminAddress: target.adminAddress, proxyName: target.name };
}

export async function runProxyConfig(o: ProxyConfigOptions): Promise<string> {
  const output = o.output ?? (o.kind === 'bootstrap' ? 'json' : 'short');
  const change = o.kind === 'log' ? parseLevelFlag(o.level, o.reset === true) : undefined;
  const source = await sourceOf(o);
  const structured = (value: unknown) => renderStructured(output === 'yaml' ? 'yaml' : 'json', value);
  const listenerFilter = { address: o.address, port: o.port, type: o.type, verbose: o.verbose };
  const clusterFilter = { fqdn: o.fqdn, port: o.port, subset: o.subset, direction: o.direction };
  const routeFilter = { name: o.name, verbose: o.verbose };
  const endpointFilter = { address: o.address, port: o.port, cluster: o.cluster, status: o.status };
  switch (o.kind) {
    case 'listener': {
      const listeners = (await fetchConfigDump(source)).listeners();
      return output === 'short' ? formatListeners(listeners, listenerFilter) : structured(listenersJson(listeners, listenerFilter));
    }
    case 'route': {
      const routes = (await fetchConfigDump(source)).routeConfigs();
      return output === 'short' ? formatRoutes(routes, routeFilter) : structured(routesJson(routes, routeFilter));
    }
    case 'cluster': {
      const clusters = (await fetchConfigDump(source)).clusters();
      return output === 'short' ? formatClusters(clusters, clusterFilter) : structured(clustersJson(clusters, clusterFilter));
    }
    case 'endpoint': {
      const statuses = clusterStatuses(await fetchClusterStatuses(source));
      return output === 'short' ? formatEndpoints(statuses, endpointFilter) : structured(endpointsJson(statuses, endpointFilter));
    }
    case 'secret': {
      const section = (await fetchConfigDump(source)).requireSection('SecretsConfigDump');
      return output === 'short' ? formatSecrets(section) : structured(secretsJson(section));
    }
    case 'bootstrap': {
      const dump = await fetchConfigDump(source);
      return output === 'short' ? formatBootstrapSummary(dump) : structured(bootstrapJson(dump));
    }
    case 'ecds': {
      // Extension configs (ECDS); a proxy that never subscribed has no such section, which istioctl reports as an error.
      const section = (await fetchConfigDump(source)).requireSection('EcdsConfigDump');
      return output === 'short' ? formatEcds(section) : structured(ecdsJson(section));
    }
    case 'log': {
      if (!('adminAddress' in source)) throw new CtlError('log needs a running proxy');
      return setLogLevels(source.adminAddress, source.proxyName, change!);
    }
    case 'all': {
      if (output !== 'short') {
        // The whole dump as the proxy wrote it, as istioctl prints it.
        const text = await fetchConfigDumpText(source);
        return output === 'yaml' ? renderYaml(parseJson(text, 'the config dump')) : text.endsWith('\n') ? text : `${text}\n`;
      }
      return allSummary(source, { listenerFilter, clusterFilter, routeFilter, endpointFilter });
    }
  }
}

async function allSummary(
  source: AdminSource,
  f: { listenerFilter: ListenerFilter; clusterFilter: ClusterFilter; routeFilter: RouteFilter; endpointFilter: EndpointFilter },
): Promise<string> {
  const dump = await fetchConfigDump(source);
  // Empty sections print their header rather than failing the whole summary.
  const sections = [
    formatTable(clusterRows(dump.clusters(), f.clusterFilter)),
    formatTable(listenerRows(dump.listeners(), f.listenerFilter), LISTENER_PADDING),
    formatTable(routeRows(dump.routeConfigs(), f.routeFilter)),
  ];
  const secrets = dump.section('SecretsConfigDump');
  if (secrets) sections.push(formatSecrets(secrets));
  // A saved config dump has no /clusters; the live proxy's endpoints close the summary.
  if (!('file' in source)) sections.push(formatEndpoints(clusterStatuses(await fetchClusterStatuses(source)), f.endpointFilter));
  return sections.join('\n');
}
