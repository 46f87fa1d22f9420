// envoy.filters.http.cors, per request. Decoding: find the policies for the route, check
// Origin against them (counting origin_valid / origin_invalid), and answer a preflight
// (OPTIONS + Origin + Access-Control-Request-Method) here with 200 and the
// access-control-* headers. Encoding: a response to an allowed cross-origin request
// gets access-control-allow-origin (+ allow-credentials, expose-headers). The preflight
// reply goes back through the encoder chain too, so it gets those as well, as in Envoy.
import { FilterHeadersStatus, type DecoderFilterCallbacks, type StreamDecoderFilter, type StreamEncoderFilter } from '../../http/filter.js';
import { HeaderMap } from '../../http/header_map.js';
import type { Route } from '../../http/route/route_entry.js';
import { randomDraw } from '../../server/runtime.js';
import { CorsPolicy, MergedCorsPolicy } from './policy.js';
import type { CorsStats } from './stats.js';

export const CORS_FILTER_NAME = 'envoy.filters.http.cors';

/** response_code_details of a preflight answered by the filter. */
const CORS_RESPONSE = 'cors_response';

export class CorsFilter implements StreamDecoderFilter, StreamEncoderFilter {
  private cb!: DecoderFilterCallbacks;
  private policy?: MergedCorsPolicy;
  /** The request's Origin when it is allowed: echoed in access-control-allow-origin. */
  private allowedOrigin?: string;

  constructor(private readonly stats: CorsStats) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.cb = callbacks;
  }

  decodeHeaders(headers: HeaderMap): FilterHeadersStatus {
    const route = this.cb.route();
    // Like Envoy, only routes that forward take part: direct responses and redirects are left alone.
    if (!route || route.action.kind !== 'forward') return FilterHeadersStatus.Continue;
    const policies = this.policiesFor(route);
    if (policies.length === 0) return FilterHeadersStatus.Continue;
    const policy = new MergedCorsPolicy(policies);
    const random = randomDraw();
    const enabled = policy.enabled(random);
    const shadowed = !enabled && policy.shadowed(random);
    if (!enabled && !shadowed) return FilterHeadersStatus.Continue;

    const origin = headers.get('origin');
    if (!origin) return FilterHeadersStatus.Continue;
    const allowed = policy.originAllowed(origin);
    if (allowed) {
      this.stats.origin_valid.inc();
      this.allowedOrigin = origin;
    } else this.stats.origin_invalid.inc();
    // Shadow mode: the origin is checked and counted, nothing more.
    if (!enabled) return FilterHeadersStatus.Continue;
    this.policy = policy;

    const requestMethod = headers.get('access-control-request-method');
    if (headers.get(':method') !== 'OPTIONS' || !requestMethod) return FilterHeadersStatus.Continue;
    if (!allowed && policy.forwardNotMatchingPreflights) return FilterHeadersStatus.Continue;
    this.cb.encodeHeaders(this.preflightResponse(policy, headers, requestMethod, allowed ? origin : undefined), true, CORS_RESPONSE);
    return FilterHeadersStatus.StopIteration;
  }

  /**
   * The preflight answer. A disallowed origin (with forward_not_matching_preflights off)
   * still gets 200, but without access-control-allow-origin, so the browser refuses.
   */
  private preflightResponse(policy: MergedCorsPolicy, request: HeaderMap, requestMethod: string, origin: string | undefined): HeaderMap {
    const out = HeaderMap.from({ ':status': '200' });
    if (origin !== undefined) out.set('access-control-allow-origin', origin);
    if (policy.allowCredentials) out.set('access-control-allow-credentials', 'true');
    const methods = policy.allowMethods;
    if (methods) out.set('access-control-allow-methods', methods === '*' ? requestMethod : methods);
    const allowHeaders = policy.allowHeaders;
    if (allowHeaders) {
      // "*" echoes what the browser asked for (a literal "*" is not allowed with credentials).
      const value = allowHeaders === '*' ? (request.get('access-control-request-headers') ?? '') : allowHeaders;
      out.set('access-control-allow-headers', value);
    }
    if (policy.maxAge) out.set('access-control-max-age', policy.maxAge);
    if (policy.allowPrivateNetworkAccess && request.get('access-control-request-private-network') === 'true') {
      out.set('access-control-allow-private-network', 'true');
    }
    return out;
  }

  encodeHeaders(headers: HeaderMap): FilterHeadersStatus {
    const policy = this.policy;
    if (!policy || this.allowedOrigin === undefined) return FilterHeadersStatus.Continue;
    headers.set('access-control-allow-origin', this.allowedOrigin);
    if (policy.allowCredentials) headers.set('access-control-allow-credentials', 'true');
    const expose = policy.exposeHeaders;
    if (expose) headers.set('access-control-expose-headers', expose);
    return FilterHeadersStatus.Continue;
  }

  /**
   * The filter's own per-route policies at every level; only when there are none, the
   * deprecated `cors` of the route and its virtual host (Envoy ignores those otherwise).
   */
  private policiesFor(route: Route): CorsPolicy[] {
    const own = this.cb.perFilterConfigs<unknown>(CORS_FILTER_NAME).filter((p): p is CorsPolicy => p instanceof CorsPolicy);
    if (own.length) return own;
    return [route.legacyCorsPolicy, route.virtualHost.legacyCorsPolicy].filter((p): p is CorsPolicy => p instanceof CorsPolicy);
  }
}
