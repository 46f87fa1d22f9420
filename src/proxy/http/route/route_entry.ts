// One configured route, compiled: how it matches a request and what it does
// (forward to a cluster, redirect, or answer directly), with everything the router
// needs per request precomputed at config time.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { durationMs, unwrap, type AnyMessage } from '../../../api/json/wkt.js';
import { compileRe2 } from '../../common/regex.js';
import type { Runtime } from '../../server/runtime.js';
import type { HeaderMap } from '../header_map.js';
import { compileHeaderMatchers, compileQueryMatcher, type HeaderPredicate, type QueryPredicate } from './header_matcher.js';
import { HeaderMutations } from './header_mutations.js';
import { HashPolicy } from './hash_policy.js';
import { compileRetryPolicy, type RetryPolicy } from './retry_policy.js';
import type { VirtualHost } from './virtual_host.js';
import { readDataSource } from '../../common/data_source.js';

type PathMatcher = (pathWithQuery: string, pathOnly: string) => boolean;

export interface WeightedClusterChoice {
  name: string;
  weight: number;
  requestHeaders: HeaderMutations;
  responseHeaders: HeaderMutations;
  hostRewriteLiteral?: string;
  typedPerFilterConfig?: Record<string, AnyMessage>;
}

/** What `route.action` says to do with a matched request. */
export type RouteAction =
  | { kind: 'forward'; forward: ForwardAction }
  | { kind: 'redirect'; redirect: RedirectAction }
  | { kind: 'direct'; status: number; body: string | undefined }
  | { kind: 'non_forwarding' };

export interface ForwardAction {
  clusterName?: string;
  clusterHeader?: string;
  weighted?: { clusters: WeightedClusterChoice[]; total: number; headerName?: string; runtimeKeyPrefix?: string };
  clusterNotFoundCode: number;
  timeoutMs: number;
  idleTimeoutMs?: number;
  maxStreamDurationMs?: number;
  grpcTimeoutHeaderMaxMs?: number;
  grpcTimeoutHeaderOffsetMs?: number;
  retryPolicy?: RetryPolicy;
  hashPolicy?: HashPolicy;
  prefixRewrite?: string;
  regexRewrite?: { pattern: RegExp; substitution: string };
  hostRewriteLiteral?: string;
  autoHostRewrite: boolean;
  hostRewriteHeader?: string;
  hostRewritePathRegex?: { pattern: RegExp; substitution: string };
  appendXForwardedHost: boolean;
  priority: 'DEFAULT' | 'HIGH';
  includeVhRateLimits: boolean;
  requestMirrorPolicies: envoy.config.route.v3.RouteAction.RequestMirrorPolicy[];
  upgradeConfigs: envoy.config.route.v3.RouteAction.UpgradeConfig[];
}

export interface RedirectAction {
  scheme?: string;
  host?: string;
  port?: number;
  path?: string;
  prefixRewrite?: string;
  regexRewrite?: { pattern: RegExp; substitution: string };
  status: number;
  stripQuery: boolean;
}

const REDIRECT_CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

export interface RouteBuildContext {
  runtime: Runtime;
  /** Throws when the named cluster cannot be used (validate_clusters). */
  validateCluster?: (name: string, path: string, at: object) => void;
}

/** RE2 substitution (`\1`) → JS replacement (`$1`). */
export function compileRewrite(r: envoy.type.matcher.v3.RegexMatchAndSubstitute, path: string): { pattern: RegExp; substitution: string } {
  const re = compileRe2(r.pattern?.regex ?? '', false);
  if (!r.pattern?.regex) throw ConfigError.single(`${path}.pattern`, 'regex is required', spanOf(r));
  return {
    pattern: new RegExp(re.source, re.flags + 'g'),
    substitution: (r.substitution ?? '').replace(/\$/g, '$$$$').replace(/\\(\d)/g, '$$$1'),
  };
}

export class Route {
  readonly name: string;
  readonly action: RouteAction;
  readonly requestHeaders: HeaderMutations;
  readonly responseHeaders: HeaderMutations;
  readonly metadata?: envoy.config.core.v3.Metadata;
  readonly decorator?: envoy.config.route.v3.Decorator;
  private readonly perFilter: Record<string, AnyMessage>;
  private readonly pathMatcher: PathMatcher;
  private readonly headerMatchers: HeaderPredicate[];
  private readonly queryMatchers: QueryPredicate[];
  private readonly runtimeFraction?: { key: string; numerator: number; denominator: number };
  private readonly grpcOnly: boolean;
  readonly matchPrefix?: string;
  readonly matchPath?: string;
  readonly matchRegex?: string;
  readonly caseSensitive: boolean;

