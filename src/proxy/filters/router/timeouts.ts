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

/** Envoy's FilterUtility::finalTimeout. */
export function computeTimeouts(forward: ForwardAction, headers: HeaderMap, config: RouterConfig): Timeouts {
  let globalMs = forward.timeoutMs;
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
