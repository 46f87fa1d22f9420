// Route actions: weighted clusters, cluster_header, redirects (the Location Envoy builds)
// and direct responses.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { newUri, pickWeightedCluster, type ForwardAction } from '../../../../src/proxy/http/route/route_entry.js';
import type { RouteTable } from '../../../../src/proxy/http/route/route_table.js';
import { Runtime } from '../../../../src/proxy/server/runtime.js';
import { assertRejected, request, routesTable } from './fixtures.js';

function forwardOf(t: RouteTable, p = '/'): ForwardAction {
  const f = t.route(request('example.com', p))?.forward();
  assert.ok(f, 'expected a forwarding route');
  return f;
}

describe('weighted_clusters', () => {
  const weighted = (clusters: string, extra = '') => routesTable(`- match: { prefix: "/" }\n  route: { weighted_clusters: { clusters: [${clusters}] ${extra} } }`);

  it('spreads picks by weight', () => {
    const w = forwardOf(weighted('{ name: a, weight: 70 }, { name: b, weight: 20 }, { name: c, weight: 10 }')).weighted!;
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const n = 20_000;
    for (let i = 0; i < n; i++) counts[pickWeightedCluster(w, request('x', '/'), new Runtime())!.cluster!]!++;
    assert.ok(Math.abs(counts.a! / n - 0.7) < 0.02, `a: ${counts.a}`);
    assert.ok(Math.abs(counts.b! / n - 0.2) < 0.02, `b: ${counts.b}`);
    assert.ok(Math.abs(counts.c! / n - 0.1) < 0.02, `c: ${counts.c}`);
  });

  it('maps the random value onto [0, w1), [w1, w1+w2), ... and never picks a zero weight', () => {
    const w = forwardOf(weighted('{ name: a, weight: 1 }, { name: z, weight: 0 }, { name: b, weight: 3 }')).weighted!;
    const at = (r: number) => pickWeightedCluster(w, request('x', '/'), new Runtime(), r)!.cluster;
    assert.equal(at(0), 'a');
    assert.equal(at(0.249), 'a');
    assert.equal(at(0.25), 'b');
    assert.equal(at(0.999), 'b');
  });

  it('header_name supplies the random value (single numeric value only)', () => {
    const w = forwardOf(weighted('{ name: a, weight: 50 }, { name: b, weight: 50 }', ', header_name: x-pick')).weighted!;
    const with_ = (v: string | string[]) => pickWeightedCluster(w, request('x', '/', { 'x-pick': v }), new Runtime(), 0.99)!.cluster;
    assert.equal(with_('10'), 'a');
    assert.equal(with_('149'), 'a'); // 149 % 100 = 49
    assert.equal(with_('150'), 'b');
    // invalid or repeated values fall back to the internal random value (0.99 → b)
    assert.equal(with_(['10', '10']), 'b');
    assert.equal(with_('ten'), 'b');
  });

  it('runtime_key_prefix weights override the configured ones', () => {
    const runtime = new Runtime();
    runtime.setAdmin('split.a', '0');
    runtime.setAdmin('split.b', '7');
    const w = forwardOf(weighted('{ name: a, weight: 50 }, { name: b, weight: 50 }', ', runtime_key_prefix: split')).weighted!;
    for (const r of [0, 0.5, 0.99]) assert.equal(pickWeightedCluster(w, request('x', '/'), runtime, r)!.cluster, 'b');
  });

  it('a cluster_header entry takes the cluster from the request', () => {
    const w = forwardOf(weighted('{ cluster_header: x-target, weight: 1 }')).weighted!;
    assert.equal(pickWeightedCluster(w, request('x', '/', { 'x-target': 'blue' }), new Runtime())!.cluster, 'blue');
    assert.equal(pickWeightedCluster(w, request('x', '/'), new Runtime())!.cluster, undefined);
  });

  it('rejects weights that do not add up to a set total_weight', () => {
    const err = assertRejected(() => weighted('{ name: a, weight: 30 }, { name: b, weight: 30 }', ', total_weight: 100'), /\(60\) should add up to total_weight \(100\)/);
    assert.equal(err.issues[0]!.path, 'route_config.virtual_hosts[0].routes[0].route.weighted_clusters.total_weight');
    // total_weight matching the sum is fine
    weighted('{ name: a, weight: 30 }, { name: b, weight: 70 }', ', total_weight: 100');
  });

  it('rejects weights summing to 0, and entries with both or neither of name and cluster_header', () => {
    assertRejected(() => weighted('{ name: a, weight: 0 }'), /must be greater than 0/);
    assertRejected(() => weighted('{ name: a, cluster_header: x-c, weight: 1 }'), /only one of name or cluster_header/);
    assertRejected(() => weighted('{ weight: 1 }'), /at least one of name or cluster_header/);
  });
});

