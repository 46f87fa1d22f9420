// Routing through a real proxy to real echo upstreams: where requests go, what the
// upstream sees after rewrites, and what the client sees for redirects, direct responses
// and the proxy's own errors.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startEcho } from '../../../src/testing/echo/index.js';
import { bootstrapYaml, startProxy, staticCluster, type RunningProxy } from '../../helpers/proxy.js';

type Upstream = Awaited<ReturnType<typeof startEcho>>;
interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}
interface Echoed {
  path: string;
  host: string;
  service: string;
  headers: Record<string, string[]>;
}

/** A plain node:http request (no redirect following, any Host header). */
function send(proxy: RunningProxy, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: proxy.port('main'), path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function echoed(proxy: RunningProxy, path: string, headers: Record<string, string> = {}): Promise<Echoed> {
  const res = await send(proxy, path, headers);
  assert.equal(res.status, 200, `${path}: ${res.status} ${res.body}`);
  return JSON.parse(res.body) as Echoed;
}

async function counter(proxy: RunningProxy, name: string): Promise<number> {
  const text = await (await fetch(`${proxy.adminUrl}/stats?filter=${encodeURIComponent(`^${name}$`)}`)).text();
  const m = new RegExp(`^${name.replace(/[.|]/g, '\\$&')}: (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

describe('routing through a real proxy', () => {
  const up: Record<'a' | 'b' | 'c', Upstream> = {} as never;
  let clusters = '';

  before(async () => {
    for (const name of ['a', 'b', 'c'] as const) up[name] = await startEcho({ port: 0, host: '127.0.0.1', service: name });
    clusters = [staticCluster('a', [up.a.port]), staticCluster('b', [up.b.port]), staticCluster('c', [up.c.port])].join('\n');
  });
  after(async () => {
    await Promise.all(Object.values(up).map((u) => u.close()));
  });

  async function withProxy(routeConfig: string, fn: (p: RunningProxy) => Promise<void>, extraClusters = ''): Promise<void> {
    const proxy = await startProxy(bootstrapYaml({ routeConfig, clusters: `${clusters}\n${extraClusters}` }));
    try {
      await fn(proxy);
    } finally {
      await proxy.stop();
    }
  }

  it('sends requests to clusters by host, path and header', async () => {
    await withProxy(
      `
name: local
virtual_hosts:
- name: shop
  domains: ["shop.test", "*.shop.test"]
  routes:
  - { match: { prefix: "/", headers: [{ name: x-canary, exact_match: "1" }] }, route: { cluster: c } }
  - { match: { prefix: "/cart" }, route: { cluster: b } }
  - { match: { prefix: "/" }, route: { cluster: a } }
- name: other
  domains: ["*"]
  routes:
  - { match: { prefix: "/" }, route: { cluster: c } }`,
      async (p) => {
        assert.equal((await echoed(p, '/', { host: 'shop.test' })).service, 'a');
        assert.equal((await echoed(p, '/cart/1', { host: 'www.shop.test' })).service, 'b');
        assert.equal((await echoed(p, '/cart/1', { host: 'shop.test', 'x-canary': '1' })).service, 'c');
        assert.equal((await echoed(p, '/cart/1', { host: 'elsewhere.test' })).service, 'c');
      },
    );
  });

  it('prefix_rewrite and regex_rewrite change what the upstream sees; x-envoy-original-path keeps the old path', async () => {
    await withProxy(
      `
virtual_hosts:
- name: vh
  domains: ["*"]
  routes:
  - { match: { prefix: "/api/v1/" }, route: { cluster: a, prefix_rewrite: "/" } }
  - match: { safe_regex: { regex: "/users/([0-9]+)/orders" } }
    route: { cluster: a, regex_rewrite: { pattern: { regex: "^/users/([0-9]+)/orders$" }, substitution: "/orders?user=\\\\1" } }`,
      async (p) => {
        const prefixed = await echoed(p, '/api/v1/items?page=2');
        assert.equal(prefixed.path, '/items?page=2');
        assert.deepEqual(prefixed.headers['X-Envoy-Original-Path'], ['/api/v1/items?page=2']);
        const regexed = await echoed(p, '/users/42/orders');
        assert.equal(regexed.path, '/orders?user=42');
        assert.deepEqual(regexed.headers['X-Envoy-Original-Path'], ['/users/42/orders']);
      },
    );
  });

  it('host_rewrite_literal and auto_host_rewrite set the upstream Host', async () => {
    const named = `- name: named
  connect_timeout: 1s
  type: STATIC
  load_assignment:
    cluster_name: named
    endpoints:
    - lb_endpoints:
      - endpoint: { hostname: backend.internal, address: { socket_address: { address: 127.0.0.1, port_value: ${up.b.port} } } }`;
    await withProxy(
      `
virtual_hosts:
- name: vh
  domains: ["*"]
  routes:
  - { match: { prefix: "/literal" }, route: { cluster: a, host_rewrite_literal: "rewritten.test", append_x_forwarded_host: true } }
  - { match: { prefix: "/auto" }, route: { cluster: named, auto_host_rewrite: true } }`,
      async (p) => {
        const literal = await echoed(p, '/literal', { host: 'original.test' });
        assert.equal(literal.host, 'rewritten.test');
        assert.deepEqual(literal.headers['X-Forwarded-Host'], ['original.test']);
        assert.equal((await echoed(p, '/auto', { host: 'original.test' })).host, 'backend.internal');
      },
      named,
    );
  });

  it('weighted_clusters split traffic across two upstreams', async () => {
    await withProxy(
      `
virtual_hosts:
- name: vh
  domains: ["*"]
  routes:
  - match: { prefix: "/" }
    route: { weighted_clusters: { clusters: [{ name: a, weight: 75 }, { name: b, weight: 25 }] } }`,
      async (p) => {
        const seen = { a: 0, b: 0 } as Record<string, number>;
        for (let i = 0; i < 200; i++) seen[(await echoed(p, '/'))!.service]!++;
        assert.equal(seen.a! + seen.b!, 200);
        // 75/25 with generous bounds: this checks the split, not the random generator
        assert.ok(seen.a! > 110 && seen.b! > 20, JSON.stringify(seen));
      },
    );
  });

  it('hash_policy keeps a user on one upstream and hands out a session cookie', async () => {
    const ring = `- name: ring
  connect_timeout: 1s
  type: STATIC
  lb_policy: RING_HASH
  load_assignment:
    cluster_name: ring
    endpoints:
    - lb_endpoints:
      - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${up.a.port} } } }
      - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${up.b.port} } } }`;
    await withProxy(
      `
