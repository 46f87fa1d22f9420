// `typed_per_filter_config` of one level of a route configuration (route, virtual host,
// or the configuration itself), compiled when the route table loads. Entries are keyed
// by the filter's name in the HCM chain. A `envoy.config.route.v3.FilterConfig` wrapper
// is unwrapped; its `disabled` says whether the filter runs for requests on that level.
import type { envoy } from '../../../api/envoy-types.generated.js';
import type { AnyMessage } from '../../../api/json/wkt.js';
import { httpFilterRegistry } from '../http_filter_registry.js';
import type { RouteBuildContext } from './route_entry.js';

const FILTER_CONFIG_TYPE = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';

/**
 * The deprecated `cors` of RouteAction and VirtualHost: the CORS filter registers a
 * compiler for this type too, and falls back to these when no level has its own config.
 */
export const LEGACY_CORS_TYPE = 'type.googleapis.com/envoy.config.route.v3.CorsPolicy';

interface Entry {
  /** The compiled config (or the raw message when its filter declares no compiler). */
  config?: unknown;
  /** From a FilterConfig wrapper: true turns the filter off here, false turns it on. */
  disabled?: boolean;
}

export class PerFilterConfigs {
  static readonly EMPTY = new PerFilterConfigs(new Map());

  /** Whether any entry turns a filter on or off (the connection manager then checks per request). */
  readonly hasFilterSwitches: boolean;

  private constructor(private readonly entries: ReadonlyMap<string, Entry>) {
    this.hasFilterSwitches = [...entries.values()].some((e) => e.disabled !== undefined);
  }

  static compile(raw: Record<string, AnyMessage> | undefined, path: string, context: RouteBuildContext): PerFilterConfigs {
    if (!raw || Object.keys(raw).length === 0) return PerFilterConfigs.EMPTY;
    const entries = new Map<string, Entry>();
    for (const [name, message] of Object.entries(raw)) {
      const at = `${path}.typed_per_filter_config["${name}"]`;
      if (message['@type'] === FILTER_CONFIG_TYPE) {
        const wrapper = message as envoy.config.route.v3.FilterConfig;
        const inner = wrapper.config ? compileRouteSpecificConfig(wrapper.config, `${at}.config`, context) : undefined;
        entries.set(name, { config: inner, disabled: wrapper.disabled === true });
      } else {
        entries.set(name, { config: compileRouteSpecificConfig(message, at, context) });
      }
    }
    return new PerFilterConfigs(entries);
  }

  config(filterName: string): unknown {
    return this.entries.get(filterName)?.config;
  }

  /** undefined when this level says nothing about turning the filter on or off. */
  disabled(filterName: string): boolean | undefined {
    return this.entries.get(filterName)?.disabled;
  }
}

/**
 * One route-specific config message through its filter's compiler, if a registered filter
 * declares one for this type; otherwise the message itself (without `@type` stripping,
 * so filters reading raw messages keep working).
 */
export function compileRouteSpecificConfig(message: AnyMessage, path: string, context: RouteBuildContext): unknown {
  const factory = httpFilterRegistry.routeSpecificConfigFactory(message['@type']);
  if (!factory) return message;
  const { '@type': _type, ...fields } = message;
  return factory.create(fields, path, context);
}
