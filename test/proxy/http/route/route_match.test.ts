// Route matching: path specifiers, headers, query parameters, runtime fractions, gRPC,
// first-match order.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Runtime } from '../../../../src/proxy/server/runtime.js';
import { assertRejected, pick, routesTable, table } from './fixtures.js';

const ok = 'direct_response: { status: 200 }';

describe('path matching', () => {
  it('prefix matches the start of the path and ignores the query string', () => {
    const t = routesTable(`
- { name: q, match: { prefix: "/search?q=" }, ${ok} }
- { name: api, match: { prefix: "/api" }, ${ok} }`);
    assert.equal(pick(t, '/api'), 'api');
    assert.equal(pick(t, '/api/v1?x=1'), 'api');
    assert.equal(pick(t, '/apix'), 'api'); // a plain prefix is not segment-aware
    assert.equal(pick(t, '/ap?i'), null); // "?" ends the path
    assert.equal(pick(t, '/search?q=shoes'), null); // a prefix never reaches into the query
  });

  it('path matches the whole path, query string and fragment ignored', () => {
    const t = routesTable(`- { name: exact, match: { path: "/login" }, ${ok} }`);
    assert.equal(pick(t, '/login'), 'exact');
    assert.equal(pick(t, '/login?next=/home'), 'exact');
    assert.equal(pick(t, '/login#top'), 'exact');
    assert.equal(pick(t, '/login/'), null);
    assert.equal(pick(t, '/Login'), null);
  });

  it('safe_regex must match the whole path, query ignored', () => {
    const t = routesTable(`- { name: re, match: { safe_regex: { regex: "/v[0-9]+/items" } }, ${ok} }`);
    assert.equal(pick(t, '/v12/items'), 're');
    assert.equal(pick(t, '/v12/items?page=2'), 're');
    assert.equal(pick(t, '/v12/items/3'), null);
    assert.equal(pick(t, '/x/v12/items'), null);
  });

  it('safe_regex takes RE2 syntax: named groups, \\A \\z, POSIX classes', () => {
    const t = routesTable(`
- { name: named, match: { safe_regex: { regex: "/u/(?P<id>[[:digit:]]+)" } }, ${ok} }
- { name: anchors, match: { safe_regex: { regex: "\\\\A/a\\\\z" } }, ${ok} }`);
    assert.equal(pick(t, '/u/42'), 'named');
    assert.equal(pick(t, '/u/4x'), null);
    assert.equal(pick(t, '/a'), 'anchors');
  });

  it('rejects an invalid regex with the field path', () => {
    const err = assertRejected(() => routesTable(`- { match: { safe_regex: { regex: "/(unclosed" } }, ${ok} }`), /invalid regex/);
    assert.equal(err.issues[0]!.path, 'route_config.virtual_hosts[0].routes[0].match.safe_regex');
  });

  it('path_separated_prefix matches whole segments only', () => {
    const t = routesTable(`- { name: sep, match: { path_separated_prefix: "/api" }, ${ok} }`);
    assert.equal(pick(t, '/api'), 'sep');
    assert.equal(pick(t, '/api/'), 'sep');
    assert.equal(pick(t, '/api/v1'), 'sep');
    assert.equal(pick(t, '/api?x=1'), 'sep');
    assert.equal(pick(t, '/api#frag'), 'sep');
    assert.equal(pick(t, '/apiv1'), null);
  });

  it('path_separated_prefix may not end with "/"', () => {
    assert.throws(() => routesTable(`- { match: { path_separated_prefix: "/api/" }, ${ok} }`), /path_separated_prefix/);
  });

  it('case_sensitive: false folds case for prefix, path and path_separated_prefix', () => {
    const t = routesTable(`
- { name: p, match: { prefix: "/Shop", case_sensitive: false }, ${ok} }
- { name: e, match: { path: "/LOGIN", case_sensitive: false }, ${ok} }
- { name: s, match: { path_separated_prefix: "/Cart", case_sensitive: false }, ${ok} }`);
    assert.equal(pick(t, '/sHoP/items'), 'p');
    assert.equal(pick(t, '/login'), 'e');
    assert.equal(pick(t, '/CART/1'), 's');
  });

  it('ignore_path_parameters_in_path_matching drops ";params" before matching', () => {
    const routes = `routes: [{ name: e, match: { path: "/file" }, ${ok} }]`;
    const plain = table(`virtual_hosts: [{ name: vh, domains: ["*"], ${routes} }]`);
    assert.equal(pick(plain, '/file;v=1'), null);
    const ignoring = table(`
ignore_path_parameters_in_path_matching: true
virtual_hosts: [{ name: vh, domains: ["*"], ${routes} }]`);
    assert.equal(pick(ignoring, '/file;v=1'), 'e');
    assert.equal(pick(ignoring, '/file;v=1?x=2'), 'e');
  });

  it('takes the first route that matches, in config order', () => {
    const t = routesTable(`
- { name: first, match: { prefix: "/a" }, ${ok} }
- { name: second, match: { prefix: "/a/b" }, ${ok} }
- { name: last, match: { prefix: "/" }, ${ok} }`);
    assert.equal(pick(t, '/a/b/c'), 'first');
    assert.equal(pick(t, '/z'), 'last');
  });
});