virtual_hosts:
- name: vh
  domains: ["*"]
  routes:
  - { match: { prefix: "/user" }, route: { cluster: ring, hash_policy: [{ header: { header_name: x-user } }] } }
  - { match: { prefix: "/session" }, route: { cluster: ring, hash_policy: [{ cookie: { name: sticky, ttl: 60s, path: / } }] } }`,
      async (p) => {
        const served = new Map<string, Set<string>>();
        for (let i = 0; i < 40; i++) {
          const user = `user-${i % 8}`;
          const seen = (await echoed(p, '/user', { 'x-user': user })).service;
          served.set(user, (served.get(user) ?? new Set()).add(seen));
        }
        for (const [user, services] of served) assert.equal(services.size, 1, `${user} went to ${[...services].join(', ')}`);
        const first = await send(p, '/session');
        const cookie = first.headers['set-cookie']?.[0] ?? '';
        assert.match(cookie, /^sticky="[0-9a-f]{16}"; Max-Age=60; Path=\/; HttpOnly$/);
        const again = await send(p, '/session', { cookie: cookie.split(';')[0]! });
        assert.equal(again.headers['set-cookie'], undefined);
        assert.equal((JSON.parse(again.body) as Echoed).service, (JSON.parse(first.body) as Echoed).service);
      },
      ring,
    );
  });

  it('answers redirects with the status and Location Envoy builds', async () => {
    await withProxy(
      `
