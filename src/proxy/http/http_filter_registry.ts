// HTTP filters register here by type URL. A factory validates its config once per
// config update and returns a function making the per-request filter instance.
import { ExtensionRegistry, type ExtensionFactory } from '../extensions/registry.js';
import type { ListenerFactoryContext } from '../server/factory_context.js';
import type { FilterInstance } from './filter.js';
import type { HcmStats } from '../network/http_connection_manager/stats.js';
import type { RouteBuildContext } from './route/route_entry.js';

export interface HttpFilterContext extends ListenerFactoryContext {
  /** The connection manager's stat prefix (`http.<stat_prefix>.`) scope. */
  hcmStats: HcmStats;
  hcmStatPrefix: string;
}

export type FilterInstanceFactory = () => FilterInstance;

/**
 * How a filter's route-specific config (`typed_per_filter_config`) is compiled. Route
 * tables call it once per load, so a bad per-route config is rejected with its path
 * (and an xDS update NACKed) like any other config error, and filters get a ready
 * object per request instead of re-reading the message.
 */
export interface RouteSpecificConfigFactory {
  /** The per-route message types, e.g. `...cors.v3.CorsPolicy`. */
  readonly typeUrls: readonly string[];
  /** `config` is the message without its `@type`; the result is what perFilterConfig() returns. */
  create(config: Record<string, unknown>, path: string, context: RouteBuildContext): unknown;
}

export interface HttpFilterFactory extends ExtensionFactory {
  /** The router: must be the last filter, and only it may be. */
  readonly terminal?: boolean;
  createFilterFactory(config: Record<string, unknown>, path: string, context: HttpFilterContext): FilterInstanceFactory;
  /** Filters whose per-route config needs compiling; without it the raw message is passed on. */
  readonly routeSpecificConfig?: RouteSpecificConfigFactory;
}

class HttpFilterRegistry extends ExtensionRegistry<HttpFilterFactory> {
  private readonly routeSpecific = new Map<string, RouteSpecificConfigFactory>();

  override register(factory: HttpFilterFactory): HttpFilterFactory {
    for (const url of factory.routeSpecificConfig?.typeUrls ?? []) this.routeSpecific.set(url, factory.routeSpecificConfig!);
    return super.register(factory);
  }

  /** The compiler for a per-route config type, if a registered filter declares one. */
  routeSpecificConfigFactory(typeUrl: string): RouteSpecificConfigFactory | undefined {
    return this.routeSpecific.get(typeUrl);
  }
}

export const httpFilterRegistry = new HttpFilterRegistry('envoy.filters.http');
