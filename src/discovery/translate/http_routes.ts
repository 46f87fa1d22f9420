// VirtualService `http` rules → Envoy routes, for one place the rules apply (a gateway
// server port, or a sidecar's outbound service port). Istio's rules: each match of a
// rule becomes its own route, in order; a rule without matches (or a catch-all match)
// ends the list; a match names the gateways / source labels / port / source namespace
// it is for and is left out elsewhere.
import type { Destination, HTTPMatchRequest, HTTPRoute, VirtualServiceSpec } from '../../api/istio/types.js';
import { resolveGatewayName } from '../model/hosts.js';
import { selectorMatches } from '../model/labels.js';
import type { NamedConfig } from '../model/types.js';
import type { TranslateContext } from './context.js';
import { expandDelegates, type ExpandedRule } from './delegate.js';
import { protoDuration, type Json } from './envoy.js';
import { outboundClusterName, parseClusterName, virtualServiceConfigPath } from './names.js';
import { corsConfig, defaultRetryPolicy, faultConfig, headerMutations, mirrorFraction, retryPolicy, type HeaderMutations } from './route_policies.js';
import { isCatchAllMatch, operationPath, translateRouteMatch } from './route_match.js';
import { effectivePolicy } from './traffic_policy.js';

export type VirtualService = NamedConfig<VirtualServiceSpec>;

export interface RouteScope {
  /** "mesh" for sidecars, "ns/name" of the Gateway for gateway servers. */
  gateway: string;
  /** The port the routes serve: a gateway server's port number, or the sidecar's service port. */
  port: number;
}

const REDIRECT_CODES: Record<number, string | undefined> = { 301: undefined, 302: 'FOUND', 303: 'SEE_OTHER', 307: 'TEMPORARY_REDIRECT', 308: 'PERMANENT_REDIRECT' };

/** The routes one VirtualService contributes in `scope` (empty when none of its rules apply). */
export function buildVirtualServiceRoutes(ctx: TranslateContext, vs: VirtualService, scope: RouteScope): Json[] {
  return ctx.guard(vs, 'http routes', () => virtualServiceRoutes(ctx, vs, scope), []);
}

function virtualServiceRoutes(ctx: TranslateContext, vs: VirtualService, scope: RouteScope): Json[] {
  const out: Json[] = [];
  for (const expanded of expandDelegates(ctx, vs)) {
    const { rule } = expanded;
    if (rule.match !== undefined && rule.match !== null && !Array.isArray(rule.match)) {
      ctx.warn(expanded.owner, 'http rule match must be a list; rule skipped');
      continue;
    }
    if (!rule.match?.length) {
      const r = translateRule(ctx, expanded, undefined, scope);
      if (r) out.push(r);
      break;
    }
    let catchAll = false;
    for (const m of rule.match) {
      if (!m || !matchApplies(ctx, m, expanded.owner, scope)) continue;
      const r = translateRule(ctx, expanded, m, scope);
      if (!r) continue;
      out.push(r);
      if (isCatchAllMatch(m)) {
        catchAll = true;
        break;
      }
    }
    if (catchAll) break;
  }
  return out;
}

function matchApplies(ctx: TranslateContext, m: HTTPMatchRequest, owner: VirtualService, scope: RouteScope): boolean {
  if (m.gateways?.length) {
    if (!m.gateways.map((g) => resolveGatewayName(g, owner.metadata.namespace)).includes(scope.gateway)) return false;
  } else if (m.sourceLabels && !selectorMatches(m.sourceLabels, ctx.proxy.labels)) {
    return false;
  }
  if (m.port !== undefined && m.port !== 0 && m.port !== scope.port) return false;
  if (m.sourceNamespace && m.sourceNamespace !== ctx.proxy.namespace) return false;
  return true;
}

function translateRule(ctx: TranslateContext, expanded: ExpandedRule, match: HTTPMatchRequest | undefined, scope: RouteScope): Json | undefined {
  const { rule, owner, root } = expanded;
  const route: Json = {};
  let name = rule.name ?? '';
  if (match?.name) name = `${name}.${match.name}`;
  if (name) route.name = name;
  route.match = translateRouteMatch(match);
  const mutations = headerMutations(rule.headers);
  const perFilter: Json = {};
  if (rule.redirect) {
    route.redirect = redirectAction(ctx, rule.redirect, owner);
  } else if (rule.directResponse) {
    const d: Json = { status: rule.directResponse.status };
    const body = rule.directResponse.body;
    if (body?.string !== undefined) d.body = { inline_string: body.string };
    else if (body?.bytes !== undefined) d.body = { inline_bytes: body.bytes };
    route.direct_response = d;
  } else if (rule.route?.length) {
    const action = routeAction(ctx, rule, owner, scope, mutations);
    if (!action) return undefined;
    route.route = action;
  } else {
    ctx.warn(owner, `http rule${name ? ` "${name}"` : ''} has no route, redirect, directResponse or delegate; skipped`);
    return undefined;
  }
  route.metadata = { filter_metadata: { istio: { config: virtualServiceConfigPath(root.metadata.namespace, root.metadata.name) } } };
  route.decorator = { operation: operation(route, root.metadata.name, scope.port) };

  if (rule.fault) {
    if (!ctx.capabilities.faultFilter) ctx.warn(owner, 'fault injection needs the envoy.filters.http.fault filter, which skein\'s proxy does not have yet; fault ignored');
    else {
      const fault = faultConfig(ctx, rule.fault, owner);
      if (fault) perFilter['envoy.filters.http.fault'] = fault;
    }
  }
  if (rule.corsPolicy) {
    if (!ctx.capabilities.corsFilter) ctx.warn(owner, 'corsPolicy needs the envoy.filters.http.cors filter, which skein\'s proxy does not have yet; corsPolicy ignored');
    else perFilter['envoy.filters.http.cors'] = corsConfig(rule.corsPolicy);
  }
  if (Object.keys(perFilter).length) route.typed_per_filter_config = perFilter;
  if (mutations.request_headers_to_add) route.request_headers_to_add = mutations.request_headers_to_add;
  if (mutations.request_headers_to_remove) route.request_headers_to_remove = mutations.request_headers_to_remove;
  if (mutations.response_headers_to_add) route.response_headers_to_add = mutations.response_headers_to_add;
  if (mutations.response_headers_to_remove) route.response_headers_to_remove = mutations.response_headers_to_remove;
  return route;
}