describe('cluster_header', () => {
  it('records the (lower-cased) header the router reads the cluster from', () => {
    const f = forwardOf(routesTable(`- { match: { prefix: "/" }, route: { cluster_header: X-Cluster } }`));
    assert.equal(f.clusterHeader, 'x-cluster');
    assert.equal(f.clusterNotFoundCode, 503);
  });

  it('cluster_not_found_response_code picks 404 or 500 instead of 503', () => {
    const f = forwardOf(routesTable(`- { match: { prefix: "/" }, route: { cluster_header: x-c, cluster_not_found_response_code: NOT_FOUND } }`));
    assert.equal(f.clusterNotFoundCode, 404);
  });
});

/** The Location the router sends: the redirect's path rewrite on :path, then newUri. */
function location(t: RouteTable, authority: string, url: string, proto = 'http'): { status: number; location: string } {
  const h = request(authority, url, { 'x-forwarded-proto': proto });
  const route = t.route(h);
  assert.ok(route && route.action.kind === 'redirect', 'expected a redirect route');
  const rewritten = route.rewriteRedirectPath(url);
  if (rewritten !== undefined) h.set(':path', rewritten);
  return { status: route.action.redirect.status, location: newUri(route.action.redirect, h) };
}

const redirect = (r: string, match = 'prefix: "/"') => routesTable(`- { match: { ${match} }, redirect: { ${r} } }`);

