// retry_policy parsing: conditions, defaults, back-off, host predicates, inheritance.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryOn, type RetryPolicy } from '../../../../src/proxy/http/route/retry_policy.js';
import { assertRejected, request, table } from './fixtures.js';

function policyOf(routeRetry: string | undefined, vhostRetry?: string): RetryPolicy {
  const t = table(`
virtual_hosts:
- name: vh
  domains: ["*"]
  ${vhostRetry ? `retry_policy: { ${vhostRetry} }` : ''}
  routes:
  - match: { prefix: "/" }
    route: { cluster: c ${routeRetry ? `, retry_policy: { ${routeRetry} }` : ''} }
`);
  return t.route(request('a', '/'))!.forward()!.retryPolicy;
}

describe('retry_policy', () => {
  it('parses retry_on into conditions, HTTP and gRPC alike', () => {
    const p = policyOf('retry_on: "5xx, connect-failure,refused-stream,retriable-status-codes,unavailable"');
    assert.deepEqual([...p.retryOn].sort(), ['5xx', 'connect-failure', 'refused-stream', 'retriable-status-codes', 'unavailable']);
  });

  it('rejects an unknown condition, naming it and listing the known ones', () => {
    const err = assertRejected(() => policyOf('retry_on: "5xx,connect-failures"'), /unknown retry condition\(s\) "connect-failures"; known: 5xx, gateway-error/);
    assert.equal(err.issues[0]!.path, 'route_config.virtual_hosts[0].routes[0].route.retry_policy.retry_on');
  });

  it('defaults: 1 retry, no per-try timeout, 25 ms base and 250 ms max back-off', () => {
    const p = policyOf('retry_on: 5xx');
    assert.equal(p.numRetries, 1);
    assert.equal(p.perTryTimeoutMs, 0);
    assert.equal(p.baseIntervalMs, 25);
    assert.equal(p.maxIntervalMs, 250);
    assert.equal(p.avoidPreviousHosts, false);
  });

  it('max_interval defaults to 10 × base_interval', () => {
    const p = policyOf('retry_on: 5xx, retry_back_off: { base_interval: 0.1s }');
    assert.equal(p.baseIntervalMs, 100);
    assert.equal(p.maxIntervalMs, 1000);
  });

  it('rounds sub-millisecond intervals up to 1 ms', () => {
    const p = policyOf('retry_on: 5xx, retry_back_off: { base_interval: 0.0001s, max_interval: 0.0002s }');
    assert.equal(p.baseIntervalMs, 1);
    assert.equal(p.maxIntervalMs, 1);
  });

  it('rejects max_interval below base_interval', () => {
    assertRejected(() => policyOf('retry_on: 5xx, retry_back_off: { base_interval: 1s, max_interval: 0.5s }'), /max_interval must be greater than or equal to base_interval/);
  });

  it('reads num_retries, per_try_timeout and retriable_status_codes', () => {
    const p = policyOf('retry_on: retriable-status-codes, num_retries: 4, per_try_timeout: 0.25s, retriable_status_codes: [409, 503]');
    assert.equal(p.numRetries, 4);
    assert.equal(p.perTryTimeoutMs, 250);
    assert.deepEqual([...p.retriableStatusCodes], [409, 503]);
  });

  it('accepts the previous_hosts host predicate (by name or typed_config)', () => {
    assert.equal(policyOf('retry_on: 5xx, retry_host_predicate: [{ name: envoy.retry_host_predicates.previous_hosts }]').avoidPreviousHosts, true);
    const typed = policyOf(
      'retry_on: 5xx, host_selection_retry_max_attempts: 3, retry_host_predicate: [{ name: p, typed_config: { "@type": type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate } }]',
    );
    assert.equal(typed.avoidPreviousHosts, true);
    assert.equal(typed.hostSelectionRetryMaxAttempts, 3);
  });

  it('rejects a host predicate skein does not implement', () => {
    assertRejected(() => policyOf('retry_on: 5xx, retry_host_predicate: [{ name: envoy.retry_host_predicates.omit_canary_hosts }]'), /unsupported retry host predicate/);
  });

  it('a route without a policy inherits the virtual host one; its own policy replaces it', () => {
    assert.equal(policyOf(undefined, 'retry_on: reset, num_retries: 7').numRetries, 7);
    assert.equal(policyOf('retry_on: 5xx', 'retry_on: reset, num_retries: 7').numRetries, 1);
  });

  it('with no policy anywhere there is an empty one (request headers can still ask for retries)', () => {
    const p = policyOf(undefined);
    assert.equal(p.retryOn.size, 0);
    assert.equal(p.numRetries, 1);
  });

  it('parseRetryOn reports unknown tokens of an x-envoy-retry-on header instead of throwing', () => {
    assert.deepEqual(parseRetryOn('5xx,bogus, reset'), { on: new Set(['5xx', 'reset']), unknown: ['bogus'] });
  });
});
