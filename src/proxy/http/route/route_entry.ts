// One configured route, compiled: how it matches a request and what it does
// (forward to a cluster, redirect, or answer directly), with everything the router
// needs per request precomputed at config time.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { durationMs, unwrap, type AnyMessage } from '../../../api/json/wkt.js';
import { compileRe2, compileRe2Rewrite, type Re2Rewriter } from '../../common/regex.js';
import type { FractionalPercent, Runtime } from '../../server/runtime.js';
import type { HeaderMap } from '../header_map.js';
import { compileHeaderMatchers, compileQueryMatcher, parseInt64, type HeaderPredicate, type QueryPredicate } from './header_matcher.js';
import { HeaderMutations } from './header_mutations.js';
import { HashPolicy } from './hash_policy.js';
import { compileRetryPolicy, NO_RETRY_POLICY, type RetryPolicy } from './retry_policy.js';
import type { VirtualHost } from './virtual_host.js';
import { readDataSource } from '../../common/data_source.js';
import { compileRedirect, type RedirectAction } from './redirect.js';
import { compileRouteSpecificConfig, LEGACY_CORS_TYPE, PerFilterConfigs } from './per_filter_config.js';

export { newUri, splitHostPort, type RedirectAction } from './redirect.js';

export interface WeightedClusterChoice {
  /** The cluster, or '' when it comes from `clusterHeader`. */
  name: string;
  clusterHeader?: string;
  weight: number;
  /** runtime_key_prefix + "." + name: a runtime override of `weight`. */
  runtimeKey?: string;
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
  /** The route's policy, else the virtual host's, else an empty one (x-envoy-retry-on still applies). */
  retryPolicy: RetryPolicy;
  hashPolicy?: HashPolicy;
  prefixRewrite?: string;
  regexRewrite?: Re2Rewriter;
  hostRewriteLiteral?: string;
  autoHostRewrite: boolean;
  hostRewriteHeader?: string;
  hostRewritePathRegex?: Re2Rewriter;
  appendXForwardedHost: boolean;
  priority: 'DEFAULT' | 'HIGH';
  includeVhRateLimits: boolean;
  requestMirrorPolicies: envoy.config.route.v3.RouteAction.RequestMirrorPolicy[];
  upgradeConfigs: envoy.config.route.v3.RouteAction.UpgradeConfig[];
}

export interface RouteBuildContext {
  runtime: Runtime;
  /** Throws when the named cluster cannot be used (validate_clusters). */
  validateCluster?: (name: string, path: string, at: object) => void;
}

/** Envoy's DEFAULT_MAX_DIRECT_RESPONSE_BODY_SIZE_BYTES. */
const MAX_DIRECT_RESPONSE_BODY = 4096;

/** Compiles a RegexMatchAndSubstitute (RE2 pattern, `\1`-style substitution). */
export function compileRewrite(r: envoy.type.matcher.v3.RegexMatchAndSubstitute, path: string): Re2Rewriter {
  if (!r.pattern?.regex) throw ConfigError.single(`${path}.pattern`, 'regex is required', spanOf(r));
  try {
    return compileRe2Rewrite(r.pattern.regex, r.substitution ?? '');
  } catch (err) {
    throw ConfigError.single(path, `invalid regex rewrite: ${(err as Error).message}`, spanOf(r));
  }
}

/** The path without its query string and fragment (Envoy's PathUtil::removeQueryAndFragment). */
export function pathWithoutQuery(path: string): string {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 63 /* ? */ || c === 35 /* # */) return path.slice(0, i);
  }
  return path;
}

/** proto3 strings: "" means unset, as Envoy reads them. */
const nonEmpty = (s: string | undefined): string | undefined => (s ? s : undefined);

type PathMatcher = (pathOnly: string) => boolean;