describe('header matching', () => {
  const route = (name: string, header: string) => `- { name: ${name}, match: { prefix: "/", headers: [${header}] }, ${ok} }`;
  const one = (header: string, headers: Record<string, string | string[]>) => pick(routesTable(route('r', header)), '/', headers) === 'r';

  it('exact, prefix, suffix, contains', () => {
    assert.equal(one('{ name: x-env, exact_match: "prod" }', { 'x-env': 'prod' }), true);
    assert.equal(one('{ name: x-env, exact_match: "prod" }', { 'x-env': 'production' }), false);
    assert.equal(one('{ name: x-env, prefix_match: "pro" }', { 'x-env': 'production' }), true);
    assert.equal(one('{ name: x-env, suffix_match: "ion" }', { 'x-env': 'production' }), true);
    assert.equal(one('{ name: x-env, contains_match: "duct" }', { 'x-env': 'production' }), true);
    assert.equal(one('{ name: x-env, contains_match: "dev" }', { 'x-env': 'production' }), false);
  });

  it('matches header names case-insensitively', () => {
    assert.equal(one('{ name: X-Env, exact_match: "prod" }', { 'x-env': 'prod' }), true);
  });

  it('an empty exact_match matches any value of a present header', () => {
    assert.equal(one('{ name: x-env, exact_match: "" }', { 'x-env': 'anything' }), true);
    assert.equal(one('{ name: x-env, exact_match: "" }', {}), false);
  });

  it('safe_regex_match must match the whole value', () => {
    assert.equal(one('{ name: x-id, safe_regex_match: { regex: "[0-9]{3}" } }', { 'x-id': '123' }), true);
    assert.equal(one('{ name: x-id, safe_regex_match: { regex: "[0-9]{3}" } }', { 'x-id': '1234' }), false);
  });

  it('range_match is [start, end) over integers', () => {
    const m = '{ name: x-n, range_match: { start: -10, end: 10 } }';
    assert.equal(one(m, { 'x-n': '-10' }), true);
    assert.equal(one(m, { 'x-n': '9' }), true);
    assert.equal(one(m, { 'x-n': '10' }), false);
    assert.equal(one(m, { 'x-n': '+3' }), true);
    assert.equal(one(m, { 'x-n': '3.5' }), false);
    assert.equal(one(m, { 'x-n': 'abc' }), false);
  });

  it('present_match and a bare name test presence', () => {
    assert.equal(one('{ name: x-dbg, present_match: true }', { 'x-dbg': '' }), true);
    assert.equal(one('{ name: x-dbg, present_match: true }', {}), false);
    assert.equal(one('{ name: x-dbg, present_match: false }', {}), true);
    assert.equal(one('{ name: x-dbg, present_match: false }', { 'x-dbg': '1' }), false);
    assert.equal(one('{ name: x-dbg }', { 'x-dbg': '1' }), true);
    assert.equal(one('{ name: x-dbg }', {}), false);
  });

  it('string_match, with ignore_case', () => {
    assert.equal(one('{ name: x-env, string_match: { exact: "PROD", ignore_case: true } }', { 'x-env': 'prod' }), true);
    assert.equal(one('{ name: x-env, string_match: { prefix: "PR" } }', { 'x-env': 'prod' }), false);
    assert.equal(one('{ name: x-env, string_match: { safe_regex: { regex: "p.*d" } } }', { 'x-env': 'prod' }), true);
  });

  it('invert_match flips the result for a present header, but a missing header never matches', () => {
    const m = '{ name: x-env, exact_match: "prod", invert_match: true }';
    assert.equal(one(m, { 'x-env': 'dev' }), true);
    assert.equal(one(m, { 'x-env': 'prod' }), false);
    assert.equal(one(m, {}), false);
  });

  it('invert_match on present_match: true means "header absent"', () => {
    const m = '{ name: x-dbg, present_match: true, invert_match: true }';
    assert.equal(one(m, {}), true);
    assert.equal(one(m, { 'x-dbg': '1' }), false);
  });

  it('treat_missing_header_as_empty matches a missing header as ""', () => {
    assert.equal(one('{ name: x-env, exact_match: "prod", invert_match: true, treat_missing_header_as_empty: true }', {}), true);
    assert.equal(one('{ name: x-env, string_match: { exact: "" }, treat_missing_header_as_empty: true }', {}), true);
    assert.equal(one('{ name: x-n, range_match: { start: 0, end: 10 }, treat_missing_header_as_empty: true }', {}), false);
  });

  it('joins several values of a header with "," before matching', () => {
    assert.equal(one('{ name: x-tag, exact_match: "a,b" }', { 'x-tag': ['a', 'b'] }), true);
    assert.equal(one('{ name: x-tag, exact_match: "a" }', { 'x-tag': ['a', 'b'] }), false);
  });

  it('needs every header matcher to match', () => {
    const t = routesTable(route('r', '{ name: a, exact_match: "1" }, { name: b, exact_match: "2" }'));
    assert.equal(pick(t, '/', { a: '1', b: '2' }), 'r');
    assert.equal(pick(t, '/', { a: '1' }), null);
  });
});

