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

function headerMs(headers: HeaderMap, name: string): number | undefined {
  const v = headers.get(name);
  headers.remove(name);
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

export function computeTimeouts(forward: ForwardAction, headers: HeaderMap, config: RouterConfig): Timeouts {
  let globalMs = forward.timeoutMs;
  let perTryMs = forward.retryPolicy?.perTryTimeoutMs ?? 0;
  const fromHeader = headerMs(headers, 'x-envoy-upstream-rq-timeout-ms');
  if (fromHeader !== undefined) globalMs = fromHeader;
  const perTryHeader = headerMs(headers, 'x-envoy-upstream-rq-per-try-timeout-ms');
  if (perTryHeader !== undefined) perTryMs = perTryHeader;
  if (config.respectExpectedRqTimeout) {
    const expected = headers.get('x-envoy-expected-rq-timeout-ms');
    if (expected !== undefined && /^\d+$/.test(expected)) globalMs = Number(expected);
  }
  // A per-try timeout longer than the whole budget is pointless; Envoy ignores it.
  if (globalMs > 0 && perTryMs >= globalMs) perTryMs = 0;
  const expectedMs = perTryMs > 0 ? perTryMs : globalMs;
  return { globalMs, perTryMs, expectedMs };
}
