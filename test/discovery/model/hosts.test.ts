import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  compareHostSpecificity,
  hostMatches,
  hostsOverlap,
  isWildcard,
  mostSpecificMatch,
  resolveGatewayName,
  resolveHostname,
} from '../../../src/discovery/model/hosts.js';

describe('resolveHostname', () => {
  it('expands names without a dot in the given namespace', () => {
    assert.equal(resolveHostname('catalog', 'istioinaction'), 'catalog.istioinaction.svc.cluster.local');
    assert.equal(resolveHostname('catalog', 'istioinaction', 'corp.example'), 'catalog.istioinaction.svc.corp.example');
  });

  it('takes names with a dot, "*", and IP addresses as written', () => {
    assert.equal(resolveHostname('catalog.other', 'istioinaction'), 'catalog.other');
    assert.equal(resolveHostname('webapp.istioinaction.io', 'istioinaction'), 'webapp.istioinaction.io');
    assert.equal(resolveHostname('*.example.com', 'ns'), '*.example.com');
    assert.equal(resolveHostname('*', 'ns'), '*');
    assert.equal(resolveHostname('10.0.0.1', 'ns'), '10.0.0.1');
    assert.equal(resolveHostname('::1', 'ns'), '::1');
  });
});

describe('hostMatches', () => {
  const table: [string, string, boolean][] = [
    ['*', 'anything.example.com', true],
    ['*', '*.example.com', true],
    ['*.example.com', 'api.example.com', true],
    ['*.example.com', 'a.b.example.com', true],
    ['*.example.com', 'example.com', false],
    ['*.example.com', 'api.example.org', false],
    ['*.example.com', '*.api.example.com', true],
    ['*.api.example.com', '*.example.com', false],
    ['api.example.com', 'api.example.com', true],
    ['api.example.com', 'API.example.com', true],
    ['api.example.com', '*.example.com', false],
    ['api.example.com', 'web.example.com', false],
  ];
  for (const [pattern, host, want] of table) {
    it(`${pattern} ${want ? 'covers' : 'does not cover'} ${host}`, () => assert.equal(hostMatches(pattern, host), want));
  }

  it('hostsOverlap is symmetric where hostMatches is not', () => {
    assert.equal(hostsOverlap('*.api.example.com', '*.example.com'), true);
    assert.equal(hostsOverlap('*.example.com', '*.api.example.com'), true);
    assert.equal(hostsOverlap('api.example.com', '*.example.com'), true);
    assert.equal(hostsOverlap('*.example.com', 'example.com'), false);
    assert.equal(hostsOverlap('a.com', 'b.com'), false);
  });
});

describe('host specificity', () => {
  it('orders exact names first, then longer wildcards, then shorter', () => {
    const hosts = ['*', '*.example.com', 'api.example.com', '*.api.example.com', 'a.io'];
    assert.deepEqual([...hosts].sort(compareHostSpecificity), ['api.example.com', 'a.io', '*.api.example.com', '*.example.com', '*']);
    assert.equal(isWildcard('*.x'), true);
    assert.equal(isWildcard('x'), false);
  });

  it('mostSpecificMatch picks the exact host, else the longest covering wildcard', () => {
    const patterns = ['*', '*.example.com', '*.api.example.com', 'api.example.com'];
    assert.equal(mostSpecificMatch('api.example.com', patterns), 'api.example.com');
    assert.equal(mostSpecificMatch('v1.api.example.com', patterns), '*.api.example.com');
    assert.equal(mostSpecificMatch('web.example.com', patterns), '*.example.com');
    assert.equal(mostSpecificMatch('other.org', patterns), '*');
    assert.equal(mostSpecificMatch('other.org', ['*.example.com']), undefined);
  });
});

describe('resolveGatewayName', () => {
  it('resolves short, namespaced, legacy and mesh references', () => {
    assert.equal(resolveGatewayName('coolstore-gateway', 'istioinaction'), 'istioinaction/coolstore-gateway');
    assert.equal(resolveGatewayName('istio-system/ingress', 'istioinaction'), 'istio-system/ingress');
    assert.equal(resolveGatewayName('./ingress', 'istioinaction'), 'istioinaction/ingress');
    assert.equal(resolveGatewayName('ingress.istio-system.svc.cluster.local', 'istioinaction'), 'istio-system/ingress');
    assert.equal(resolveGatewayName('mesh', 'istioinaction'), 'mesh');
  });
});