export class Route {
  readonly name: string;
  readonly action: RouteAction;
  readonly requestHeaders: HeaderMutations;
  readonly responseHeaders: HeaderMutations;
  readonly metadata?: envoy.config.core.v3.Metadata;
  readonly decorator?: envoy.config.route.v3.Decorator;
  readonly perFilter: PerFilterConfigs;
  /** The deprecated RouteAction `cors`, compiled by the CORS filter (undefined without it). */
  readonly legacyCorsPolicy?: unknown;
  private readonly pathMatcher: PathMatcher;
  private readonly headerMatchers: HeaderPredicate[];
  private readonly queryMatchers: QueryPredicate[];
  private readonly runtimeFraction?: { key: string; fallback: FractionalPercent };
  private readonly grpcOnly: boolean;
  readonly matchPrefix?: string;
  readonly matchPath?: string;
  readonly matchRegex?: string;
  readonly matchPathSeparatedPrefix?: string;
  readonly caseSensitive: boolean;

  constructor(
    readonly config: envoy.config.route.v3.Route,
    readonly virtualHost: VirtualHost,
    readonly path: string,
    context: RouteBuildContext,
    actionOverride?: RouteAction,
  ) {
    const match = config.match ?? {};
    this.name = config.name ?? '';
    this.caseSensitive = unwrap(match.case_sensitive, true);
    this.matchPrefix = match.prefix;
    this.matchPath = match.path;
    this.matchRegex = match.safe_regex?.regex;
    this.matchPathSeparatedPrefix = match.path_separated_prefix;
    this.pathMatcher = compilePathMatch(match, this.caseSensitive, `${path}.match`);
    this.headerMatchers = compileHeaderMatchers(match.headers, `${path}.match.headers`);
    this.queryMatchers = (match.query_parameters ?? []).map((q, i) => compileQueryMatcher(q, `${path}.match.query_parameters[${i}]`));
    this.grpcOnly = match.grpc !== undefined;
    if (match.runtime_fraction) {
      const d = match.runtime_fraction.default_value;
      this.runtimeFraction = { key: match.runtime_fraction.runtime_key ?? '', fallback: { numerator: d?.numerator ?? 0, denominator: d?.denominator } };
    }
    this.requestHeaders = HeaderMutations.compile(config.request_headers_to_add, config.request_headers_to_remove, path, 'request_headers_to_add');
    this.responseHeaders = HeaderMutations.compile(config.response_headers_to_add, config.response_headers_to_remove, path, 'response_headers_to_add');
    this.metadata = config.metadata;
    this.decorator = config.decorator;
    this.perFilter = PerFilterConfigs.compile(config.typed_per_filter_config, path, context);
    if (config.route?.cors) this.legacyCorsPolicy = compileRouteSpecificConfig({ '@type': LEGACY_CORS_TYPE, ...config.route.cors }, `${path}.route.cors`, context);
    this.action = actionOverride ?? compileAction(config, path, context, virtualHost);
  }

  /**
   * The first-match test: runtime fraction, gRPC, headers, query parameters, then the path
   * (`pathOnly`: :path without query string and fragment), as Envoy evaluates them.
   */
  matches(headers: HeaderMap, pathOnly: string, query: () => URLSearchParams, runtime: Runtime, random: number): boolean {
    if (this.runtimeFraction && !this.runtimeFractionAllows(runtime, random)) return false;
    if (this.grpcOnly && !isGrpcContentType(headers.get('content-type'))) return false;
    for (const m of this.headerMatchers) if (!m(headers)) return false;
    if (this.queryMatchers.length) {
      const q = query();
      for (const m of this.queryMatchers) if (!m(q)) return false;
    }
    return this.pathMatcher(pathOnly);
  }

  /** Runtime::featureEnabled over runtime_fraction (see Runtime.fractionEnabled). */
  private runtimeFractionAllows(runtime: Runtime, random: number): boolean {
    const { key, fallback } = this.runtimeFraction!;
    return runtime.fractionEnabled(key, fallback, random);
  }

  /** How much of :path a prefix rewrite replaces: what the path matcher matched. */
  private matchedLength(path: string): number {
    if (this.matchPrefix !== undefined) return this.matchPrefix.length;
    if (this.matchPath !== undefined) return this.matchPath.length;
    if (this.matchPathSeparatedPrefix !== undefined) return this.matchPathSeparatedPrefix.length;
    return pathWithoutQuery(path).length;
  }

