// Per-request retry decisions: the route's retry_policy, overridden by trusted
// x-envoy-retry-on / x-envoy-retry-grpc-on / x-envoy-max-retries headers; which
// responses and resets are retriable; jittered exponential back-off; and the
// retry counters Envoy keeps per cluster.
import type { HeaderMap } from '../../http/header_map.js';
import { parseRetryOn, type RetryOn, type RetryPolicy } from '../../http/route/retry_policy.js';
import type { ClusterInfo } from '../../upstream/cluster_info.js';
import type { ResetReason } from '../../upstream/conn_pool/types.js';

const GRPC_CODES: Partial<Record<RetryOn, number>> = {
  cancelled: 1,
  'deadline-exceeded': 4,
  'resource-exhausted': 8,
  unavailable: 14,
  internal: 13,
};

export type RetryDecision = 'no' | 'retry' | 'limit';

export class RetryState {
  readonly retryOn: Set<RetryOn>;
  private remaining: number;
  private attempts = 0;
  private readonly statusCodes: Set<number>;
  retried = false;

  constructor(
    readonly policy: RetryPolicy,
    requestHeaders: HeaderMap,
    trusted: boolean,
    private readonly cluster: ClusterInfo,
  ) {
    this.retryOn = new Set(policy.retryOn);
    this.remaining = policy.numRetries;
    this.statusCodes = new Set(policy.retriableStatusCodes);
    if (trusted) {
      const on = requestHeaders.get('x-envoy-retry-on');
      if (on) for (const r of parseRetryOn(on).on) this.retryOn.add(r);
      const grpcOn = requestHeaders.get('x-envoy-retry-grpc-on');
      if (grpcOn) for (const r of parseRetryOn(grpcOn).on) this.retryOn.add(r);
      const max = requestHeaders.get('x-envoy-max-retries');
      if (max !== undefined && /^\d+$/.test(max)) this.remaining = Number(max);
      const codes = requestHeaders.get('x-envoy-retriable-status-codes');
      if (codes) for (const c of codes.split(',')) if (/^\d+$/.test(c.trim())) this.statusCodes.add(Number(c.trim()));
    }
    for (const h of ['x-envoy-retry-on', 'x-envoy-retry-grpc-on', 'x-envoy-max-retries', 'x-envoy-retriable-status-codes']) requestHeaders.remove(h);
  }

  /** Does the request carry any retry header (to honour or strip)? */
  static requested(headers: HeaderMap): boolean {
    return headers.has('x-envoy-retry-on') || headers.has('x-envoy-retry-grpc-on') || headers.has('x-envoy-max-retries') || headers.has('x-envoy-retriable-status-codes');
  }

  get enabled(): boolean {
    return this.retryOn.size > 0 && this.remaining > 0;
  }

  /** Would this response be retried if budget allowed? */
  private retriableResponse(status: number, headers: HeaderMap): boolean {
    const on = this.retryOn;
    if (on.has('5xx') && status >= 500) return true;
    if (on.has('gateway-error') && (status === 502 || status === 503 || status === 504)) return true;
    if (on.has('retriable-4xx') && status === 409) return true;
    if (on.has('retriable-status-codes') && this.statusCodes.has(status)) return true;
    if (on.has('envoy-ratelimited') && headers.has('x-envoy-ratelimited')) return true;
    if (on.has('retriable-headers') && this.policy.retriableHeaders.some((m) => m(headers))) return true;
    const grpc = headers.get('grpc-status');
    if (grpc !== undefined) {
      const code = Number(grpc);
      for (const [cond, c] of Object.entries(GRPC_CODES)) if (c === code && on.has(cond as RetryOn)) return true;
    }
    return false;
  }

  private retriableReset(reason: ResetReason | 'per_try_timeout'): boolean {
    const on = this.retryOn;
    if (on.has('reset') || on.has('5xx') || on.has('gateway-error')) return true;
    if (reason === 'per_try_timeout') return false;
    if (on.has('connect-failure') && reason === 'connection_failure') return true;
    if (on.has('refused-stream') && reason === 'remote_refused_stream_reset') return true;
    if (on.has('reset-before-request') && reason === 'connection_failure') return true;
    return false;
  }

  onResponse(status: number, headers: HeaderMap): RetryDecision {
    if (!this.retriableResponse(status, headers)) return 'no';
    return this.consume();
  }

  onReset(reason: ResetReason | 'per_try_timeout'): RetryDecision {
    if (!this.retriableReset(reason)) return 'no';
    return this.consume();
  }

  private consume(): RetryDecision {
    if (this.remaining <= 0) {
      this.cluster.stats.upstream_rq_retry_limit_exceeded.inc();
      return 'limit';
    }
    if (this.cluster.activeRetries >= this.cluster.limits.maxRetries) {
      this.cluster.stats.upstream_rq_retry_overflow.inc();
      return 'limit';
    }
    this.remaining--;
    this.attempts++;
    this.retried = true;
    this.cluster.stats.upstream_rq_retry.inc();
    this.cluster.stats.upstream_rq_retry_backoff_exponential.inc();
    return 'retry';
  }

  /** Jittered exponential back-off: uniform in [0, min(base·(2^n − 1), max)]. */
  backoffMs(): number {
    const { baseIntervalMs, maxIntervalMs } = this.policy;
    const ceiling = Math.min(baseIntervalMs * (2 ** this.attempts - 1), maxIntervalMs);
    return Math.random() * ceiling;
  }

  /** A retried request finally got a non-retriable answer. */
  onSuccessAfterRetry(): void {
    if (this.retried) this.cluster.stats.upstream_rq_retry_success.inc();
  }
}