  constructor(
    readonly config: envoy.config.route.v3.Route,
    readonly virtualHost: VirtualHost,
    readonly path: string,
    context: RouteBuildContext,
  ) {
    const match = config.match ?? {};
    this.name = config.name ?? '';
    this.caseSensitive = unwrap(match.case_sensitive, true);
    this.matchPrefix = match.prefix;
    this.matchPath = match.path;
    this.matchRegex = match.safe_regex?.regex;
    this.pathMatcher = compilePathMatch(match, this.caseSensitive, `${path}.match`);
    this.headerMatchers = compileHeaderMatchers(match.headers, `${path}.match.headers`);
    this.queryMatchers = (match.query_parameters ?? []).map((q, i) => compileQueryMatcher(q, `${path}.match.query_parameters[${i}]`));
    this.grpcOnly = match.grpc !== undefined;
    if (match.runtime_fraction) {
      const d = match.runtime_fraction.default_value;
      this.runtimeFraction = {
        key: match.runtime_fraction.runtime_key ?? '',
        numerator: d?.numerator ?? 0,
        denominator: { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[d?.denominator ?? 'HUNDRED'] ?? 100,
      };
    }
    this.requestHeaders = HeaderMutations.compile(config.request_headers_to_add, config.request_headers_to_remove, path, 'request_headers_to_add');
    this.responseHeaders = HeaderMutations.compile(config.response_headers_to_add, config.response_headers_to_remove, path, 'response_headers_to_add');
    this.metadata = config.metadata;
    this.decorator = config.decorator;
    this.perFilter = config.typed_per_filter_config ?? {};
    this.action = compileAction(config, path, context, virtualHost);
  }

  /** The first-match test, in Envoy's order: path, then headers, query, runtime. */
  matches(headers: HeaderMap, pathWithQuery: string, pathOnly: string, query: () => URLSearchParams, runtime: Runtime, random: number): boolean {
    if (!this.pathMatcher(pathWithQuery, pathOnly)) return false;
    if (this.grpcOnly && !(headers.get('content-type') ?? '').startsWith('application/grpc')) return false;
    for (const m of this.headerMatchers) if (!m(headers)) return false;
    if (this.queryMatchers.length) {
      const q = query();
      for (const m of this.queryMatchers) if (!m(q)) return false;
    }
    if (this.runtimeFraction) {
      const { key, numerator, denominator } = this.runtimeFraction;
      const n = runtime.getNumber(key, numerator);
      if (random % denominator >= n) return false;
    }
    return true;
  }

  /** Per-route filter config, falling back to the virtual host and route config. */
  perFilterConfig(filterName: string): AnyMessage | undefined {
    return this.perFilter[filterName] ?? this.virtualHost.perFilterConfig(filterName);
  }

  forward(): ForwardAction | undefined {
    return this.action.kind === 'forward' ? this.action.forward : undefined;
  }
}

function compilePathMatch(m: envoy.config.route.v3.RouteMatch, caseSensitive: boolean, path: string): PathMatcher {
  const fold = (s: string) => (caseSensitive ? s : s.toLowerCase());
  if (m.prefix !== undefined) {
    const want = fold(m.prefix);
    return caseSensitive ? (full) => full.startsWith(want) : (full) => full.toLowerCase().startsWith(want);
  }
  if (m.path !== undefined) {
    const want = fold(m.path);
    return (_full, only) => fold(only) === want;
  }
  if (m.safe_regex !== undefined) {
    let re: RegExp;
    try {
      re = compileRe2(m.safe_regex.regex ?? '', true);
    } catch (err) {
      throw ConfigError.single(`${path}.safe_regex`, `invalid regex: ${(err as Error).message}`, spanOf(m));
    }
    return (_full, only) => re.test(only);
  }
  if (m.path_separated_prefix !== undefined) {
    const prefix = m.path_separated_prefix;
    if (prefix.endsWith('/') || prefix.includes('?') || prefix.includes('#')) {
      throw ConfigError.single(`${path}.path_separated_prefix`, 'must not end with "/" or contain "?" or "#"', spanOf(m));
    }
    const want = fold(prefix);
    return (_full, only) => {
      const p = fold(only);
      return p === want || p.startsWith(want + '/');
    };
  }
  if (m.connect_matcher !== undefined) return () => false; // CONNECT is not proxied by skein yet
  throw ConfigError.single(path, 'route match needs one of prefix, path, safe_regex, path_separated_prefix', spanOf(m));
}

function compileAction(config: envoy.config.route.v3.Route, path: string, context: RouteBuildContext, vh: VirtualHost): RouteAction {
  if (config.route) return { kind: 'forward', forward: compileForward(config.route, `${path}.route`, context, vh) };
  if (config.redirect) return { kind: 'redirect', redirect: compileRedirect(config.redirect, `${path}.redirect`) };
  if (config.direct_response) {
    const dr = config.direct_response;
    const status = dr.status ?? 0;
    if (status < 200 || status >= 600) {
      throw ConfigError.single(`${path}.direct_response.status`, `status must be in [200, 600), got ${status}`, spanOf(dr));
    }
    return { kind: 'direct', status, body: dr.body ? readDataSource(dr.body, `${path}.direct_response.body`) : undefined };
  }
  if (config.non_forwarding_action) return { kind: 'non_forwarding' };
  throw ConfigError.single(path, 'route needs one of route, redirect, direct_response', spanOf(config));
}

function compileForward(r: envoy.config.route.v3.RouteAction, path: string, context: RouteBuildContext, vh: VirtualHost): ForwardAction {
  const action: ForwardAction = {
    clusterNotFoundCode: r.cluster_not_found_response_code === 'NOT_FOUND' ? 404 : r.cluster_not_found_response_code === 'INTERNAL_SERVER_ERROR' ? 500 : 503,
    timeoutMs: durationMs(r.timeout, 15_000),
    idleTimeoutMs: durationMs(r.idle_timeout),
    maxStreamDurationMs: durationMs(r.max_stream_duration?.max_stream_duration),
    grpcTimeoutHeaderMaxMs: durationMs(r.max_stream_duration?.grpc_timeout_header_max ?? r.max_grpc_timeout),
    grpcTimeoutHeaderOffsetMs: durationMs(r.max_stream_duration?.grpc_timeout_header_offset ?? r.grpc_timeout_offset),
    retryPolicy: r.retry_policy ? compileRetryPolicy(r.retry_policy, `${path}.retry_policy`) : vh.retryPolicy,
    hashPolicy: HashPolicy.compile(r.hash_policy),
    prefixRewrite: r.prefix_rewrite,
    regexRewrite: r.regex_rewrite ? compileRewrite(r.regex_rewrite, `${path}.regex_rewrite`) : undefined,
    hostRewriteLiteral: r.host_rewrite_literal,
    autoHostRewrite: unwrap(r.auto_host_rewrite, false),
    hostRewriteHeader: r.host_rewrite_header?.toLowerCase(),
    hostRewritePathRegex: r.host_rewrite_path_regex ? compileRewrite(r.host_rewrite_path_regex, `${path}.host_rewrite_path_regex`) : undefined,
    appendXForwardedHost: r.append_x_forwarded_host === true,
    priority: r.priority === 'HIGH' ? 'HIGH' : 'DEFAULT',
    includeVhRateLimits: unwrap(r.include_vh_rate_limits, false),
    requestMirrorPolicies: r.request_mirror_policies ?? [],
    upgradeConfigs: r.upgrade_configs ?? [],
  };
  if (r.prefix_rewrite !== undefined && r.regex_rewrite !== undefined) {
    throw ConfigError.single(path, 'only one of prefix_rewrite and regex_rewrite may be set', spanOf(r));
  }
  if (r.cluster !== undefined) {
    action.clusterName = r.cluster;
    context.validateCluster?.(r.cluster, `${path}.cluster`, r);
  } else if (r.cluster_header !== undefined) {
    action.clusterHeader = r.cluster_header.toLowerCase();
  } else if (r.weighted_clusters !== undefined) {
    const wc = r.weighted_clusters;
    const clusters = (wc.clusters ?? []).map((c, i): WeightedClusterChoice => {
      const at = `${path}.weighted_clusters.clusters[${i}]`;
      if (c.name) context.validateCluster?.(c.name, `${at}.name`, c);
      return {
        name: c.name ?? '',
        weight: unwrap(c.weight, 0),
        requestHeaders: HeaderMutations.compile(c.request_headers_to_add, c.request_headers_to_remove, at, 'request_headers_to_add'),
        responseHeaders: HeaderMutations.compile(c.response_headers_to_add, c.response_headers_to_remove, at, 'response_headers_to_add'),
        hostRewriteLiteral: c.host_rewrite_literal,
        typedPerFilterConfig: c.typed_per_filter_config,
      };
    });
    const sum = clusters.reduce((s, c) => s + c.weight, 0);
    const declared = wc.total_weight?.value;
    if (declared !== undefined && declared !== sum) {
      throw ConfigError.single(`${path}.weighted_clusters`, `sum of weights (${sum}) must equal total_weight (${declared})`, spanOf(wc));
    }
    if (sum <= 0) throw ConfigError.single(`${path}.weighted_clusters`, 'sum of weights must be greater than 0', spanOf(wc));
    action.weighted = { clusters, total: sum, headerName: wc.header_name?.toLowerCase(), runtimeKeyPrefix: wc.runtime_key_prefix };
  } else if (r.cluster_specifier_plugin !== undefined || r.inline_cluster_specifier_plugin !== undefined) {
    throw ConfigError.single(path, 'cluster_specifier_plugin is not supported by skein', spanOf(r));
  } else {
    throw ConfigError.single(path, 'route needs one of cluster, cluster_header, weighted_clusters', spanOf(r));
  }
  return action;
}

function compileRedirect(r: envoy.config.route.v3.RedirectAction, path: string): RedirectAction {
  const status = REDIRECT_CODES[r.response_code ?? 'MOVED_PERMANENTLY'] ?? 301;
  return {
    scheme: r.https_redirect ? 'https' : r.scheme_redirect,
    host: r.host_redirect,
    port: r.port_redirect,
    path: r.path_redirect,
    prefixRewrite: r.prefix_rewrite,
    regexRewrite: r.regex_rewrite ? compileRewrite(r.regex_rewrite, `${path}.regex_rewrite`) : undefined,
    status,
    stripQuery: r.strip_query === true,
  };
}

/** The Location header for a redirect, built the way Envoy builds it. */
export function redirectLocation(
  redirect: RedirectAction,
  headers: HeaderMap,
  matchedPrefix: string | undefined,
): string {
  const origScheme = headers.get('x-forwarded-proto') ?? headers.get(':scheme') ?? 'http';
  const scheme = redirect.scheme ?? origScheme;
  const authority = headers.get(':authority') ?? '';
  let [host, port] = splitHostPort(authority);
  if (redirect.host !== undefined) {
    const [h, p] = splitHostPort(redirect.host);
    host = h;
    if (p !== undefined) port = p;
  }
  if (redirect.port !== undefined) port = String(redirect.port);
  else if (redirect.scheme !== undefined && redirect.scheme !== origScheme) {
    // Switching scheme drops the old scheme's default port (80 → https, 443 → http).
    if ((origScheme === 'http' && port === '80') || (origScheme === 'https' && port === '443')) port = undefined;
  }
  if ((scheme === 'http' && port === '80') || (scheme === 'https' && port === '443')) port = undefined;
  const fullPath = headers.get(':path') ?? '/';
  const q = fullPath.indexOf('?');
  const origPathOnly = q >= 0 ? fullPath.slice(0, q) : fullPath;
  const origQuery = q >= 0 ? fullPath.slice(q) : '';
  let newPath = origPathOnly;
  let query = redirect.stripQuery ? '' : origQuery;
  if (redirect.path !== undefined) {
    newPath = redirect.path;
    const pq = newPath.indexOf('?');
    if (pq >= 0) {
      query = newPath.slice(pq);
      newPath = newPath.slice(0, pq);
    }
  } else if (redirect.prefixRewrite !== undefined && matchedPrefix !== undefined) {
    newPath = redirect.prefixRewrite + origPathOnly.slice(matchedPrefix.length);
  } else if (redirect.regexRewrite) {
    newPath = origPathOnly.replace(redirect.regexRewrite.pattern, redirect.regexRewrite.substitution);
  }
  const hostPart = port !== undefined ? `${host}:${port}` : host;
  return `${scheme}://${hostPart}${newPath}${query}`;
}

export function splitHostPort(authority: string): [string, string | undefined] {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    const rest = authority.slice(end + 1);
    return [authority.slice(0, end + 1), rest.startsWith(':') ? rest.slice(1) : undefined];
  }
  const colon = authority.lastIndexOf(':');
  if (colon < 0 || authority.indexOf(':') !== colon) return [authority, undefined];
  return [authority.slice(0, colon), authority.slice(colon + 1)];
}
