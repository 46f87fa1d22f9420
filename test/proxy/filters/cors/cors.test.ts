// envoy.filters.http.cors through a real proxy: preflights answered (or forwarded),
// response headers on allowed cross-origin requests, origin matchers, per-level merging,
// per-route switches and the origin_valid / origin_invalid stats.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startEcho } from '../../../../src/testing/echo/index.js';
import { adminStat } from '../../../helpers/admin.js';
import type { RunningProxy } from '../../../helpers/proxy.js';
import { CORS_POLICY, FILTER_CONFIG, corsHeaders, preflight, reachedUpstream, send, startCorsProxy } from './helpers.js';

const ROUTES = `
name: local
virtual_hosts:
- name: api
  domains: ["api.test"]
  typed_per_filter_config:
    envoy.filters.http.cors:
      "@type": ${CORS_POLICY}
      allow_origin_string_match:
      - exact: https://app.example.com
      - prefix: https://dev.
      - safe_regex: { regex: "https://[a-z]+\\\\.corp\\\\.example" }
      - suffix: .partner.org
        ignore_case: true
      allow_methods: GET,POST,PUT
      allow_headers: content-type,x-custom
      expose_headers: x-trace-id,x-cost
      max_age: "600"
      allow_credentials: true
  routes:
  - match: { prefix: "/off" }
    route: { cluster: echo }
    typed_per_filter_config:
      envoy.filters.http.cors:
        "@type": ${CORS_POLICY}
        filter_enabled: { default_value: { numerator: 0 } }
  - match: { prefix: "/switched-off" }
    route: { cluster: echo }
    typed_per_filter_config:
      envoy.filters.http.cors: { "@type": ${FILTER_CONFIG}, disabled: true }
  - match: { prefix: "/wildcards" }
    route: { cluster: echo }
    typed_per_filter_config:
      envoy.filters.http.cors:
        "@type": ${CORS_POLICY}
        allow_methods: "*"
        allow_headers: "*"
        allow_credentials: false
        allow_private_network_access: true
  - match: { prefix: "/shadow" }
    route: { cluster: echo }
    typed_per_filter_config:
      envoy.filters.http.cors:
        "@type": ${CORS_POLICY}
        filter_enabled: { default_value: { numerator: 0 } }
        shadow_enabled: { default_value: { numerator: 100 } }
  - match: { prefix: "/strict" }
    route: { cluster: echo }
    typed_per_filter_config:
      envoy.filters.http.cors:
        "@type": ${CORS_POLICY}
        forward_not_matching_preflights: false
  - match: { prefix: "/runtime" }
    route: { cluster: echo }
    typed_per_filter_config:
      envoy.filters.http.cors:
        "@type": ${CORS_POLICY}
        filter_enabled: { runtime_key: cors.test_enabled, default_value: { numerator: 100 } }
  - match: { prefix: "/direct" }
    direct_response: { status: 204 }
  - match: { prefix: "/" }
    route: { cluster: echo }
- name: legacy
  domains: ["legacy.test"]
  cors:
    allow_origin_string_match: [{ exact: "https://old.example" }]
    allow_methods: GET
  routes:
  - match: { prefix: "/" }
    route: { cluster: echo }
- name: plain
  domains: ["*"]
  routes:
  - match: { prefix: "/" }
    route: { cluster: echo }`;

const APP = 'https://app.example.com';

