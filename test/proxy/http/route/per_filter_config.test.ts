// typed_per_filter_config as filters see it: compiled once by the owning filter's
// routeSpecificConfig when the table loads (bad config rejected with its path), the most
// specific level first, FilterConfig wrappers unwrapped with their `disabled` kept.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import '../../../../src/proxy/extensions/builtin.js';
import { CorsPolicy } from '../../../../src/proxy/filters/cors/policy.js';
import { assertRejected, request, table } from './fixtures.js';

const BUFFER = 'type.googleapis.com/envoy.extensions.filters.http.buffer.v3.BufferPerRoute';
const CORS = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';
const WRAPPER = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';

const CONFIG = `
typed_per_filter_config:
  envoy.filters.http.cors: { "@type": ${CORS}, allow_methods: GET }
virtual_hosts:
- name: vh
  domains: ["*"]
  typed_per_filter_config:
    envoy.filters.http.cors: { "@type": ${CORS}, max_age: "60" }
    envoy.filters.http.buffer: { "@type": ${BUFFER}, disabled: true }
  routes:
  - name: own
    match: { prefix: "/own" }
    route: { cluster: c }
    typed_per_filter_config:
      envoy.filters.http.cors: { "@type": ${CORS}, allow_headers: x-a }
  - name: wrapped
    match: { prefix: "/wrapped" }
    route: { cluster: c }
    typed_per_filter_config:
      envoy.filters.http.cors: { "@type": ${WRAPPER}, config: { "@type": ${CORS}, expose_headers: x-b } }
      envoy.filters.http.buffer: { "@type": ${WRAPPER}, disabled: true }
  - name: inherits
    match: { prefix: "/" }
    route: { cluster: c }`;

describe('typed_per_filter_config', () => {
  const t = table(CONFIG);
  const route = (path: string) => t.route(request('x', path))!;

  it('hands filters their compiled config, most specific level first', () => {
    const levels = route('/own').perFilterConfigs('envoy.filters.http.cors') as CorsPolicy[];
    assert.equal(levels.length, 3);
    assert.ok(levels.every((p) => p instanceof CorsPolicy));
    assert.deepEqual(levels.map((p) => [p.allowHeaders, p.maxAge, p.allowMethods]), [
      ['x-a', undefined, undefined],
      [undefined, '60', undefined],
      [undefined, undefined, 'GET'],
    ]);
    assert.equal(route('/own').perFilterConfig('envoy.filters.http.cors'), levels[0]);
    assert.equal((route('/').perFilterConfig('envoy.filters.http.cors') as CorsPolicy).maxAge, '60');
  });

  it('passes raw messages on for filters without a compiler', () => {
    assert.deepEqual(route('/').perFilterConfig('envoy.filters.http.buffer'), { '@type': BUFFER, disabled: true });
  });

  it('unwraps FilterConfig and keeps its disabled flag, most specific first', () => {
    const wrapped = route('/wrapped');
    assert.equal((wrapped.perFilterConfig('envoy.filters.http.cors') as CorsPolicy).exposeHeaders, 'x-b');
    assert.equal(wrapped.filterDisabled('envoy.filters.http.buffer'), true);
    assert.equal(wrapped.filterDisabled('envoy.filters.http.cors'), false);
    assert.equal(route('/').filterDisabled('envoy.filters.http.buffer'), undefined);
    assert.equal(t.hasFilterSwitches, true);
    assert.equal(table('virtual_hosts: [{ name: v, domains: ["*"] }]').hasFilterSwitches, false);
  });

  it('rejects a bad per-route config when the table loads, naming the field', () => {
    assertRejected(
      () => table(`virtual_hosts:
- name: vh
  domains: ["*"]
  routes:
  - match: { prefix: "/" }
    route: { cluster: c }
    typed_per_filter_config:
      envoy.filters.http.cors: { "@type": ${CORS}, allow_origin_string_match: [{ safe_regex: { regex: "(" } }] }`),
      /virtual_hosts\[0\]\.routes\[0\]\.typed_per_filter_config\["envoy\.filters\.http\.cors"\]\.allow_origin_string_match\[0\]\.safe_regex: invalid regex/,
    );
  });
});