  /**
   * The upstream :path after the route's prefix_rewrite / regex_rewrite, or undefined when
   * the route has neither. The query string is kept.
   */
  rewritePath(path: string): string | undefined {
    const f = this.forward();
    if (!f) return undefined;
    if (f.prefixRewrite !== undefined) return f.prefixRewrite + path.slice(this.matchedLength(path));
    if (f.regexRewrite) {
      const only = pathWithoutQuery(path);
      return f.regexRewrite(only) + path.slice(only.length);
    }
    return undefined;
  }

  /** A redirect's prefix_rewrite / regex_rewrite applied to :path (undefined: no rewrite). */
  rewriteRedirectPath(path: string): string | undefined {
    if (this.action.kind !== 'redirect') return undefined;
    const r = this.action.redirect;
    if (r.regexRewrite) {
      const only = pathWithoutQuery(path);
      return r.regexRewrite(only) + path.slice(only.length);
    }
    if (r.prefixRewrite !== undefined) return r.prefixRewrite + path.slice(this.matchedLength(path));
    return undefined;
  }

  /** Per-route filter config, falling back to the virtual host and route config. */
  private requestLevels?: HeaderMutations[];
  private responseLevels?: HeaderMutations[];

  /**
   * The non-empty request header mutations of route, virtual host and route config, in
   * the order they apply (least specific last, unless most_specific_header_mutations_wins).
   * Computed once: most routes have none, and the router then skips the work entirely.
   */
  requestMutationLevels(): HeaderMutations[] {
    return (this.requestLevels ??= this.orderedLevels(this.requestHeaders, this.virtualHost.requestHeaders, this.virtualHost.table.requestHeaders));
  }

  responseMutationLevels(): HeaderMutations[] {
    return (this.responseLevels ??= this.orderedLevels(this.responseHeaders, this.virtualHost.responseHeaders, this.virtualHost.table.responseHeaders));
  }

  private orderedLevels(route: HeaderMutations, vh: HeaderMutations, table: HeaderMutations): HeaderMutations[] {
    const levels = [route, vh, table];
    if (this.virtualHost.table.mostSpecificHeaderMutationsWins) levels.reverse();
    return levels.filter((m) => !m.isEmpty);
  }

  /** The most specific `typed_per_filter_config` for a filter: route, else virtual host, else route configuration. */
  perFilterConfig(filterName: string): unknown {
    return this.perFilter.config(filterName) ?? this.virtualHost.perFilter.config(filterName) ?? this.virtualHost.table.perFilter.config(filterName);
  }

  /**
   * Every level's config for a filter, most specific first, for filters that merge them
   * field by field (Envoy's getAllPerFilterConfig, as CORS uses it).
   */
  perFilterConfigs(filterName: string): unknown[] {
    const levels = [this.perFilter, this.virtualHost.perFilter, this.virtualHost.table.perFilter];
    return levels.map((l) => l.config(filterName)).filter((c) => c !== undefined);
  }

  /** A FilterConfig `disabled` for this filter, most specific level first (undefined: no say). */
  filterDisabled(filterName: string): boolean | undefined {
    return this.perFilter.disabled(filterName) ?? this.virtualHost.perFilter.disabled(filterName) ?? this.virtualHost.table.perFilter.disabled(filterName);
  }

  forward(): ForwardAction | undefined {
    return this.action.kind === 'forward' ? this.action.forward : undefined;
  }
}

/** Grpc::Common::hasGrpcContentType: "application/grpc" or "application/grpc+..." only. */
function isGrpcContentType(ct: string | undefined): boolean {
  return ct !== undefined && ct.startsWith('application/grpc') && (ct.length === 16 || ct[16] === '+');
}