/** Istio's decorator: "host:port/path" for one destination cluster, else "vsName:port/path". */
function operation(route: Json, vsName: string, port: number): string {
  const path = operationPath(route.match as Json);
  const cluster = (route.route as Json | undefined)?.cluster;
  const key = typeof cluster === 'string' ? parseClusterName(cluster) : undefined;
  if (key) return `${key.hostname}:${key.port}${path}`;
  return `${vsName}:${port}${path}`;
}

function redirectAction(ctx: TranslateContext, r: NonNullable<HTTPRoute['redirect']>, owner: VirtualService): Json {
  const out: Json = {};
  if (r.scheme) out.scheme_redirect = r.scheme;
  if (r.authority) out.host_redirect = r.authority;
  if (r.port) out.port_redirect = r.port;
  if (r.uri) out.path_redirect = r.uri;
  if (r.derivePort) ctx.warn(owner, `redirect.derivePort ${r.derivePort} is not supported; the port is left as the request had it`);
  const code = r.redirectCode ?? 301;
  if (!(code in REDIRECT_CODES)) ctx.warn(owner, `redirect.redirectCode ${code} is not one Envoy supports (301, 302, 303, 307, 308); using 301`);
  else if (REDIRECT_CODES[code]) out.response_code = REDIRECT_CODES[code];
  return out;
}

/** The cluster a destination names: its port, or the service's only port, or the scope's port. */
export function destinationCluster(ctx: TranslateContext, dest: Destination, owner: VirtualService, scopePort: number): string {
  const host = ctx.resolveHost(dest.host, owner.metadata.namespace);
  const svc = ctx.service(host);
  let port = dest.port?.number;
  if (!svc) {
    ctx.warn(owner, `destination host "${dest.host}" is not a service this proxy can see; requests to it get 503`);
  } else if (port === undefined) {
    port = svc.ports.length === 1 ? svc.ports[0]!.port : scopePort;
  } else if (!svc.ports.some((p) => p.port === port)) {
    ctx.warn(owner, `destination ${host} has no port ${port}`);
  }
  port ??= scopePort;
  if (dest.subset && svc && !ctx.destinationRule(host)?.spec.subsets?.some((s) => s?.name === dest.subset)) {
    ctx.warn(owner, `subset "${dest.subset}" of ${host} is not defined by any DestinationRule; requests to it get 503`);
  }
  return outboundClusterName(port, dest.subset || undefined, host);
}

/** The hash policy a DestinationRule's consistentHash asks routes to this cluster to use. */
export function hashPolicyFor(ctx: TranslateContext, clusterName: string): Json[] | undefined {
  const key = parseClusterName(clusterName);
  if (!key) return undefined;
  const ch = effectivePolicy(ctx.destinationRule(key.hostname)?.spec, key.port, key.subset || undefined)?.loadBalancer?.consistentHash;
  if (!ch) return undefined;
  if (ch.httpHeaderName) return [{ header: { header_name: ch.httpHeaderName } }];
  if (ch.httpCookie) {
    const cookie: Json = { name: ch.httpCookie.name };
    if (ch.httpCookie.path) cookie.path = ch.httpCookie.path;
    const ttl = protoDuration(ch.httpCookie.ttl);
    if (ttl) cookie.ttl = ttl;
    return [{ cookie }];
  }
  if (ch.useSourceIp) return [{ connection_properties: { source_ip: true } }];
  if (ch.httpQueryParameterName) return [{ query_parameter: { name: ch.httpQueryParameterName } }];
  return undefined;
}

