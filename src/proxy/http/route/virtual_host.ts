// A virtual host: its domains, its routes in order, and settings routes inherit.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import type { Runtime } from '../../server/runtime.js';
import type { HeaderMap } from '../header_map.js';
import { compileHeaderMatchers, parseRawQuery, type HeaderPredicate } from './header_matcher.js';
import { HeaderMutations } from './header_mutations.js';
import { compileRouteSpecificConfig, LEGACY_CORS_TYPE, PerFilterConfigs } from './per_filter_config.js';
import { compileRetryPolicy, type RetryPolicy } from './retry_policy.js';
import { pathWithoutQuery, Route, type RedirectAction, type RouteBuildContext } from './route_entry.js';
import type { RouteTable } from './route_table.js';

export interface VirtualCluster {
  name: string;
  headers: HeaderPredicate[];
}

export class VirtualHost {
  readonly name: string;
  readonly domains: string[];
  readonly routes: Route[];
  readonly requestHeaders: HeaderMutations;
  readonly responseHeaders: HeaderMutations;
  readonly retryPolicy?: RetryPolicy;
  readonly includeRequestAttemptCount: boolean;
  readonly includeAttemptCountInResponse: boolean;
  readonly requireTls: 'NONE' | 'EXTERNAL_ONLY' | 'ALL';
  readonly virtualClusters: VirtualCluster[];
  private sslRedirectRoute?: Route;
  readonly perFilter: PerFilterConfigs;
  /** The deprecated VirtualHost `cors`, compiled by the CORS filter (undefined without it). */
  readonly legacyCorsPolicy?: unknown;
  readonly hasFilterSwitches: boolean;

  constructor(
    readonly config: envoy.config.route.v3.VirtualHost,
    readonly table: RouteTable,
    readonly path: string,
    private readonly context: RouteBuildContext,
  ) {
    this.name = config.name ?? '';
    this.domains = (config.domains ?? []).map((d) => d.toLowerCase());
    this.requestHeaders = HeaderMutations.compile(config.request_headers_to_add, config.request_headers_to_remove, path, 'request_headers_to_add');
    this.responseHeaders = HeaderMutations.compile(config.response_headers_to_add, config.response_headers_to_remove, path, 'response_headers_to_add');
    this.retryPolicy = config.retry_policy ? compileRetryPolicy(config.retry_policy, `${path}.retry_policy`) : undefined;
    this.includeRequestAttemptCount = config.include_request_attempt_count === true;
    this.includeAttemptCountInResponse = config.include_attempt_count_in_response === true;
    this.requireTls = (config.require_tls as 'NONE' | 'EXTERNAL_ONLY' | 'ALL' | undefined) ?? 'NONE';
    this.virtualClusters = (config.virtual_clusters ?? []).map((vc, i) => {
      if (!vc.headers?.length) throw ConfigError.single(`${path}.virtual_clusters[${i}].headers`, "virtual clusters must define 'headers'", spanOf(vc));
      return { name: vc.name ?? '', headers: compileHeaderMatchers(vc.headers, `${path}.virtual_clusters[${i}].headers`) };
    });
    this.perFilter = PerFilterConfigs.compile(config.typed_per_filter_config, path, context);
    if (config.cors) this.legacyCorsPolicy = compileRouteSpecificConfig({ '@type': LEGACY_CORS_TYPE, ...config.cors }, `${path}.cors`, context);
    this.routes = (config.routes ?? []).map((r, i) => new Route(r, this, `${path}.routes[${i}]`, context));
    this.hasFilterSwitches = this.perFilter.hasFilterSwitches || this.routes.some((r) => r.perFilter.hasFilterSwitches);
  }

  /**
   * The first route that matches, or null. A require_tls virtual host answers plain-HTTP
   * requests (by x-forwarded-proto) with a redirect to https instead.
   */
  findRoute(headers: HeaderMap, runtime: Runtime, random: number): Route | null {
    if (this.requireTls !== 'NONE') {
      const proto = headers.get('x-forwarded-proto');
      const external = this.requireTls === 'ALL' || headers.get('x-envoy-internal') !== 'true';
      if (proto !== 'https' && external) return (this.sslRedirectRoute ??= this.buildSslRedirectRoute());
    }
    const full = headers.get(':path') ?? '/';
    let pathOnly = pathWithoutQuery(full);
    if (this.table.ignorePathParametersInPathMatching) {
      const semi = pathOnly.indexOf(';');
      if (semi >= 0) pathOnly = pathOnly.slice(0, semi);
    }
    let query: URLSearchParams | undefined;
    const lazyQuery = () => (query ??= parseRawQuery(full));
    for (const route of this.routes) {
      if (route.matches(headers, pathOnly, lazyQuery, runtime, random)) return route;
    }
    return null;
  }

  private buildSslRedirectRoute(): Route {
    const redirect: RedirectAction = { scheme: 'https', pathHasQuery: false, status: 301, stripQuery: false, sslRedirect: true };
    return new Route({ match: { prefix: '' } }, this, `${this.path}.require_tls`, this.context, { kind: 'redirect', redirect });
  }

  virtualClusterFor(headers: HeaderMap): string | undefined {
    for (const vc of this.virtualClusters) if (vc.headers.every((m) => m(headers))) return vc.name;
    return undefined;
  }
}