function compilePathMatch(m: envoy.config.route.v3.RouteMatch, caseSensitive: boolean, path: string): PathMatcher {
  const fold = (s: string) => (caseSensitive ? s : s.toLowerCase());
  if (m.prefix !== undefined) {
    const want = fold(m.prefix);
    return caseSensitive ? (p) => p.startsWith(want) : (p) => p.toLowerCase().startsWith(want);
  }
  if (m.path !== undefined) {
    const want = fold(m.path);
    return (p) => fold(p) === want;
  }
  if (m.safe_regex !== undefined) {
    let re: RegExp;
    try {
      re = compileRe2(m.safe_regex.regex ?? '', true);
    } catch (err) {
      throw ConfigError.single(`${path}.safe_regex`, `invalid regex: ${(err as Error).message}`, spanOf(m));
    }
    return (p) => re.test(p);
  }
  if (m.path_separated_prefix !== undefined) {
    const prefix = m.path_separated_prefix;
    if (!/^[^?#]+[^?#/]$/.test(prefix)) {
      throw ConfigError.single(`${path}.path_separated_prefix`, 'must not end with "/" or contain "?" or "#"', spanOf(m));
    }
    const want = fold(prefix);
    return (p) => {
      const f = fold(p);
      return f.startsWith(want) && (f.length === want.length || f[want.length] === '/');
    };
  }
  if (m.connect_matcher !== undefined) return () => false; // CONNECT is not proxied by skein yet
  if (m.path_match_policy !== undefined) throw ConfigError.single(`${path}.path_match_policy`, 'path_match_policy is not supported by skein', spanOf(m));
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
    const body = dr.body ? readDataSource(dr.body, `${path}.direct_response.body`) : undefined;
    const max = unwrap(vh.table.config.max_direct_response_body_size_bytes, MAX_DIRECT_RESPONSE_BODY);
    const size = body === undefined ? 0 : Buffer.byteLength(body);
    if (size > max) {
      throw ConfigError.single(`${path}.direct_response.body`, `response body size is ${size} bytes; maximum is ${max} (max_direct_response_body_size_bytes)`, spanOf(dr));
    }
    return { kind: 'direct', status, body };
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
    retryPolicy: r.retry_policy ? compileRetryPolicy(r.retry_policy, `${path}.retry_policy`) : (vh.retryPolicy ?? NO_RETRY_POLICY),
    hashPolicy: HashPolicy.compile(r.hash_policy, `${path}.hash_policy`),
    prefixRewrite: nonEmpty(r.prefix_rewrite),
    regexRewrite: r.regex_rewrite ? compileRewrite(r.regex_rewrite, `${path}.regex_rewrite`) : undefined,
    hostRewriteLiteral: nonEmpty(r.host_rewrite_literal),
    autoHostRewrite: unwrap(r.auto_host_rewrite, false),
    hostRewriteHeader: nonEmpty(r.host_rewrite_header)?.toLowerCase(),
    hostRewritePathRegex: r.host_rewrite_path_regex ? compileRewrite(r.host_rewrite_path_regex, `${path}.host_rewrite_path_regex`) : undefined,
    appendXForwardedHost: r.append_x_forwarded_host === true,
    priority: r.priority === 'HIGH' ? 'HIGH' : 'DEFAULT',
    includeVhRateLimits: unwrap(r.include_vh_rate_limits, false),
    requestMirrorPolicies: r.request_mirror_policies ?? [],
    upgradeConfigs: r.upgrade_configs ?? [],
  };
  if ([action.prefixRewrite, action.regexRewrite, r.path_rewrite_policy].filter((x) => x !== undefined).length > 1) {
    throw ConfigError.single(path, 'specify only one of prefix_rewrite, regex_rewrite or path_rewrite_policy', spanOf(r));
  }
  if (r.path_rewrite_policy !== undefined) throw ConfigError.single(`${path}.path_rewrite_policy`, 'path_rewrite_policy is not supported by skein', spanOf(r));
  if (r.cluster !== undefined) {
    action.clusterName = r.cluster;
    context.validateCluster?.(r.cluster, `${path}.cluster`, r);
  } else if (r.cluster_header !== undefined) {
    action.clusterHeader = r.cluster_header.toLowerCase();
  } else if (r.weighted_clusters !== undefined) {
    action.weighted = compileWeighted(r.weighted_clusters, `${path}.weighted_clusters`, context);
  } else if (r.cluster_specifier_plugin !== undefined || r.inline_cluster_specifier_plugin !== undefined) {
    throw ConfigError.single(path, 'cluster_specifier_plugin is not supported by skein', spanOf(r));
  } else {
    throw ConfigError.single(path, 'route needs one of cluster, cluster_header, weighted_clusters', spanOf(r));
  }
  return action;
}

