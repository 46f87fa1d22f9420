// A virtual host: its domains, its routes in order, and settings routes inherit.
import type { envoy } from '../../../api/envoy-types.generated.js';
import type { AnyMessage } from '../../../api/json/wkt.js';
import type { Runtime } from '../../server/runtime.js';
import type { HeaderMap } from '../header_map.js';
import { compileHeaderMatchers, type HeaderPredicate } from './header_matcher.js';
import { HeaderMutations } from './header_mutations.js';
import { compileRetryPolicy, type RetryPolicy } from './retry_policy.js';
import { Route, type RouteBuildContext } from './route_entry.js';
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
  private readonly perFilter: Record<string, AnyMessage>;

  constructor(
    readonly config: envoy.config.route.v3.VirtualHost,
    readonly table: RouteTable,
    readonly path: string,
    context: RouteBuildContext,
  ) {
    this.name = config.name ?? '';
    this.domains = (config.domains ?? []).map((d) => d.toLowerCase());
    this.requestHeaders = HeaderMutations.compile(config.request_headers_to_add, config.request_headers_to_remove, path, 'request_headers_to_add');
    this.responseHeaders = HeaderMutations.compile(config.response_headers_to_add, config.response_headers_to_remove, path, 'response_headers_to_add');
    this.retryPolicy = config.retry_policy ? compileRetryPolicy(config.retry_policy, `${path}.retry_policy`) : undefined;
    this.includeRequestAttemptCount = config.include_request_attempt_count === true;
    this.includeAttemptCountInResponse = config.include_attempt_count_in_response === true;
    this.requireTls = (config.require_tls as 'NONE' | 'EXTERNAL_ONLY' | 'ALL' | undefined) ?? 'NONE';
    this.virtualClusters = (config.virtual_clusters ?? []).map((vc, i) => ({
      name: vc.name ?? '',
      headers: compileHeaderMatchers(vc.headers, `${path}.virtual_clusters[${i}].headers`),
    }));
    this.perFilter = config.typed_per_filter_config ?? {};
    this.routes = (config.routes ?? []).map((r, i) => new Route(r, this, `${path}.routes[${i}]`, context));
  }

  perFilterConfig(filterName: string): AnyMessage | undefined {
    return this.perFilter[filterName] ?? this.table.perFilterConfig(filterName);
  }

  findRoute(headers: HeaderMap, runtime: Runtime, random: number): Route | null {
    const full = headers.get(':path') ?? '/';
    const q = full.indexOf('?');
    const pathOnly = q >= 0 ? full.slice(0, q) : full;
    let query: URLSearchParams | undefined;
    const lazyQuery = () => (query ??= new URLSearchParams(q >= 0 ? full.slice(q + 1) : ''));
    for (const route of this.routes) {
      if (route.matches(headers, full, pathOnly, lazyQuery, runtime, random)) return route;
    }
    return null;
  }

  virtualClusterFor(headers: HeaderMap): string | undefined {
    for (const vc of this.virtualClusters) if (vc.headers.every((m) => m(headers))) return vc.name;
    return undefined;
  }
}
