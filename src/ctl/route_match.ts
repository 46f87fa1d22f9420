// How istioctl describes route matches and route configurations in one cell; shared
// by `proxy-config route` (MATCH column) and `proxy-config listener` (DESTINATION of
// a listener with an inline route_config, e.g. "Inline Route: /healthz/ready*").
import { field, list, obj, str, type Json } from './fields.js';

/** Prefix "/api" → "/api*", exact path as-is, regex → "regex RE"; header and query matches are not shown. */
export function describeMatch(match: unknown): string {
  const conds: string[] = [];
  const prefix = str(match, 'prefix');
  if (prefix !== '') conds.push(`${prefix}*`);
  const sep = str(match, 'path_separated_prefix');
  if (sep !== '') conds.push(`PathPrefix:${sep}`);
  const p = str(match, 'path');
  if (p !== '') conds.push(p);
  const regex = obj(match, 'safe_regex');
  if (regex) conds.push(`regex ${str(regex, 'regex')}`);
  return conds.join(' ');
}

/** The cluster a route sends to, when it names one cluster. */
function routeCluster(route: unknown): string | undefined {
  const action = obj(route, 'route');
  if (!action) return undefined;
  const c = field(action, 'cluster');
  return typeof c === 'string' ? c : undefined;
}

/** A route table that sends everything ("*", prefix "/") to one cluster is shown as that cluster. */
function matchAllCluster(rc: Json): string {
  const vhosts = list(rc, 'virtual_hosts');
  if (vhosts.length !== 1) return '';
  const domains = list(vhosts[0], 'domains');
  if (domains.length !== 1 || domains[0] !== '*') return '';
  const routes = list(vhosts[0], 'routes');
  if (routes.length !== 1 || str(routes[0], 'match', 'prefix') !== '/') return '';
  const cluster = routeCluster(routes[0]);
  if (cluster === undefined) return '';
  return cluster.includes('Cluster') ? cluster : `Cluster: ${cluster}`;
}

/** DESTINATION of a listener whose HTTP connection manager carries its routes inline. */
export function describeInlineRouteConfig(rc: Json): string {
  const all = matchAllCluster(rc);
  if (all !== '') return all;
  const vhosts = list(rc, 'virtual_hosts').map((vh) => {
    const domains = list(vh, 'domains').map(String);
    const routes = list(vh, 'routes')
      .map((r) => describeMatch(field(r, 'match')))
      .join(', ');
    return domains.length === 1 && domains[0] === '*' ? routes : `${domains.join('/')} ${routes}`;
  });
  return `Inline Route: ${vhosts.join('; ')}`;
}