virtual_hosts:
- name: vh
  domains: ["*"]
  routes:
  - { match: { prefix: "/old/" }, redirect: { prefix_rewrite: "/new/", response_code: FOUND } }
  - { match: { path: "/secure" }, redirect: { https_redirect: true } }
  - { match: { path: "/moved" }, redirect: { host_redirect: "other.test", port_redirect: 8443, path_redirect: "/landing", response_code: PERMANENT_REDIRECT } }
  - { match: { path: "/strip" }, redirect: { path_redirect: "/clean", strip_query: true, response_code: SEE_OTHER } }`,
      async (p) => {
        const a = await send(p, '/old/page?x=1', { host: 'shop.test' });
        assert.equal(a.status, 302);
        assert.equal(a.headers.location, 'http://shop.test/new/page?x=1');
        assert.equal(a.body, '');
        const b = await send(p, '/secure?q=1', { host: 'shop.test:80' });
        assert.equal(b.status, 301);
        assert.equal(b.headers.location, 'https://shop.test/secure?q=1');
        const c = await send(p, '/moved?k=v', { host: 'shop.test' });
        assert.equal(c.status, 308);
        assert.equal(c.headers.location, 'http://other.test:8443/landing?k=v');
        const d = await send(p, '/strip?k=v', { host: 'shop.test' });
        assert.equal(d.status, 303);
        assert.equal(d.headers.location, 'http://shop.test/clean');
        assert.equal(await counter(p, 'http.ingress_http.rq_direct_response'), 4);
      },
    );
  });

  it('answers direct responses with their status and body', async () => {
    await withProxy(
      `
virtual_hosts:
- name: vh
  domains: ["*"]
  routes:
  - { match: { path: "/teapot" }, direct_response: { status: 418, body: { inline_string: "I'm a teapot" } } }
  - { match: { path: "/empty" }, direct_response: { status: 204 } }
  - { match: { path: "/go" }, direct_response: { status: 302 } }`,
      async (p) => {
        const tea = await send(p, '/teapot');
        assert.equal(tea.status, 418);
        assert.equal(tea.body, "I'm a teapot");
        assert.equal(tea.headers['content-type'], 'text/plain');
        assert.equal((await send(p, '/empty')).status, 204);
        const go = await send(p, '/go?x=1', { host: 'shop.test' });
        assert.equal(go.status, 302);
        assert.equal(go.headers.location, 'http://shop.test/go?x=1');
      },
    );
  });

  it('answers 404 with an empty body when no route matches', async () => {
    await withProxy(
      `
virtual_hosts:
- { name: vh, domains: ["shop.test"], routes: [{ match: { prefix: "/api" }, route: { cluster: a } }] }`,
      async (p) => {
        const noRoute = await send(p, '/other', { host: 'shop.test' });
        assert.equal(noRoute.status, 404);
        assert.equal(noRoute.body, '');
        const noHost = await send(p, '/api', { host: 'unknown.test' });
        assert.equal(noHost.status, 404);
        assert.equal(noHost.body, '');
        assert.equal(await counter(p, 'http.ingress_http.no_route'), 2);
      },
    );
  });

  it('answers 503 "no healthy upstream" for a cluster without endpoints', async () => {
    const empty = `- name: empty
  connect_timeout: 1s
  type: STATIC
  load_assignment: { cluster_name: empty }`;
    await withProxy(
      `virtual_hosts: [{ name: vh, domains: ["*"], routes: [{ match: { prefix: "/" }, route: { cluster: empty } }] }]`,
      async (p) => {
        const res = await send(p, '/');
        assert.equal(res.status, 503);
        assert.equal(res.body, 'no healthy upstream');
        assert.equal(await counter(p, 'cluster.empty.upstream_cx_none_healthy'), 1);
      },
      empty,
    );
  });

  it('cluster_header routes by a request header; an unknown cluster is 503 with an empty body (NC)', async () => {
    await withProxy(
      `
