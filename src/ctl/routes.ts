// `proxy-config route`: istioctl 1.17's NAME DOMAINS MATCH VIRTUAL SERVICE table, one
// row per route of every virtual host (a virtual host without routes is Istio's
// blackhole: "/*" and "404"). Routes to the PassthroughCluster are left out, as
// istioctl does. With --verbose=false: NAME VIRTUAL HOSTS (a count per table).
import { CtlError } from './errors.js';
import { field, list, obj, str, type Json } from './fields.js';
import { stripType } from './listeners.js';
import { camelCaseMessage } from './output.js';
import { describeMatch } from './route_match.js';
import { formatTable } from './table.js';

export interface RouteFilter {
  name?: string;
  verbose?: boolean;
}

/**
 * DOMAINS: the domains without a port, minus the ".svc.cluster.local" / ".svc"
 * expansions of a shorter name that is also there, then at most two of them and
 * "+ N more..." (so a sidecar's "catalog.istioinaction.svc.cluster.local",
 * "catalog", "catalog.istioinaction.svc", "catalog.istioinaction", "10.96.0.5" reads
 * "catalog, catalog.istioinaction + 1 more...").
 */
export function describeRouteDomains(domains: readonly string[]): string {
  if (domains.length === 0) return '';
  if (domains.length === 1) return domains[0]!;
  const withoutPort = domains.filter((d) => !d.includes(':') || (d.split(':').length - 1 > 2 && d.endsWith(']')));
  const present = new Set(withoutPort);
  const expansion = (d: string) =>
    (d.endsWith('.svc.cluster.local') && present.has(d.slice(0, -'.svc.cluster.local'.length))) || (d.endsWith('.svc') && present.has(d.slice(0, -'.svc'.length)));
  const shown = withoutPort.filter((d) => !expansion(d));
  if (shown.length > 2) return `${shown.slice(0, 2).join(', ')} + ${shown.length - 2} more...`;
  return shown.join(', ');
}

/** VIRTUAL SERVICE: route metadata istio.config "/apis/networking.istio.io/v1alpha3/namespaces/NS/virtual-service/NAME" → "NAME.NS". */
export function describeManagement(metadata: unknown): string {
  const istio = obj(metadata, 'filter_metadata', 'istio');
  if (!istio) return '';
  const config = istio.config;
  if (typeof config !== 'string') return '';
  if (!config.startsWith('/apis/networking.istio.io/v1alpha3/namespaces/')) return '<unknown>';
  const pieces = config.split('/');
  return pieces.length === 8 ? `${pieces[7]}.${pieces[5]}` : '';
}

function isPassthrough(route: unknown): boolean {
  return str(route, 'route', 'cluster') === 'PassthroughCluster';
}

/**
 * istioctl orders route tables with numeric names ("80", "9080") by number and
 * leaves the others (dynamic before static, "http.8080", inline ones) where they
 * are: the numeric ones are sorted among the places they occupy.
 */
export function sortRouteConfigs(configs: readonly Json[]): Json[] {
  const numeric = (rc: Json) => /^\d+$/.test(str(rc, 'name'));
  const sorted = configs.filter(numeric).sort((a, b) => Number(str(a, 'name')) - Number(str(b, 'name')));
  let next = 0;
  return configs.map((rc) => (numeric(rc) ? sorted[next++]! : rc));
}

const verify = (rc: Json, f: RouteFilter) => !f.name || str(rc, 'name') === f.name;

export function routeRows(configs: readonly Json[], f: RouteFilter): string[][] {
  const verbose = f.verbose !== false;
  const rows: string[][] = [verbose ? ['NAME', 'DOMAINS', 'MATCH', 'VIRTUAL SERVICE'] : ['NAME', 'VIRTUAL HOSTS']];
  for (const rc of sortRouteConfigs(configs)) {
    if (!verify(rc, f)) continue;
    const name = str(rc, 'name');
    const vhosts = list(rc, 'virtual_hosts');
    if (!verbose) {
      rows.push([name, String(vhosts.length)]);
      continue;
    }
    for (const vh of vhosts) {
      const domains = describeRouteDomains(list(vh, 'domains').map(String));
      const routes = list(vh, 'routes');
      for (const r of routes) {
        if (!isPassthrough(r)) rows.push([name, domains, describeMatch(field(r, 'match')), describeManagement(field(r, 'metadata'))]);
      }
      if (routes.length === 0) rows.push([name, domains, '/*', '404']);
    }
  }
  return rows;
}

export function formatRoutes(configs: readonly Json[], f: RouteFilter): string {
  if (configs.length === 0) throw new CtlError('no routes found');
  return formatTable(routeRows(configs, f));
}

/** `-o json|yaml`: the matching RouteConfiguration messages. */
export function routesJson(configs: readonly Json[], f: RouteFilter): unknown[] {
  if (configs.length === 0) throw new CtlError('no routes found');
  return sortRouteConfigs(configs)
    .filter((rc) => verify(rc, f))
    .map((rc) => camelCaseMessage('envoy.config.route.v3.RouteConfiguration', stripType(rc)));
}