function routeAction(ctx: TranslateContext, rule: HTTPRoute, owner: VirtualService, scope: RouteScope, ruleMutations: HeaderMutations): Json | undefined {
  const action: Json = {};
  const all = (rule.route ?? []).filter((d) => typeof d?.destination?.host === 'string' && d.destination.host !== '');
  if (all.length === 0) {
    ctx.warn(owner, 'http rule has no destination with a host; skipped');
    return undefined;
  }
  let dests = all.length === 1 ? all : all.filter((d) => (d.weight ?? 0) > 0);
  if (dests.length === 0) {
    ctx.warn(owner, 'http rule has several destinations and none with a weight; splitting traffic evenly');
    dests = all.map((d) => ({ ...d, weight: 1 }));
  }
  let hostRewrite = ruleMutations.hostRewrite;
  const clusters = dests.map((d) => destinationCluster(ctx, d.destination, owner, scope.port));
  if (dests.length === 1) {
    action.cluster = clusters[0];
    // A single destination's headers act on the whole route.
    const own = headerMutations(dests[0]!.headers);
    const merged = ruleMutations as Record<string, unknown[] | undefined>;
    for (const f of ['request_headers_to_add', 'request_headers_to_remove', 'response_headers_to_add', 'response_headers_to_remove'] as const) {
      const extra = own[f] as unknown[] | undefined;
      if (extra) merged[f] = [...(merged[f] ?? []), ...extra];
    }
    hostRewrite = own.hostRewrite ?? hostRewrite;
  } else {
    const entries = dests.map((d, i) => {
      const entry: Json = { name: clusters[i], weight: d.weight ?? 0 };
      const m = headerMutations(d.headers);
      if (m.request_headers_to_add) entry.request_headers_to_add = m.request_headers_to_add;
      if (m.request_headers_to_remove) entry.request_headers_to_remove = m.request_headers_to_remove;
      if (m.response_headers_to_add) entry.response_headers_to_add = m.response_headers_to_add;
      if (m.response_headers_to_remove) entry.response_headers_to_remove = m.response_headers_to_remove;
      if (m.hostRewrite !== undefined) entry.host_rewrite_literal = m.hostRewrite;
      return entry;
    });
    const total = entries.reduce((s, e) => s + (e.weight as number), 0);
    const weighted: Json = { clusters: entries };
    if (total === 100) weighted.total_weight = 100;
    else ctx.warn(owner, `route weights add up to ${total}, not 100; traffic is split in proportion to them`);
    action.weighted_clusters = weighted;
  }
  const rw = rule.rewrite;
  if (rw?.uriRegexRewrite) action.regex_rewrite = { pattern: { regex: rw.uriRegexRewrite.match }, substitution: rw.uriRegexRewrite.rewrite };
  else if (rw?.uri !== undefined) action.prefix_rewrite = rw.uri;
  if (rw?.authority) hostRewrite = rw.authority;
  if (hostRewrite !== undefined) action.host_rewrite_literal = hostRewrite;

  let timeout = '0s';
  if (rule.timeout !== undefined) {
    const d = protoDuration(rule.timeout);
    if (d) timeout = d;
    else ctx.warn(owner, `timeout "${rule.timeout}" is not a duration; no timeout is set`);
  }
  action.timeout = timeout;
  const retry = rule.retries === undefined ? defaultRetryPolicy() : retryPolicy(ctx, rule.retries, owner);
  if (retry) action.retry_policy = retry;
  const mirrors = mirrorPolicies(ctx, rule, owner, scope);
  if (mirrors.length) action.request_mirror_policies = mirrors;
  const hash = sameHashPolicy(ctx, clusters);
  if (hash) action.hash_policy = hash;
  action.max_grpc_timeout = timeout;
  return action;
}

/** Consistent hashing only makes sense when every destination asks for the same key. */
function sameHashPolicy(ctx: TranslateContext, clusters: string[]): Json[] | undefined {
  const policies = clusters.map((c) => hashPolicyFor(ctx, c));
  const first = JSON.stringify(policies[0]);
  return policies.every((p) => JSON.stringify(p) === first) ? policies[0] : undefined;
}

function mirrorPolicies(ctx: TranslateContext, rule: HTTPRoute, owner: VirtualService, scope: RouteScope): Json[] {
  const out: Json[] = [];
  const add = (dest: Destination, percent: number | undefined) => {
    if (percent !== undefined && percent <= 0) return;
    out.push({ cluster: destinationCluster(ctx, dest, owner, scope.port), runtime_fraction: mirrorFraction(percent), trace_sampled: false });
  };
  if (rule.mirror) add(rule.mirror, rule.mirrorPercentage?.value);
  for (const m of rule.mirrors ?? []) if (m?.destination) add(m.destination, m.percentage?.value);
  return out;
}

/** Istio's route for a service no VirtualService claims: everything to its cluster, default retries. */
export function defaultServiceRoute(ctx: TranslateContext, clusterName: string, hostname: string, port: number): Json {
  const action: Json = { cluster: clusterName, timeout: '0s', retry_policy: defaultRetryPolicy() };
  const hash = hashPolicyFor(ctx, clusterName);
  if (hash) action.hash_policy = hash;
  action.max_grpc_timeout = '0s';
  return { name: 'default', match: { prefix: '/' }, route: action, decorator: { operation: `${hostname}:${port}/*` } };
}

