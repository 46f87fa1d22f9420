// The CORS filter's config surface beyond the per-route policy: the deprecated
// RouteAction `cors`, a route policy shadowing the legacy fields, and a chain where the
// filter is off by default (HttpFilter `disabled`) and a route turns it on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEcho } from '../../../../src/testing/echo/index.js';
import { CORS_POLICY, FILTER_CONFIG, corsHeaders, preflight, reachedUpstream, send, startCorsProxy } from './helpers.js';

const ORIGIN = 'https://app.example.com';

describe('CORS filter config', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  before(async () => {
    echo = await startEcho({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await echo.close();
  });

  it('reads the deprecated RouteAction cors, and ignores legacy fields once a typed policy applies', async () => {
    const routes = `
virtual_hosts:
- name: vh
  domains: ["*"]
  cors: { allow_origin_string_match: [{ exact: "${ORIGIN}" }], allow_methods: PATCH }
  routes:
  - match: { prefix: "/typed" }
    route:
      cluster: echo
      cors: { allow_origin_string_match: [{ exact: "${ORIGIN}" }], max_age: "5" }
    typed_per_filter_config:
      envoy.filters.http.cors: { "@type": ${CORS_POLICY}, allow_origin_string_match: [{ exact: "https://typed.example" }] }
  - match: { prefix: "/" }
    route:
      cluster: echo
      cors: { allow_origin_string_match: [{ exact: "${ORIGIN}" }], max_age: "5" }`;
    const proxy = await startCorsProxy(routes, echo.port);
    try {
      const port = proxy.port('main');
      // Route `cors` first, then the virtual host's: methods come from the host.
      assert.deepEqual(corsHeaders(await preflight(port, '/', 'a.test', ORIGIN)), {
        'access-control-allow-origin': ORIGIN,
        'access-control-allow-methods': 'PATCH',
        'access-control-max-age': '5',
      });
      const typed = await preflight(port, '/typed', 'a.test', ORIGIN);
      assert.equal(reachedUpstream(typed), true);
      assert.deepEqual(corsHeaders(typed), {});
      assert.deepEqual(corsHeaders(await preflight(port, '/typed', 'a.test', 'https://typed.example')), {
        'access-control-allow-origin': 'https://typed.example',
      });
    } finally {
      await proxy.stop();
    }
  });

  it('HttpFilter disabled: the filter runs only where a route FilterConfig says disabled: false', async () => {
    const chain = `
- name: envoy.filters.http.cors
  disabled: true
  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
- name: envoy.filters.http.router
  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;
    const routes = `
virtual_hosts:
- name: vh
  domains: ["*"]
  typed_per_filter_config:
    envoy.filters.http.cors: { "@type": ${CORS_POLICY}, allow_origin_string_match: [{ exact: "${ORIGIN}" }] }
  routes:
  - match: { prefix: "/on" }
    route: { cluster: echo }
    typed_per_filter_config:
      envoy.filters.http.cors: { "@type": ${FILTER_CONFIG}, disabled: false }
  - match: { prefix: "/" }
    route: { cluster: echo }`;
    const proxy = await startCorsProxy(routes, echo.port, chain);
    try {
      const port = proxy.port('main');
      assert.equal((await send(port, 'GET', '/on', 'a.test', { origin: ORIGIN })).headers['access-control-allow-origin'], ORIGIN);
      assert.deepEqual(corsHeaders(await send(port, 'GET', '/', 'a.test', { origin: ORIGIN })), {});
    } finally {
      await proxy.stop();
    }
  });
});