describe('query parameter matching', () => {
  const q = (matcher: string) => routesTable(`- { name: r, match: { prefix: "/", query_parameters: [${matcher}] }, ${ok} }`);

  it('string_match on the first value, not percent-decoded', () => {
    const t = q('{ name: debug, string_match: { exact: "1" } }');
    assert.equal(pick(t, '/p?debug=1'), 'r');
    assert.equal(pick(t, '/p?x=2&debug=1'), 'r');
    assert.equal(pick(t, '/p?debug=2&debug=1'), null);
    assert.equal(pick(t, '/p'), null);
    const raw = q('{ name: q, string_match: { exact: "a%20b" } }');
    assert.equal(pick(raw, '/p?q=a%20b'), 'r');
    assert.equal(pick(raw, '/p?q=a+b'), null);
  });

  it('present_match tests presence, "?flag" counts as present with ""', () => {
    const t = q('{ name: flag, present_match: true }');
    assert.equal(pick(t, '/p?flag'), 'r');
    assert.equal(pick(t, '/p?flag='), 'r');
    assert.equal(pick(t, '/p?other=1'), null);
    const absent = q('{ name: flag, present_match: false }');
    assert.equal(pick(absent, '/p?other=1'), 'r');
    assert.equal(pick(absent, '/p?flag=1'), null);
  });

  it('string_match with ignore_case and regex', () => {
    assert.equal(pick(q('{ name: v, string_match: { prefix: "AB", ignore_case: true } }'), '/p?v=abc'), 'r');
    assert.equal(pick(q('{ name: v, string_match: { safe_regex: { regex: "[a-c]+" } } }'), '/p?v=abc'), 'r');
    assert.equal(pick(q('{ name: v, string_match: { safe_regex: { regex: "[a-c]+" } } }'), '/p?v=abcd'), null);
  });
});

describe('runtime_fraction', () => {
  const canary = (numerator: number, runtime = new Runtime(), denominator = 'HUNDRED') =>
    routesTable(
      `
- { name: canary, match: { prefix: "/", runtime_fraction: { default_value: { numerator: ${numerator}, denominator: ${denominator} }, runtime_key: routing.canary } }, ${ok} }
- { name: stable, match: { prefix: "/" }, ${ok} }`,
      runtime,
    );
  const share = (t: ReturnType<typeof canary>, n = 1000) => {
    let hits = 0;
    for (let r = 0; r < n; r++) if (pick(t, '/', {}, r) === 'canary') hits++;
    return hits / n;
  };

  it('numerator 0 never matches, 100 always does', () => {
    assert.equal(share(canary(0)), 0);
    assert.equal(share(canary(100)), 1);
  });

  it('a fraction matches random % denominator < numerator', () => {
    assert.equal(share(canary(25)), 0.25);
    assert.equal(share(canary(2500, new Runtime(), 'TEN_THOUSAND'), 10_000), 0.25);
  });

  it('a runtime integer overrides the default as a percentage', () => {
    const runtime = new Runtime();
    runtime.setAdmin('routing.canary', '10');
    // the default's denominator does not apply to a runtime integer
    assert.equal(share(canary(0, runtime, 'TEN_THOUSAND')), 0.1);
    runtime.setAdmin('routing.canary', '250');
    assert.equal(share(canary(0, runtime)), 1);
  });

  it('a random value is compared consistently across routes of one request', () => {
    const t = canary(50);
    assert.equal(pick(t, '/', {}, 49), 'canary');
    assert.equal(pick(t, '/', {}, 50), 'stable');
  });
});

describe('grpc match', () => {
  const t = routesTable(`
- { name: grpc, match: { prefix: "/", grpc: {} }, ${ok} }
- { name: other, match: { prefix: "/" }, ${ok} }`);

  it('matches application/grpc and application/grpc+proto only', () => {
    assert.equal(pick(t, '/pkg.Svc/Call', { 'content-type': 'application/grpc' }), 'grpc');
    assert.equal(pick(t, '/pkg.Svc/Call', { 'content-type': 'application/grpc+proto' }), 'grpc');
    assert.equal(pick(t, '/pkg.Svc/Call', { 'content-type': 'application/grpc-web' }), 'other');
    assert.equal(pick(t, '/pkg.Svc/Call', { 'content-type': 'application/json' }), 'other');
    assert.equal(pick(t, '/pkg.Svc/Call'), 'other');
  });
});
