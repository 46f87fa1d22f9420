// A route's (or virtual host's) retry_policy, parsed once: which failures to retry,
// how often, with what back-off, and which hosts to avoid.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { durationMs, unwrap } from '../../../api/json/wkt.js';
import { compileHeaderMatchers, type HeaderPredicate } from './header_matcher.js';

/** Envoy's x-envoy-retry-on / retry_on conditions for HTTP. */
export const HTTP_RETRY_ON = [
  '5xx', 'gateway-error', 'reset', 'reset-before-request', 'connect-failure', 'envoy-ratelimited',
  'retriable-4xx', 'refused-stream', 'retriable-status-codes', 'retriable-headers', 'http3-post-connect-failure',
] as const;
/** x-envoy-retry-grpc-on / retry_on conditions for gRPC (checked on grpc-status). */
export const GRPC_RETRY_ON = ['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable'] as const;

export type RetryOn = (typeof HTTP_RETRY_ON)[number] | (typeof GRPC_RETRY_ON)[number];

export function parseRetryOn(text: string): { on: Set<RetryOn>; unknown: string[] } {
  const on = new Set<RetryOn>();
  const unknown: string[] = [];
  for (const raw of text.split(',')) {
    const token = raw.trim();
    if (!token) continue;
    if ((HTTP_RETRY_ON as readonly string[]).includes(token) || (GRPC_RETRY_ON as readonly string[]).includes(token)) on.add(token as RetryOn);
    else unknown.push(token);
  }
  return { on, unknown };
}

export interface RetryPolicy {
  retryOn: Set<RetryOn>;
  numRetries: number;
  perTryTimeoutMs: number;
  perTryIdleTimeoutMs: number;
  baseIntervalMs: number;
  maxIntervalMs: number;
  retriableStatusCodes: Set<number>;
  retriableHeaders: HeaderPredicate[];
  retriableRequestHeaders: HeaderPredicate[];
  /** previous_hosts predicate: avoid hosts already tried. */
  avoidPreviousHosts: boolean;
  hostSelectionRetryMaxAttempts: number;
}

export const NO_RETRY_POLICY: RetryPolicy = {
  retryOn: new Set(),
  numRetries: 1,
  perTryTimeoutMs: 0,
  perTryIdleTimeoutMs: 0,
  baseIntervalMs: 25,
  maxIntervalMs: 250,
  retriableStatusCodes: new Set(),
  retriableHeaders: [],
  retriableRequestHeaders: [],
  avoidPreviousHosts: false,
  hostSelectionRetryMaxAttempts: 1,
};

const PREVIOUS_HOSTS = new Set([
  'envoy.retry_host_predicates.previous_hosts',
  'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
]);

export function compileRetryPolicy(p: envoy.config.route.v3.RetryPolicy | undefined, path: string): RetryPolicy {
  if (!p) return NO_RETRY_POLICY;
  const { on, unknown } = parseRetryOn(p.retry_on ?? '');
  if (unknown.length) {
    throw ConfigError.single(
      `${path}.retry_on`,
      `unknown retry condition(s) ${unknown.map((u) => `"${u}"`).join(', ')}; known: ${[...HTTP_RETRY_ON, ...GRPC_RETRY_ON].join(', ')}`,
      spanOf(p),
    );
  }
  // Whole milliseconds, at least 1 (a sub-millisecond interval rounds up to 1 ms, as in Envoy).
  const ms = (d: Parameters<typeof durationMs>[0]) => (d ? Math.max(1, Math.floor(durationMs(d, 0))) : undefined);
  const baseIntervalMs = ms(p.retry_back_off?.base_interval) ?? 25;
  const maxIntervalMs = ms(p.retry_back_off?.max_interval) ?? baseIntervalMs * 10;
  if (maxIntervalMs < baseIntervalMs) {
    throw ConfigError.single(`${path}.retry_back_off.max_interval`, 'max_interval must be greater than or equal to base_interval', spanOf(p));
  }
  const predicates = p.retry_host_predicate ?? [];
  for (const [i, pred] of predicates.entries()) {
    const id = pred.typed_config?.['@type'] ?? pred.name ?? '';
    if (!PREVIOUS_HOSTS.has(id) && !PREVIOUS_HOSTS.has(pred.name ?? '')) {
      throw ConfigError.single(`${path}.retry_host_predicate[${i}]`, `unsupported retry host predicate "${pred.name ?? id}" (skein supports envoy.retry_host_predicates.previous_hosts)`, spanOf(pred));
    }
  }
  return {
    retryOn: on,
    numRetries: unwrap(p.num_retries, 1),
    perTryTimeoutMs: durationMs(p.per_try_timeout, 0),
    perTryIdleTimeoutMs: durationMs(p.per_try_idle_timeout, 0),
    baseIntervalMs,
    maxIntervalMs,
    retriableStatusCodes: new Set(p.retriable_status_codes ?? []),
    retriableHeaders: compileHeaderMatchers(p.retriable_headers, `${path}.retriable_headers`),
    retriableRequestHeaders: compileHeaderMatchers(p.retriable_request_headers, `${path}.retriable_request_headers`),
    avoidPreviousHosts: predicates.length > 0,
    hostSelectionRetryMaxAttempts: p.host_selection_retry_max_attempts ?? 1,
  };
}