describe('redirect Location', () => {
  it('https_redirect swaps the scheme and keeps host, path and query (301 by default)', () => {
    assert.deepEqual(location(redirect('https_redirect: true'), 'shop.com', '/cart?id=7'), { status: 301, location: 'https://shop.com/cart?id=7' });
  });

  it('https_redirect drops the old default port :80, keeps any other port', () => {
    assert.equal(location(redirect('https_redirect: true'), 'shop.com:80', '/').location, 'https://shop.com/');
    assert.equal(location(redirect('https_redirect: true'), 'shop.com:8080', '/').location, 'https://shop.com:8080/');
  });

  it('scheme_redirect sets the scheme; https → http drops :443', () => {
    assert.equal(location(redirect('scheme_redirect: http'), 'shop.com:443', '/a', 'https').location, 'http://shop.com/a');
  });

  it('keeps a default port when the scheme does not change', () => {
    assert.equal(location(redirect('path_redirect: "/new"'), 'shop.com:80', '/old').location, 'http://shop.com:80/new');
  });

  it('host_redirect replaces the whole host, port included', () => {
    assert.equal(location(redirect('host_redirect: "new.shop.com"'), 'shop.com:8080', '/a?b=1').location, 'http://new.shop.com/a?b=1');
  });

  it('port_redirect replaces the port (and is written even when it is the default)', () => {
    assert.equal(location(redirect('port_redirect: 8443'), 'shop.com:8080', '/a').location, 'http://shop.com:8443/a');
    assert.equal(location(redirect('https_redirect: true, port_redirect: 443'), 'shop.com', '/a').location, 'https://shop.com:443/a');
    assert.equal(location(redirect('host_redirect: "b.com", port_redirect: 9000'), 'a.com:1', '/').location, 'http://b.com:9000/');
  });

  it('path_redirect replaces the path, keeping the request query unless it has its own', () => {
    assert.equal(location(redirect('path_redirect: "/new"'), 'shop.com', '/old?x=1').location, 'http://shop.com/new?x=1');
    assert.equal(location(redirect('path_redirect: "/new?y=2", strip_query: true'), 'shop.com', '/old?x=1').location, 'http://shop.com/new?y=2');
    assert.equal(location(redirect('path_redirect: "new"'), 'shop.com', '/old').location, 'http://shop.com/new');
  });

  it('strip_query drops the query string', () => {
    assert.equal(location(redirect('strip_query: true, path_redirect: "/p"'), 'shop.com', '/old?x=1').location, 'http://shop.com/p');
    assert.equal(location(redirect('strip_query: true, https_redirect: true'), 'shop.com', '/a?x=1').location, 'https://shop.com/a');
  });

  it('prefix_rewrite replaces the matched prefix and keeps the rest and the query', () => {
    const t = redirect('prefix_rewrite: "/v2/"', 'prefix: "/v1/"');
    assert.equal(location(t, 'shop.com', '/v1/items/3?x=1').location, 'http://shop.com/v2/items/3?x=1');
  });

  it('prefix_rewrite on a path route replaces the whole matched path', () => {
    const t = redirect('prefix_rewrite: "/login"', 'path: "/signin"');
    assert.equal(location(t, 'shop.com', '/signin?next=/').location, 'http://shop.com/login?next=/');
  });

  it('regex_rewrite rewrites the path (RE2 \\1 groups) and keeps the query', () => {
    const t = redirect('regex_rewrite: { pattern: { regex: "^/users/([0-9]+)/profile$" }, substitution: "/profiles/\\\\1" }');
    assert.equal(location(t, 'shop.com', '/users/42/profile?tab=a').location, 'http://shop.com/profiles/42?tab=a');
  });

  it('response_code chooses 301, 302, 303, 307 or 308', () => {
    const codes: Record<string, number> = { MOVED_PERMANENTLY: 301, FOUND: 302, SEE_OTHER: 303, TEMPORARY_REDIRECT: 307, PERMANENT_REDIRECT: 308 };
    for (const [name, code] of Object.entries(codes)) {
      assert.equal(location(redirect(`https_redirect: true, response_code: ${name}`), 'a.com', '/').status, code);
    }
  });

  it('a 3xx direct response points Location at the request URL', () => {
    const h = request('shop.com', '/here?x=1', { 'x-forwarded-proto': 'http' });
    assert.equal(newUri(undefined, h), 'http://shop.com/here?x=1');
  });
});

describe('direct_response', () => {
  const direct = (body: string) => routesTable(`- { match: { prefix: "/" }, direct_response: { status: 418, body: { ${body} } } }`);
  const action = (t: RouteTable) => t.route(request('a', '/'))!.action;

  it('carries the status and an inline body', () => {
    assert.deepEqual(action(direct('inline_string: "short and stout"')), { kind: 'direct', status: 418, body: 'short and stout' });
  });

  it('reads a body from a file', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-route-'));
    try {
      const file = path.join(dir, 'body.txt');
      fs.writeFileSync(file, 'from a file\n');
      assert.deepEqual(action(direct(`filename: ${JSON.stringify(file)}`)), { kind: 'direct', status: 418, body: 'from a file\n' });
      assertRejected(() => direct(`filename: ${JSON.stringify(path.join(dir, 'missing'))}`), /cannot read .*missing: ENOENT/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a body over max_direct_response_body_size_bytes (4096 by default)', () => {
    assertRejected(() => direct(`inline_string: "${'x'.repeat(4097)}"`), /4097 bytes; maximum is 4096/);
  });

  it('rejects a status outside [200, 600)', () => {
    assert.throws(() => routesTable(`- { match: { prefix: "/" }, direct_response: { status: 99 } }`), /status/);
  });
});