describe('CORS filter', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  let proxy: RunningProxy;
  let port: number;
  before(async () => {
    echo = await startEcho({ port: 0, host: '127.0.0.1' });
    proxy = await startCorsProxy(ROUTES, echo.port);
    port = proxy.port('main');
  });
  after(async () => {
    await proxy.stop();
    await echo.close();
  });

  it('answers an allowed preflight itself: 200 with the policy\'s access-control-* headers', async () => {
    const reply = await preflight(port, '/items', 'api.test', APP, { 'access-control-request-headers': 'content-type' });
    assert.equal(reply.status, 200);
    assert.equal(reachedUpstream(reply), false);
    assert.deepEqual(corsHeaders(reply), {
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-allow-methods': 'GET,POST,PUT',
      'access-control-allow-headers': 'content-type,x-custom',
      'access-control-max-age': '600',
      // The reply passes the filter's own encoder too, as in Envoy.
      'access-control-expose-headers': 'x-trace-id,x-cost',
    });
  });

  it('forwards a preflight from an origin that does not match, without CORS headers', async () => {
    const reply = await preflight(port, '/items', 'api.test', 'https://evil.example');
    assert.equal(reachedUpstream(reply), true);
    assert.deepEqual(corsHeaders(reply), {});
  });

  it('forward_not_matching_preflights: false answers a non-matching preflight with 200 but no allow-origin', async () => {
    const reply = await preflight(port, '/strict', 'api.test', 'https://evil.example');
    assert.equal(reply.status, 200);
    assert.equal(reachedUpstream(reply), false);
    assert.equal(reply.headers['access-control-allow-origin'], undefined);
    assert.equal(reply.headers['access-control-allow-methods'], 'GET,POST,PUT');
  });

  it('adds allow-origin, allow-credentials and expose-headers to an allowed cross-origin request', async () => {
    const reply = await send(port, 'GET', '/items', 'api.test', { origin: APP });
    assert.equal(reply.status, 200);
    assert.equal(reachedUpstream(reply), true);
    assert.deepEqual(corsHeaders(reply), {
      'access-control-allow-origin': APP,
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-trace-id,x-cost',
    });
  });

  it('leaves requests from other origins, and requests without Origin, alone', async () => {
    assert.deepEqual(corsHeaders(await send(port, 'GET', '/items', 'api.test', { origin: 'https://evil.example' })), {});
    assert.deepEqual(corsHeaders(await send(port, 'GET', '/items', 'api.test')), {});
    // An OPTIONS without Access-Control-Request-Method is not a preflight: it goes upstream.
    const options = await send(port, 'OPTIONS', '/items', 'api.test', { origin: APP });
    assert.equal(reachedUpstream(options), true);
    assert.equal(options.headers['access-control-allow-origin'], APP);
  });

  it('matches origins by prefix, safe_regex (whole string) and suffix with ignore_case', async () => {
    const allowed = async (origin: string) => (await send(port, 'GET', '/', 'api.test', { origin })).headers['access-control-allow-origin'] === origin;
    assert.equal(await allowed('https://dev.anything.io'), true);
    assert.equal(await allowed('http://dev.anything.io'), false);
    assert.equal(await allowed('https://team.corp.example'), true);
    assert.equal(await allowed('https://team.corp.example.evil'), false);
    assert.equal(await allowed('https://Shop.PARTNER.org'), true);
    assert.equal(await allowed('https://partner.org.evil'), false);
  });

  it('merges levels field by field: the route overrides methods, headers and credentials, origins come from the virtual host', async () => {
    const reply = await preflight(port, '/wildcards', 'api.test', APP, {
      'access-control-request-method': 'DELETE',
      'access-control-request-headers': 'x-one,x-two',
      'access-control-request-private-network': 'true',
    });
    assert.equal(reply.status, 200);
    assert.deepEqual(corsHeaders(reply), {
      'access-control-allow-origin': APP,
      // "*" echoes what was asked for.
      'access-control-allow-methods': 'DELETE',
      'access-control-allow-headers': 'x-one,x-two',
      'access-control-max-age': '600',
      'access-control-allow-private-network': 'true',
      'access-control-expose-headers': 'x-trace-id,x-cost',
    });
  });

  it('a route can turn CORS off: filter_enabled 0%, or a FilterConfig with disabled: true', async () => {
    for (const path of ['/off', '/switched-off']) {
      const pre = await preflight(port, path, 'api.test', APP);
      assert.equal(reachedUpstream(pre), true, path);
      assert.deepEqual(corsHeaders(pre), {}, path);
      assert.deepEqual(corsHeaders(await send(port, 'GET', path, 'api.test', { origin: APP })), {}, path);
    }
  });

  it('filter_enabled follows its runtime key', async () => {
    assert.equal((await send(port, 'GET', '/runtime', 'api.test', { origin: APP })).headers['access-control-allow-origin'], APP);
    const set = await fetch(`${proxy.adminUrl}/runtime_modify?cors.test_enabled=0`, { method: 'POST' });
    assert.equal(set.status, 200);
    try {
      assert.deepEqual(corsHeaders(await send(port, 'GET', '/runtime', 'api.test', { origin: APP })), {});
    } finally {
      await fetch(`${proxy.adminUrl}/runtime_modify?cors.test_enabled=`, { method: 'POST' });
    }
  });

  it('shadow mode counts origins but changes nothing', async () => {
    const valid = await adminStat(proxy.adminUrl, 'http.ingress_http.cors.origin_valid');
    const reply = await preflight(port, '/shadow', 'api.test', APP);
    assert.equal(reachedUpstream(reply), true);
    assert.deepEqual(corsHeaders(reply), {});
    assert.equal(await adminStat(proxy.adminUrl, 'http.ingress_http.cors.origin_valid'), valid + 1);
  });

  it('stays out of direct responses and of hosts without a policy', async () => {
    const direct = await preflight(port, '/direct', 'api.test', APP);
    assert.equal(direct.status, 204);
    assert.deepEqual(corsHeaders(direct), {});
    const plain = await preflight(port, '/', 'other.test', APP);
    assert.equal(reachedUpstream(plain), true);
    assert.deepEqual(corsHeaders(plain), {});
  });

  it('falls back to the deprecated virtual host `cors` field', async () => {
    const reply = await preflight(port, '/', 'legacy.test', 'https://old.example');
    assert.equal(reply.status, 200);
    assert.deepEqual(corsHeaders(reply), { 'access-control-allow-origin': 'https://old.example', 'access-control-allow-methods': 'GET' });
  });

  it('counts http.<stat_prefix>.cors.origin_valid / origin_invalid; requests without Origin count in neither', async () => {
    const stat = (n: string) => adminStat(proxy.adminUrl, `http.ingress_http.cors.${n}`);
    const [valid, invalid] = [await stat('origin_valid'), await stat('origin_invalid')];
    await send(port, 'GET', '/', 'api.test', { origin: APP });
    await preflight(port, '/', 'api.test', APP);
    await send(port, 'GET', '/', 'api.test', { origin: 'https://evil.example' });
    await send(port, 'GET', '/', 'api.test');
    assert.equal(await stat('origin_valid'), valid + 2);
    assert.equal(await stat('origin_invalid'), invalid + 1);
  });
});
