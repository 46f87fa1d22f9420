// The per-route policies of a VirtualService HTTP rule: retries (with Istio's default
// when none is given), header operations, mirroring, fault injection and CORS.
import type { HeaderOperations, HTTPRoute } from '../../api/istio/types.js';
import type { TranslateContext } from './context.js';
import { CORS_POLICY_TYPE, FAULT_TYPE, PREVIOUS_HOSTS_TYPE, PREVIOUS_PRIORITIES_TYPE, protoDuration, typed, type Json } from './envoy.js';
import { stringMatcher } from './route_match.js';
import type { ConfigObject } from '../../api/istio/types.js';

type Owner = Pick<ConfigObject, 'kind' | 'metadata' | 'source'>;

const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes';

/** Istio's retry policy when a rule sets no `retries` (seed 003's route JSON). */
export function defaultRetryPolicy(): Json {
  return {
    retry_on: DEFAULT_RETRY_ON,
    num_retries: 2,
    retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: typed(PREVIOUS_HOSTS_TYPE) }],
    host_selection_retry_max_attempts: 5,
    retriable_status_codes: [503],
  };
}

/** `retries` → RetryPolicy; undefined when retries are switched off (attempts 0). */
export function retryPolicy(ctx: TranslateContext, retries: HTTPRoute['retries'], owner: Owner): Json | undefined {
  if (!retries) return defaultRetryPolicy();
  if (!retries.attempts || retries.attempts <= 0) return undefined;
  const out = defaultRetryPolicy();
  out.num_retries = retries.attempts;
  if (retries.retryOn) {
    const policies: string[] = [];
    const codes: number[] = [];
    for (const part of retries.retryOn.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (/^\d{3}$/.test(part)) codes.push(Number(part));
      else policies.push(part);
    }
    if (codes.length) {
      out.retriable_status_codes = codes;
      if (!policies.includes('retriable-status-codes')) policies.push('retriable-status-codes');
    }
    out.retry_on = policies.join(',');
  }
  if (retries.perTryTimeout !== undefined) {
    const d = protoDuration(retries.perTryTimeout);
    if (d) out.per_try_timeout = d;
    else ctx.warn(owner, `retries.perTryTimeout "${retries.perTryTimeout}" is not a duration; ignored`);
  }
  if (retries.retryRemoteLocalities) {
    out.retry_priority = { name: 'envoy.retry_priorities.previous_priorities', typed_config: typed(PREVIOUS_PRIORITIES_TYPE, { update_frequency: 2 }) };
  }
  return out;
}

export interface HeaderMutations {
  request_headers_to_add?: Json[];
  request_headers_to_remove?: string[];
  response_headers_to_add?: Json[];
  response_headers_to_remove?: string[];
  /** A `set` of the Host/:authority header: a host rewrite, not a header to add. */
  hostRewrite?: string;
}

