// hash_policy: which request properties make the consistent-hashing key, and how
// several policies combine.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HashPolicy, type CookieAttribute, type HashInput } from '../../../../src/proxy/http/route/hash_policy.js';
import { hash64 } from '../../../../src/proxy/upstream/lb/hash.js';
import { request, routesTable } from './fixtures.js';

function policy(list: string): HashPolicy {
  const f = routesTable(`- { match: { prefix: "/" }, route: { cluster: c, hash_policy: [${list}] } }`).route(request('a', '/'))!.forward()!;
  assert.ok(f.hashPolicy);
  return f.hashPolicy;
}

function input(path: string, headers: Record<string, string | string[]> = {}, remoteAddress = '10.0.0.1'): HashInput {
  return { headers: request('a', path, headers), remoteAddress };
}

const rotl = (h: bigint) => ((h << 1n) | (h >> 63n)) & ((1n << 64n) - 1n);

describe('hash_policy', () => {
  it('header: the same value gives the same key, another value another key', () => {
    const p = policy('{ header: { header_name: x-user } }');
    const a = p.generateHash(input('/', { 'x-user': 'alice' }));
    assert.equal(a, hash64('alice'));
    assert.equal(p.generateHash(input('/other', { 'x-user': 'alice' })), a);
    assert.notEqual(p.generateHash(input('/', { 'x-user': 'bob' })), a);
    assert.equal(p.generateHash(input('/')), undefined);
  });

  it('header: repeated values hash alike whatever their order', () => {
    const p = policy('{ header: { header_name: x-tag } }');
    assert.equal(p.generateHash(input('/', { 'x-tag': ['b', 'a'] })), p.generateHash(input('/', { 'x-tag': ['a', 'b'] })));
  });

  it('header: regex_rewrite normalises the value first', () => {
    const p = policy('{ header: { header_name: ":path", regex_rewrite: { pattern: { regex: "\\\\?.*$" }, substitution: "" } } }');
    assert.equal(p.generateHash(input('/item?a=1')), p.generateHash(input('/item?b=2')));
    assert.equal(p.generateHash(input('/item?a=1')), hash64('/item'));
  });

  it('cookie: hashes the cookie value; without ttl a missing cookie gives no key', () => {
    const p = policy('{ cookie: { name: session } }');
    assert.equal(p.generateHash(input('/', { cookie: 'a=1; session="s-42"; b=2' })), hash64('s-42'));
    assert.equal(p.generateHash(input('/', { cookie: 'a=1' })), undefined);
    assert.equal(p.generateHash(input('/', { cookie: 'session=' })), undefined);
  });

  it('cookie with ttl: asks the router to set one and hashes its value', () => {
    const p = policy('{ cookie: { name: session, ttl: 3600s, path: /app, attributes: [{ name: SameSite, value: Lax }] } }');
    const calls: Array<[string, string | undefined, number, CookieAttribute[]]> = [];
    const key = p.generateHash({
      ...input('/'),
      addCookie: (name, path, ttl, attributes) => {
        calls.push([name, path, ttl, attributes]);
        return 'generated';
      },
    });
    assert.deepEqual(calls, [['session', '/app', 3600, [{ name: 'SameSite', value: 'Lax' }]]]);
    assert.equal(key, hash64('generated'));
  });

  it('source_ip hashes the peer address; source_ip: false adds nothing', () => {
    const p = policy('{ connection_properties: { source_ip: true } }');
    assert.equal(p.generateHash(input('/', {}, '192.0.2.7')), hash64('192.0.2.7'));
    assert.notEqual(p.generateHash(input('/', {}, '192.0.2.8')), hash64('192.0.2.7'));
    assert.equal(policy('{ connection_properties: { source_ip: false } }').generateHash(input('/')), undefined);
  });

  it('query_parameter hashes the first raw value', () => {
    const p = policy('{ query_parameter: { name: user } }');
    assert.equal(p.generateHash(input('/p?user=a%20b&user=c')), hash64('a%20b'));
    assert.equal(p.generateHash(input('/p?other=1')), undefined);
  });

  it('combines keys by rotating the previous one left and XOR-ing', () => {
    const p = policy('{ header: { header_name: x-a } }, { header: { header_name: x-b } }');
    assert.equal(p.generateHash(input('/', { 'x-a': '1', 'x-b': '2' })), rotl(hash64('1')) ^ hash64('2'));
    // the same rule twice does not cancel out
    const twice = policy('{ header: { header_name: x-a } }, { header: { header_name: x-a } }');
    assert.notEqual(twice.generateHash(input('/', { 'x-a': '1' })), 0n);
    // a policy that yields nothing is skipped
    assert.equal(p.generateHash(input('/', { 'x-b': '2' })), hash64('2'));
  });

  it('terminal stops at the first policy once a key exists', () => {
    const p = policy('{ header: { header_name: x-a }, terminal: true }, { header: { header_name: x-b } }');
    assert.equal(p.generateHash(input('/', { 'x-a': '1', 'x-b': '2' })), hash64('1'));
    // no key yet: evaluation goes on
    assert.equal(p.generateHash(input('/', { 'x-b': '2' })), hash64('2'));
    // a terminal policy after an earlier key also stops the rest
    const later = policy('{ header: { header_name: x-a } }, { header: { header_name: x-none }, terminal: true }, { header: { header_name: x-b } }');
    assert.equal(later.generateHash(input('/', { 'x-a': '1', 'x-b': '2' })), hash64('1'));
  });
});
