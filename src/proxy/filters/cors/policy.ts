// One CorsPolicy (envoy.extensions.filters.http.cors.v3.CorsPolicy, or the deprecated
// route-level envoy.config.route.v3.CorsPolicy of the same shape), compiled once when
// the route configuration loads, and the field-by-field merge of the policies that
// apply to a request.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { unwrap } from '../../../api/json/wkt.js';
import { compileStringMatchers, type StringPredicate } from '../../common/matchers.js';
import type { FractionalPercent, Runtime } from '../../server/runtime.js';

type CorsPolicyProto = envoy.extensions.filters.http.cors.v3.CorsPolicy;
type RuntimeFraction = envoy.config.core.v3.RuntimeFractionalPercent;

/** An unset proto3 string is "", which Envoy reads as "not configured at this level". */
const nonEmpty = (s: string | undefined): string | undefined => (s ? s : undefined);

export class CorsPolicy {
  /** Empty: this level does not say which origins are allowed. */
  readonly allowOrigins: StringPredicate[];
  readonly allowMethods?: string;
  readonly allowHeaders?: string;
  readonly exposeHeaders?: string;
  readonly maxAge?: string;
  readonly allowCredentials?: boolean;
  readonly allowPrivateNetworkAccess?: boolean;
  readonly forwardNotMatchingPreflights?: boolean;
  private readonly filterEnabled?: { key?: string; fallback?: FractionalPercent };
  private readonly shadowEnabled?: { key?: string; fallback?: FractionalPercent };

  constructor(
    config: CorsPolicyProto,
    path: string,
    private readonly runtime: Runtime,
  ) {
    this.allowOrigins = compileStringMatchers(config.allow_origin_string_match, `${path}.allow_origin_string_match`);
    this.allowMethods = nonEmpty(config.allow_methods);
    this.allowHeaders = nonEmpty(config.allow_headers);
    this.exposeHeaders = nonEmpty(config.expose_headers);
    this.maxAge = nonEmpty(config.max_age);
    this.allowCredentials = optionalBool(config.allow_credentials);
    this.allowPrivateNetworkAccess = optionalBool(config.allow_private_network_access);
    this.forwardNotMatchingPreflights = optionalBool(config.forward_not_matching_preflights);
    this.filterEnabled = fraction(config.filter_enabled);
    this.shadowEnabled = fraction(config.shadow_enabled);
  }

  /** filter_enabled: on for every request unless configured otherwise. */
  enabled(random: number): boolean {
    return this.filterEnabled ? this.runtime.fractionEnabled(this.filterEnabled.key, this.filterEnabled.fallback, random) : true;
  }

  /** shadow_enabled: evaluate and count, but do not act (only when filter_enabled is off). */
  shadowed(random: number): boolean {
    return this.shadowEnabled ? this.runtime.fractionEnabled(this.shadowEnabled.key, this.shadowEnabled.fallback, random) : false;
  }
}

/** A BoolValue: undefined when absent (the next level decides), else its value. */
function optionalBool(v: CorsPolicyProto['allow_credentials']): boolean | undefined {
  return v ? unwrap(v, false) : undefined;
}

function fraction(f: RuntimeFraction | undefined): { key?: string; fallback?: FractionalPercent } | undefined {
  return f ? { key: nonEmpty(f.runtime_key), fallback: f.default_value } : undefined;
}

/**
 * The policies for one request, most specific first (route, virtual host, route
 * configuration). Like Envoy, each setting comes from the most specific policy that
 * sets it; whether CORS is on at all is the most specific policy's call.
 */
export class MergedCorsPolicy {
  constructor(private readonly policies: readonly CorsPolicy[]) {}

  private first<T>(pick: (p: CorsPolicy) => T | undefined): T | undefined {
    for (const p of this.policies) {
      const v = pick(p);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** "*" as a configured origin pattern (e.g. exact "*" or an empty prefix) allows every origin. */
  originAllowed(origin: string): boolean {
    const matchers = this.policies.find((p) => p.allowOrigins.length > 0)?.allowOrigins ?? [];
    return matchers.some((m) => m('*') || m(origin));
  }

  get allowMethods(): string | undefined {
    return this.first((p) => p.allowMethods);
  }
  get allowHeaders(): string | undefined {
    return this.first((p) => p.allowHeaders);
  }
  get exposeHeaders(): string | undefined {
    return this.first((p) => p.exposeHeaders);
  }
  get maxAge(): string | undefined {
    return this.first((p) => p.maxAge);
  }
  get allowCredentials(): boolean {
    return this.first((p) => p.allowCredentials) ?? false;
  }
  get allowPrivateNetworkAccess(): boolean {
    return this.first((p) => p.allowPrivateNetworkAccess) ?? false;
  }
  get forwardNotMatchingPreflights(): boolean {
    return this.first((p) => p.forwardNotMatchingPreflights) ?? true;
  }
  enabled(random: number): boolean {
    return this.policies[0]?.enabled(random) ?? false;
  }
  shadowed(random: number): boolean {
    return this.policies[0]?.shadowed(random) ?? false;
  }
}