virtual_hosts:
- name: vh
  domains: ["*"]
  routes:
  - { match: { prefix: "/strict" }, route: { cluster_header: x-cluster, cluster_not_found_response_code: NOT_FOUND } }
  - { match: { prefix: "/" }, route: { cluster_header: x-cluster } }`,
      async (p) => {
        assert.equal((await echoed(p, '/', { 'x-cluster': 'b' })).service, 'b');
        const unknown = await send(p, '/', { 'x-cluster': 'nope' });
        assert.equal(unknown.status, 503);
        assert.equal(unknown.body, '');
        const missing = await send(p, '/');
        assert.equal(missing.status, 503);
        assert.equal((await send(p, '/strict', { 'x-cluster': 'nope' })).status, 404);
        assert.equal(await counter(p, 'http.ingress_http.no_cluster'), 3);
      },
    );
  });

  it('adds request and response headers at route, virtual host and route-config level', async () => {
    const levels = (mostSpecificWins: boolean) => `
most_specific_header_mutations_wins: ${mostSpecificWins}
request_headers_to_add:
- { header: { key: x-level, value: config }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
- { header: { key: x-from-config, value: "1" } }
response_headers_to_add:
- { header: { key: x-level, value: config }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
response_headers_to_remove: [x-content-type-options]
virtual_hosts:
- name: vh
  domains: ["*"]
  request_headers_to_add:
  - { header: { key: x-level, value: vhost }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
  - { header: { key: x-client, value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%" } }
  response_headers_to_add:
  - { header: { key: x-level, value: vhost }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
  routes:
  - match: { prefix: "/" }
    route: { cluster: a }
    request_headers_to_add:
    - { header: { key: x-level, value: route }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
    - { header: { key: x-copied, value: "%REQ(x-foo)%" } }
    request_headers_to_remove: [x-drop-me]
    response_headers_to_add:
    - { header: { key: x-level, value: route }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
    - { header: { key: x-route, value: "yes" } }`;
    // By default the least specific level is applied last and wins.
    await withProxy(levels(false), async (p) => {
      const res = await send(p, '/', { 'x-foo': 'bar', 'x-drop-me': '1' });
      const seen = JSON.parse(res.body) as Echoed;
      assert.deepEqual(seen.headers['X-Level'], ['config']);
      assert.deepEqual(seen.headers['X-From-Config'], ['1']);
      assert.deepEqual(seen.headers['X-Client'], ['127.0.0.1']);
      assert.deepEqual(seen.headers['X-Copied'], ['bar']);
      assert.equal(seen.headers['X-Drop-Me'], undefined);
      assert.equal(res.headers['x-level'], 'config');
      assert.equal(res.headers['x-route'], 'yes');
      assert.equal(res.headers['x-content-type-options'], undefined);
    });
    // most_specific_header_mutations_wins: the route level is applied last.
    await withProxy(levels(true), async (p) => {
      const res = await send(p, '/');
      assert.deepEqual((JSON.parse(res.body) as Echoed).headers['X-Level'], ['route']);
      assert.equal(res.headers['x-level'], 'route');
    });
  });

  it('adds response headers to redirects and direct responses too', async () => {
    await withProxy(
      `
response_headers_to_add: [{ header: { key: x-config, value: c } }]
virtual_hosts:
- name: vh
  domains: ["*"]
  response_headers_to_add: [{ header: { key: x-vhost, value: v } }]
  routes:
  - { match: { path: "/r" }, redirect: { path_redirect: "/x" }, response_headers_to_add: [{ header: { key: x-route, value: r } }] }
  - { match: { path: "/d" }, direct_response: { status: 200, body: { inline_string: ok } } }`,
      async (p) => {
        const r = await send(p, '/r');
        assert.deepEqual([r.headers['x-route'], r.headers['x-vhost'], r.headers['x-config']], ['r', 'v', 'c']);
        const d = await send(p, '/d');
        assert.deepEqual([d.body, d.headers['x-vhost'], d.headers['x-config']], ['ok', 'v', 'c']);
      },
    );
  });
});
