// request/response_headers_to_add and _to_remove: append actions, the deprecated
// `append`, empty values, format operators, removal, and what config is refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeaderMap } from '../../../../src/proxy/http/header_map.js';
import { HeaderMutations } from '../../../../src/proxy/http/route/header_mutations.js';
import { StreamInfo } from '../../../../src/proxy/http/stream_info.js';
import type { FormatContext } from '../../../../src/proxy/observability/formatter/types.js';
import { assertRejected, request, routeConfig } from './fixtures.js';

/** Mutations as a virtual host would hold them, from YAML lists. */
function mutations(add: string, remove = '[]'): HeaderMutations {
  const config = routeConfig(`request_headers_to_add: ${add}\nrequest_headers_to_remove: ${remove}`);
  return HeaderMutations.compile(config.request_headers_to_add, config.request_headers_to_remove, 'route_config', 'request_headers_to_add');
}

function applied(m: HeaderMutations, headers: Record<string, string | string[]>): Array<[string, string]> {
  const h = HeaderMap.from(headers);
  const ctx: FormatContext = { streamInfo: new StreamInfo('10.0.0.2:8080', '192.0.2.9:5555'), requestHeaders: h };
  m.apply(h, ctx);
  return [...h];
}

describe('header mutations', () => {
  it('append_action: APPEND_IF_EXISTS_OR_ADD (the default) adds another value', () => {
    const m = mutations('[{ header: { key: x-a, value: new } }]');
    assert.deepEqual(applied(m, { 'x-a': 'old' }), [['x-a', 'old'], ['x-a', 'new']]);
    assert.deepEqual(applied(m, {}), [['x-a', 'new']]);
  });

  it('append_action: ADD_IF_ABSENT leaves an existing header alone', () => {
    const m = mutations('[{ header: { key: x-a, value: new }, append_action: ADD_IF_ABSENT }]');
    assert.deepEqual(applied(m, { 'x-a': 'old' }), [['x-a', 'old']]);
    assert.deepEqual(applied(m, {}), [['x-a', 'new']]);
  });

  it('append_action: OVERWRITE_IF_EXISTS_OR_ADD replaces every value or adds', () => {
    const m = mutations('[{ header: { key: x-a, value: new }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }]');
    assert.deepEqual(applied(m, { 'x-a': ['1', '2'] }), [['x-a', 'new']]);
    assert.deepEqual(applied(m, {}), [['x-a', 'new']]);
  });

  it('append_action: OVERWRITE_IF_EXISTS only replaces', () => {
    const m = mutations('[{ header: { key: x-a, value: new }, append_action: OVERWRITE_IF_EXISTS }]');
    assert.deepEqual(applied(m, { 'x-a': 'old' }), [['x-a', 'new']]);
    assert.deepEqual(applied(m, {}), []);
  });

  it('the deprecated append: true appends, append: false overwrites', () => {
    assert.deepEqual(applied(mutations('[{ header: { key: x-a, value: new }, append: true }]'), { 'x-a': 'old' }), [['x-a', 'old'], ['x-a', 'new']]);
    assert.deepEqual(applied(mutations('[{ header: { key: x-a, value: new }, append: false }]'), { 'x-a': 'old' }), [['x-a', 'new']]);
  });

  it('append may be combined only with the default append_action', () => {
    mutations('[{ header: { key: x-a, value: v }, append: false, append_action: APPEND_IF_EXISTS_OR_ADD }]');
    assertRejected(() => mutations('[{ header: { key: x-a, value: v }, append: true, append_action: ADD_IF_ABSENT }]'), /both "append" and "append_action"/);
  });

  it('drops an empty value unless keep_empty_value', () => {
    assert.deepEqual(applied(mutations('[{ header: { key: x-a, value: "" } }]'), {}), []);
    assert.deepEqual(applied(mutations('[{ header: { key: x-a, value: "" }, keep_empty_value: true }]'), {}), [['x-a', '']]);
    // an operator that renders to nothing counts as empty
    assert.deepEqual(applied(mutations('[{ header: { key: x-a, value: "%REQ(x-missing)%" } }]'), {}), []);
    assert.deepEqual(applied(mutations('[{ header: { key: x-a, value: "%REQ(x-missing)%" }, keep_empty_value: true }]'), {}), [['x-a', '']]);
  });

  it('renders format operators per request', () => {
    const m = mutations(`
- { header: { key: x-client, value: "%DOWNSTREAM_REMOTE_ADDRESS%" } }
- { header: { key: x-client-ip, value: "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%" } }
- { header: { key: x-copy, value: "id=%REQ(x-foo)%;100%%" } }`);
    assert.deepEqual(applied(m, { 'x-foo': 'bar' }), [
      ['x-foo', 'bar'],
      ['x-client', '192.0.2.9:5555'],
      ['x-client-ip', '192.0.2.9'],
      ['x-copy', 'id=bar;100%'],
    ]);
  });

  it('renders every value against the headers as they were before this level applied', () => {
    const m = mutations(`
- { header: { key: x-a, value: first }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }
- { header: { key: x-b, value: "%REQ(x-a)%" } }
- { header: { key: x-c, value: one }, append_action: ADD_IF_ABSENT }
- { header: { key: x-c, value: two }, append_action: ADD_IF_ABSENT }`);
    assert.deepEqual(applied(m, { 'x-a': 'orig' }), [
      ['x-a', 'first'],
      ['x-b', 'orig'],
      ['x-c', 'one'],
      ['x-c', 'two'],
    ]);
  });

  it('sets overwrites before it adds appends', () => {
    const m = mutations(`
- { header: { key: x-a, value: appended } }
- { header: { key: x-a, value: replaced }, append_action: OVERWRITE_IF_EXISTS_OR_ADD }`);
    assert.deepEqual(applied(m, { 'x-a': 'orig' }), [['x-a', 'replaced'], ['x-a', 'appended']]);
  });

  it('removes headers (any case) before adding', () => {
    const m = mutations('[{ header: { key: x-a, value: fresh } }]', '[X-A, x-secret]');
    assert.deepEqual(applied(m, { 'x-a': 'stale', 'x-secret': 's', keep: 'k' }), [['keep', 'k'], ['x-a', 'fresh']]);
  });

  it('refuses to add, set or remove pseudo-headers and host', () => {
    assertRejected(() => mutations('[{ header: { key: ":path", value: "/x" } }]'), /":"-prefixed or host headers may not be modified/);
    assertRejected(() => mutations('[{ header: { key: Host, value: h } }]'), /may not be modified \("host"\)/);
    assertRejected(() => mutations('[]', '[":authority"]'), /may not be removed/);
  });

  it('reports a bad format operator with the field path', () => {
    const err = assertRejected(() => mutations('[{ header: { key: x-a, value: "%NOT_AN_OPERATOR%" } }]'), /NOT_AN_OPERATOR/);
    assert.equal(err.issues[0]!.path, 'route_config.request_headers_to_add[0].header.value');
  });

  it('applies to a real request header map the way the router uses it', () => {
    const h = request('shop.com', '/');
    mutations('[{ header: { key: x-routed, value: "yes" } }]').apply(h, { streamInfo: new StreamInfo('a:1', 'b:2') });
    assert.equal(h.get('x-routed'), 'yes');
  });
});

