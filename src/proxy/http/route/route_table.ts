// A RouteConfiguration compiled for lookups: virtual host by :authority with Envoy's
// precedence (exact, then longest `*.suffix`, then longest `prefix*`, then `*`), then
// the first route of that host whose match succeeds.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import type { HeaderMap } from '../header_map.js';
import { HeaderMutations } from './header_mutations.js';
import { PerFilterConfigs } from './per_filter_config.js';
import type { Route, RouteBuildContext } from './route_entry.js';
import { VirtualHost } from './virtual_host.js';

export class RouteTable {
  readonly name: string;
  readonly virtualHosts: VirtualHost[];
  readonly requestHeaders: HeaderMutations;
  readonly responseHeaders: HeaderMutations;
  readonly internalOnlyHeaders: string[];
  readonly ignorePortInHostMatching: boolean;
  readonly mostSpecificHeaderMutationsWins: boolean;
  readonly ignorePathParametersInPathMatching: boolean;
  private readonly exact = new Map<string, VirtualHost>();
  private readonly suffixes: Array<[string, VirtualHost]> = [];
  private readonly prefixes: Array<[string, VirtualHost]> = [];
  private defaultHost?: VirtualHost;
  readonly perFilter: PerFilterConfigs;
  /** Some level turns a filter on or off with a FilterConfig `disabled` (see ActiveStream). */
  readonly hasFilterSwitches: boolean;

  constructor(
    readonly config: envoy.config.route.v3.RouteConfiguration,
    readonly context: RouteBuildContext,
    readonly path = 'route_config',
  ) {
    this.name = config.name ?? '';
    this.requestHeaders = HeaderMutations.compile(config.request_headers_to_add, config.request_headers_to_remove, path, 'request_headers_to_add');
    this.responseHeaders = HeaderMutations.compile(config.response_headers_to_add, config.response_headers_to_remove, path, 'response_headers_to_add');
    this.internalOnlyHeaders = (config.internal_only_headers ?? []).map((h) => h.toLowerCase());
    this.ignorePortInHostMatching = config.ignore_port_in_host_matching === true;
    this.mostSpecificHeaderMutationsWins = config.most_specific_header_mutations_wins === true;
    this.ignorePathParametersInPathMatching = config.ignore_path_parameters_in_path_matching === true;
    this.perFilter = PerFilterConfigs.compile(config.typed_per_filter_config, path, context);
    this.virtualHosts = (config.virtual_hosts ?? []).map((vh, i) => new VirtualHost(vh, this, `${path}.virtual_hosts[${i}]`, context));
    this.hasFilterSwitches = this.perFilter.hasFilterSwitches || this.virtualHosts.some((vh) => vh.hasFilterSwitches);
    const seen = new Map<string, string>();
    this.virtualHosts.forEach((vh, i) => {
      const where = `${path}.virtual_hosts[${i}].domains`;
      for (const domain of vh.domains) {
        const previous = seen.get(domain);
        if (previous !== undefined) {
          const what = domain === '*' ? 'only a single wildcard domain "*" is permitted' : `domain "${domain}" must be unique`;
          throw ConfigError.single(where, `${what} in route configuration "${this.name}": it appears in virtual hosts "${previous}" and "${vh.name}"`, spanOf(vh.config));
        }
        seen.set(domain, vh.name);
        if (domain === '*') this.defaultHost = vh;
        else if (domain.startsWith('*')) this.suffixes.push([domain.slice(1), vh]);
        else if (domain.endsWith('*')) this.prefixes.push([domain.slice(0, -1), vh]);
        else if (domain.includes('*')) {
          throw ConfigError.single(where, `domain "${domain}": a wildcard "*" may only be the first or last character`, spanOf(vh.config));
        } else this.exact.set(domain, vh);
      }
    });
    // Longer wildcards are more specific and win (stable sort keeps config order on ties).
    this.suffixes.sort((a, b) => b[0].length - a[0].length);
    this.prefixes.sort((a, b) => b[0].length - a[0].length);
  }

  findVirtualHost(authority: string | undefined): VirtualHost | undefined {
    // Only a default virtual host: it takes everything, even a request without a host.
    if (this.exact.size === 0 && this.suffixes.length === 0 && this.prefixes.length === 0) return this.defaultHost;
    if (authority === undefined) return undefined;
    let host = authority.toLowerCase();
    if (this.ignorePortInHostMatching) host = stripPort(host);
    const exact = this.exact.get(host);
    if (exact) return exact;
    // ">": "*.foo.com" must not match ".foo.com" itself.
    for (const [suffix, vh] of this.suffixes) if (host.length > suffix.length && host.endsWith(suffix)) return vh;
    for (const [prefix, vh] of this.prefixes) if (host.length > prefix.length && host.startsWith(prefix)) return vh;
    return this.defaultHost;
  }

  /** The route for a request, or null (→ 404 NR). `random` drives runtime fractions. */
  route(headers: HeaderMap, random = Math.floor(Math.random() * 1_000_000)): Route | null {
    const vh = this.findVirtualHost(headers.get(':authority'));
    if (!vh) return null;
    return vh.findRoute(headers, this.context.runtime, random);
  }
}

/** Where the port of a host header starts (Envoy's HeaderUtility::getPortStart), or -1. */
export function portStart(host: string): number {
  const colon = host.lastIndexOf(':');
  if (colon < 0) return -1;
  const v6End = host.lastIndexOf(']');
  return v6End < 0 || v6End < colon ? colon : -1;
}

/** The host without its port ("[::1]:80" → "[::1]", "a.com:8080" → "a.com"). */
export function stripPort(host: string): string {
  const at = portStart(host);
  return at >= 0 ? host.slice(0, at) : host;
}