function compileWeighted(wc: envoy.config.route.v3.WeightedCluster, path: string, context: RouteBuildContext): NonNullable<ForwardAction['weighted']> {
  const prefix = nonEmpty(wc.runtime_key_prefix);
  const clusters = (wc.clusters ?? []).map((c, i): WeightedClusterChoice => {
    const at = `${path}.clusters[${i}]`;
    const name = c.name ?? '';
    const header = nonEmpty(c.cluster_header);
    if (name && header) throw ConfigError.single(at, 'only one of name or cluster_header can be specified', spanOf(c));
    if (!name && !header) throw ConfigError.single(at, 'at least one of name or cluster_header needs to be specified', spanOf(c));
    if (name) context.validateCluster?.(name, `${at}.name`, c);
    return {
      name,
      clusterHeader: header?.toLowerCase(),
      weight: unwrap(c.weight, 0),
      runtimeKey: prefix !== undefined ? `${prefix}.${name}` : undefined,
      requestHeaders: HeaderMutations.compile(c.request_headers_to_add, c.request_headers_to_remove, at, 'request_headers_to_add'),
      responseHeaders: HeaderMutations.compile(c.response_headers_to_add, c.response_headers_to_remove, at, 'response_headers_to_add'),
      hostRewriteLiteral: nonEmpty(c.host_rewrite_literal),
      typedPerFilterConfig: c.typed_per_filter_config,
    };
  });
  const sum = clusters.reduce((s, c) => s + c.weight, 0);
  // total_weight is deprecated; when set (> 0) the weights must add up to it.
  const declared = wc.total_weight?.value ?? 0;
  if (declared > 0 && declared !== sum) {
    throw ConfigError.single(`${path}.total_weight`, `sum of weights in the weighted_cluster (${sum}) should add up to total_weight (${declared})`, spanOf(wc));
  }
  if (sum <= 0) throw ConfigError.single(path, 'sum of weights in the weighted_cluster must be greater than 0', spanOf(wc));
  if (sum > 0xffffffff) throw ConfigError.single(path, `sum of weights in the weighted_cluster exceeds ${0xffffffff}`, spanOf(wc));
  return { clusters, total: sum, headerName: nonEmpty(wc.header_name)?.toLowerCase(), runtimeKeyPrefix: prefix };
}

/**
 * A weighted_clusters pick: the interval of [0, total) the random value falls in. The
 * random value comes from a single-valued numeric `header_name` header when present;
 * runtime_key_prefix weights override the configured ones. `cluster` is undefined when a
 * cluster_header entry finds no header.
 */
export function pickWeightedCluster(
  w: NonNullable<ForwardAction['weighted']>,
  headers: HeaderMap,
  runtime: Runtime,
  random = Math.random(),
): { choice: WeightedClusterChoice; cluster: string | undefined } | undefined {
  const weights = w.clusters.map((c) => (c.runtimeKey !== undefined ? Math.max(0, Math.floor(runtime.getNumber(c.runtimeKey, c.weight))) : c.weight));
  const total = w.runtimeKeyPrefix !== undefined ? weights.reduce((a, b) => a + b, 0) : w.total;
  if (total <= 0) return undefined;
  let fromHeader: bigint | undefined;
  if (w.headerName) {
    const values = headers.getAll(w.headerName);
    const n = values.length === 1 ? parseInt64(values[0]!) : undefined;
    if (n !== undefined && n >= 0n) fromHeader = n;
  }
  let point = fromHeader !== undefined ? Number(fromHeader % BigInt(total)) : Math.floor(random * total);
  let choice = w.clusters[w.clusters.length - 1]!;
  for (let i = 0; i < w.clusters.length; i++) {
    if (point < weights[i]!) {
      choice = w.clusters[i]!;
      break;
    }
    point -= weights[i]!;
  }
  const cluster = choice.clusterHeader !== undefined ? headers.get(choice.clusterHeader) || undefined : choice.name;
  return { choice, cluster };
}
