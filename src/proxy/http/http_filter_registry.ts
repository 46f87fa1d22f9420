// HTTP filters register here by type URL. A factory validates its config once per
// config update and returns a function making the per-request filter instance.
import { ExtensionRegistry, type ExtensionFactory } from '../extensions/registry.js';
import type { ListenerFactoryContext } from '../server/factory_context.js';
import type { FilterInstance } from './filter.js';
import type { HcmStats } from '../network/http_connection_manager/stats.js';

export interface HttpFilterContext extends ListenerFactoryContext {
  /** The connection manager's stat prefix (`http.<stat_prefix>.`) scope. */
  hcmStats: HcmStats;
  hcmStatPrefix: string;
}

export type FilterInstanceFactory = () => FilterInstance;

export interface HttpFilterFactory extends ExtensionFactory {
  /** The router: must be the last filter, and only it may be. */
  readonly terminal?: boolean;
  createFilterFactory(config: Record<string, unknown>, path: string, context: HttpFilterContext): FilterInstanceFactory;
}

export const httpFilterRegistry = new ExtensionRegistry<HttpFilterFactory>('envoy.filters.http');
