// The route timeout and per-try timeout for one request, after the trusted
// x-envoy-upstream-rq-timeout-ms / x-envoy-upstream-rq-per-try-timeout-ms headers
// (which the connection manager already stripped from untrusted clients).
import type { HeaderMap } from '../../http/header_map.js';
import type { ForwardAction } from '../../http/route/route_entry.js';
import type { RouterConfig } from './config.js';

export interface Timeouts {
  globalMs: number;
  perTryMs: number;
  /** What x-envoy-expected-rq-timeout-ms tells the upstream (0: no header). */
  expectedMs: number;
}

/** A timeout header's value (absl::SimpleAtoi of a uint64), or undefined if it is not a number. */
function parseMs(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^\s*\+?(\d+)\s*$/.exec(v);
  return m ? Number(m[1]) : undefined;
}

const GRPC_UNITS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** The gRPC wire format of a deadline: up to 8 digits and a unit (H, M, S, m, u, n). */
export function parseGrpcTimeout(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^(\d{1,8})([HMSmun])$/.exec(v.trim());
  return m ? Number(m[1]) * GRPC_UNITS[m[2]!]! : undefined;
}

export function formatGrpcTimeout(ms: number): string {
  return ms >= 100_000_000 ? `${Math.ceil(ms / 1000)}S` : `${Math.ceil(ms)}m`;
}

/** Envoy's FilterUtility::finalTimeout. */
export function computeTimeouts(forward: ForwardAction, headers: HeaderMap, config: RouterConfig): Timeouts {
  let globalMs = forward.timeoutMs;
  // gRPC: with max_stream_duration.grpc_timeout_header_max set, the client's grpc-timeout
  // is the deadline (capped by the max, 0 = no cap), less grpc_timeout_header_offset.
  const isGrpc = (headers.get('content-type') ?? '').startsWith('application/grpc');
  if (isGrpc && forward.grpcTimeoutHeaderMaxMs !== undefined) {
    const requested = parseGrpcTimeout(headers.get('grpc-timeout'));
    if (requested !== undefined) {
      const max = forward.grpcTimeoutHeaderMaxMs;
      let deadline = max > 0 ? Math.min(requested, max) : requested;
      const offset = forward.grpcTimeoutHeaderOffsetMs ?? 0;
      if (offset > 0 && deadline > offset) deadline -= offset;
      globalMs = deadline;
      headers.set('grpc-timeout', formatGrpcTimeout(deadline));
    }
  }
  let perTryMs = forward.retryPolicy.perTryTimeoutMs;
  const expected = config.respectExpectedRqTimeout ? headers.get('x-envoy-expected-rq-timeout-ms') : undefined;
  if (expected !== undefined) {
    // Set by an egress Envoy in front of us; x-envoy-upstream-rq-timeout-ms is left alone.
    globalMs = parseMs(expected) ?? globalMs;
  } else {
    const fromHeader = headers.get('x-envoy-upstream-rq-timeout-ms');
    if (fromHeader !== undefined) {
      globalMs = parseMs(fromHeader) ?? globalMs;
      headers.remove('x-envoy-upstream-rq-timeout-ms');
    }
  }
  const perTryHeader = headers.get('x-envoy-upstream-rq-per-try-timeout-ms');
  if (perTryHeader !== undefined) {
    perTryMs = parseMs(perTryHeader) ?? perTryMs;
    headers.remove('x-envoy-upstream-rq-per-try-timeout-ms');
  }
  // A per-try timeout as long as the whole budget is pointless; Envoy ignores it.
  if (globalMs > 0 && perTryMs >= globalMs) perTryMs = 0;
  const expectedMs = perTryMs > 0 ? perTryMs : globalMs;
  return { globalMs, perTryMs, expectedMs };
}