function addAll(ops: HeaderOperations | undefined, forRequest: boolean, out: { add: Json[]; remove: string[]; host?: string }): void {
  if (!ops) return;
  const sorted = (r: Record<string, string> | undefined) => Object.entries(r ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [key, value] of sorted(ops.set)) {
    if (typeof value !== 'string') continue;
    const lower = key.toLowerCase();
    if (forRequest && (lower === 'host' || lower === ':authority')) {
      out.host = value;
      continue;
    }
    out.add.push({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' });
  }
  for (const [key, value] of sorted(ops.add)) if (typeof value === 'string') out.add.push({ header: { key, value }, append_action: 'APPEND_IF_EXISTS_OR_ADD' });
  for (const key of ops.remove ?? []) if (typeof key === 'string') out.remove.push(key);
}

/** Header operations of a rule (or of one weighted destination) as Envoy fields. */
export function headerMutations(headers: HTTPRoute['headers']): HeaderMutations {
  const req = { add: [] as Json[], remove: [] as string[], host: undefined as string | undefined };
  const res = { add: [] as Json[], remove: [] as string[] };
  addAll(headers?.request, true, req);
  addAll(headers?.response, false, res);
  const out: HeaderMutations = {};
  if (req.add.length) out.request_headers_to_add = req.add;
  if (req.remove.length) out.request_headers_to_remove = req.remove;
  if (res.add.length) out.response_headers_to_add = res.add;
  if (res.remove.length) out.response_headers_to_remove = res.remove;
  if (req.host !== undefined) out.hostRewrite = req.host;
  return out;
}

/** A mirror percentage (0-100, fractional) as Envoy's RuntimeFractionalPercent. */
export function mirrorFraction(percent: number | undefined): Json {
  if (percent === undefined) return { default_value: { numerator: 100 } };
  return { default_value: { numerator: Math.round(percent * 10000), denominator: 'MILLION' } };
}

/** An Istio percentage as FractionalPercent per million (proto3 JSON leaves a zero numerator out). */
function perMillion(percent: number): Json {
  const numerator = Math.round(percent * 10000);
  return numerator ? { numerator, denominator: 'MILLION' } : { denominator: 'MILLION' };
}

/** Istio's names for gRPC status codes (grpc.SupportedGRPCStatus). */
const GRPC_STATUS: Record<string, number> = {
  OK: 0, CANCELLED: 1, UNKNOWN: 2, INVALID_ARGUMENT: 3, DEADLINE_EXCEEDED: 4, NOT_FOUND: 5, ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7, RESOURCE_EXHAUSTED: 8, FAILED_PRECONDITION: 9, ABORTED: 10, OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12, INTERNAL: 13, UNAVAILABLE: 14, DATA_LOSS: 15, UNAUTHENTICATED: 16,
};

/**
 * `fault` → the per-route config of envoy.filters.http.fault, as Istio writes it: a delay
 * without `percentage` falls back to the legacy integer `percent` (0 when absent), an abort
 * without one carries none — either way Envoy then injects nothing.
 */
export function faultConfig(ctx: TranslateContext, fault: NonNullable<HTTPRoute['fault']>, owner: Owner): Json | undefined {
  const out: Json = {};
  if (fault.delay) {
    const d = protoDuration(fault.delay.fixedDelay);
    if (d) out.delay = { fixed_delay: d, percentage: perMillion(fault.delay.percentage?.value ?? fault.delay.percent ?? 0) };
    else ctx.warn(owner, `fault.delay.fixedDelay "${String(fault.delay.fixedDelay)}" is not a duration; delay ignored`);
  }
  if (fault.abort) {
    const abort: Json = {};
    if (fault.abort.httpStatus !== undefined) abort.http_status = fault.abort.httpStatus;
    else if (fault.abort.grpcStatus !== undefined) {
      const code = GRPC_STATUS[fault.abort.grpcStatus];
      if (code === undefined) ctx.warn(owner, `fault.abort.grpcStatus "${fault.abort.grpcStatus}" is not a gRPC status name; abort ignored`);
      else abort.grpc_status = code;
    }
    if (Object.keys(abort).length) {
      if (fault.abort.percentage) abort.percentage = perMillion(fault.abort.percentage.value);
      out.abort = abort;
    }
  }
  if (!out.delay && !out.abort) return undefined;
  return typed(FAULT_TYPE, out);
}

/**
 * `corsPolicy` → the per-route config of envoy.filters.http.cors. Like Istio, the policy
 * says explicitly that it is on (so a broader level cannot switch it off) and whether
 * non-matching preflights go upstream (unmatchedPreflights IGNORE: the proxy answers them).
 */
export function corsConfig(cors: NonNullable<HTTPRoute['corsPolicy']>): Json {
  const out: Json = {
    filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
    forward_not_matching_preflights: cors.unmatchedPreflights !== 'IGNORE',
  };
  const origins = (cors.allowOrigins ?? []).map((o) => stringMatcher(o)).filter((x): x is Json => x !== undefined);
  if (origins.length) out.allow_origin_string_match = origins;
  if (cors.allowMethods?.length) out.allow_methods = cors.allowMethods.join(',');
  if (cors.allowHeaders?.length) out.allow_headers = cors.allowHeaders.join(',');
  if (cors.exposeHeaders?.length) out.expose_headers = cors.exposeHeaders.join(',');
  const maxAge = protoDuration(cors.maxAge);
  if (maxAge) out.max_age = String(Math.floor(Number(maxAge.slice(0, -1))));
  if (cors.allowCredentials !== undefined) out.allow_credentials = cors.allowCredentials;
  return typed(CORS_POLICY_TYPE, out);
}
