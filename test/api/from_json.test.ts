// The proto3 JSON walker: field names, well-known types, Any/TypedStruct, oneofs and
// the protoc-gen-validate rules Envoy's protos carry, with the exact messages users see.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { read, readErrors, readWarnings } from './helpers.js';

const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const SOCKET = 'envoy.config.core.v3.SocketAddress';
const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const HTTP_OPTIONS_URL = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const LB_POLICIES = 'ROUND_ROBIN, LEAST_REQUEST, RING_HASH, RANDOM, MAGLEV, CLUSTER_PROVIDED, LOAD_BALANCING_POLICY_CONFIG';

describe('field names', () => {
  it('accepts proto (snake_case) and JSON (lowerCamelCase) names, storing proto names', () => {
    const snake = read(CLUSTER, { name: 'a', connect_timeout: '5s', lb_policy: 'RANDOM' });
    const camel = read(CLUSTER, { name: 'a', connectTimeout: '5s', lbPolicy: 'RANDOM' });
    assert.deepEqual(camel, snake);
    assert.deepEqual(snake, { name: 'a', connect_timeout: { seconds: 5 }, lb_policy: 'RANDOM' });
  });

  it('rejects a field given under both names', () => {
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', lb_policy: 'RANDOM', lbPolicy: 'RANDOM' }), [
      'lb_policy: field "lb_policy" is set twice (as "lb_policy" and "lbPolicy")',
    ]);
  });

  it('rejects unknown fields, suggesting the closest name', () => {
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', conect_timeout: '1s', lbPolicyy: 'RANDOM', foo: 1 }), [
      'conect_timeout: unknown field "conect_timeout" in envoy.config.cluster.v3.Cluster (did you mean "connect_timeout"?)',
      'lbPolicyy: unknown field "lbPolicyy" in envoy.config.cluster.v3.Cluster (did you mean "lb_policy"?)',
      'foo: unknown field "foo" in envoy.config.cluster.v3.Cluster',
    ]);
  });

  it('explains fields that Envoy v3 removed (reserved names)', () => {
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', tls_context: {} }), [
      'tls_context: field "tls_context" was removed from envoy.config.cluster.v3.Cluster (it is reserved in Envoy\'s v3 API)',
    ]);
  });

  it('treats null as "not set"', () => {
    assert.deepEqual(read(CLUSTER, { name: 'a', lb_policy: null, connect_timeout: null, load_assignment: null }), { name: 'a' });
  });

  it('warns about deprecated fields', () => {
    assert.deepEqual(readWarnings(CLUSTER, { name: 'a', max_requests_per_connection: 5 }), [
      'max_requests_per_connection: field "max_requests_per_connection" of envoy.config.cluster.v3.Cluster is deprecated',
    ]);
  });
});

describe('scalars', () => {
  it('reads 64-bit integers from strings and numbers', () => {
    assert.deepEqual(read('envoy.type.v3.Int64Range', { start: '-5', end: 10 }), { start: -5, end: 10 });
    assert.deepEqual(read(CLUSTER, { name: 'a', ring_hash_lb_config: { minimum_ring_size: '1024' } }).ring_hash_lb_config, {
      minimum_ring_size: { value: 1024 },
    });
  });

  it('reads 32-bit integers from strings, and checks their range and sign', () => {
    assert.deepEqual(read(SOCKET, { address: '::1', port_value: '8080' }), { address: '::1', port_value: 8080 });
    assert.deepEqual(readErrors(SOCKET, { address: 'a', port_value: 1.5 }), ['port_value: expected an integer, got the number 1.5']);
    assert.deepEqual(readErrors(SOCKET, { address: 'a', port_value: -1 }), ['port_value: expected a non-negative integer, got -1']);
    assert.deepEqual(readErrors(SOCKET, { address: 'a', port_value: '80x' }), ['port_value: expected an integer, got the string "80x"']);
    assert.deepEqual(readErrors('envoy.config.route.v3.RetryPolicy', { num_retries: 5000000000 }), [
      'num_retries: integer 5000000000 is out of range for uint32',
    ]);
  });

  it('reads booleans and rejects other text', () => {
    assert.deepEqual(read(SOCKET, { address: 'a', port_value: 1, ipv4_compat: true }), { address: 'a', port_value: 1, ipv4_compat: true });
    assert.deepEqual(readErrors(SOCKET, { address: 'a', port_value: 1, ipv4_compat: 'yes' }), [
      'ipv4_compat: expected true or false, got the string "yes"',
    ]);
  });

  it('reads bytes as base64 (standard or URL-safe)', () => {
    const ds = read<{ inline_bytes: Buffer }>('envoy.config.core.v3.DataSource', { inline_bytes: 'aGVsbG8=' });
    assert.equal(ds.inline_bytes.toString(), 'hello');
    const urlSafe = read<{ inline_bytes: Buffer }>('envoy.config.core.v3.DataSource', { inline_bytes: '-_8' });
    assert.deepEqual([...urlSafe.inline_bytes], [0xfb, 0xff]);
    assert.deepEqual(readErrors('envoy.config.core.v3.DataSource', { inline_bytes: 'not base64!' }), ['inline_bytes: expected base64 text']);
  });

  it('accepts a number for a string field (YAML reads `name: 8080` as a number)', () => {
    assert.equal(read(CLUSTER, { name: 8080 }).name, '8080');
  });
});

describe('well-known types', () => {
  it('reads durations in proto3 JSON form', () => {
    const timeout = (t: unknown) => read(CLUSTER, { name: 'a', connect_timeout: t }).connect_timeout;
    assert.deepEqual(timeout('5s'), { seconds: 5 });
    assert.deepEqual(timeout('0.25s'), { nanos: 250_000_000 });
    assert.deepEqual(timeout('1.000s'), { seconds: 1 });
    assert.deepEqual(timeout('0.000000001s'), { nanos: 1 });
  });

  it('rejects durations without a unit, suggesting the fix', () => {
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', connect_timeout: '5' }), [
      'connect_timeout: expected a duration such as "5s" or "0.25s", got the string "5" (did you mean "5s"?)',
    ]);
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', connect_timeout: 0.5 }), [
      'connect_timeout: expected a duration such as "5s" or "0.25s", got the number 0.5 (did you mean "0.5s"?)',
    ]);
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', connect_timeout: '1m' }), [
      'connect_timeout: expected a duration such as "5s" or "0.25s", got the string "1m"',
    ]);
  });

  it('reads wrappers from the bare value and rejects the {value} form', () => {
    assert.deepEqual(read(CLUSTER, { name: 'a', per_connection_buffer_limit_bytes: 32768 }).per_connection_buffer_limit_bytes, { value: 32768 });
    assert.deepEqual(read(HCM, { stat_prefix: 'x', route_config: {}, normalize_path: true }).normalize_path, { value: true });
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', per_connection_buffer_limit_bytes: { value: 5 } }), [
      'per_connection_buffer_limit_bytes: expected an integer, got an object',
    ]);
  });

  it('passes Struct and Value through as plain JSON', () => {
    const metadata = { version: 'v1', weights: [1, 2.5], nested: { on: true, off: null } };
    assert.deepEqual(read('envoy.config.core.v3.Node', { id: 'n', metadata }).metadata, metadata);
    const pair = 'envoy.extensions.filters.http.json_to_metadata.v3.JsonToMetadata.KeyValuePair';
    assert.deepEqual(read(pair, { key: 'k', value: null }), { key: 'k', value: null });
    assert.deepEqual(read(pair, { key: 'k', value: ['a', 1] }), { key: 'k', value: ['a', 1] });
    assert.deepEqual(readErrors('envoy.config.core.v3.Node', { metadata: [1] }), ['metadata: expected an object, got a list']);
  });
});

describe('enums', () => {
  it('accepts names and numbers (numbers are stored as names)', () => {
    assert.equal(read(CLUSTER, { name: 'a', lb_policy: 'MAGLEV' }).lb_policy, 'MAGLEV');
    assert.equal(read(CLUSTER, { name: 'a', lb_policy: 3 }).lb_policy, 'RANDOM');
  });

  it('rejects unknown names with a suggestion and the list of values', () => {
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', lb_policy: 'ROUND_ROBBIN' }), [
      `lb_policy: unknown enum value "ROUND_ROBBIN" (did you mean "ROUND_ROBIN"?); envoy.config.cluster.v3.Cluster.LbPolicy has ${LB_POLICIES}`,
    ]);
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', lb_policy: 'random' }), [
      `lb_policy: unknown enum value "random" (did you mean "RANDOM"?); envoy.config.cluster.v3.Cluster.LbPolicy has ${LB_POLICIES}`,
    ]);
  });

  it('rejects undefined numbers where the field is defined_only', () => {
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', lb_policy: 99 }), [
      `lb_policy: 99 is not a defined value of envoy.config.cluster.v3.Cluster.LbPolicy (${LB_POLICIES})`,
    ]);
  });
});

describe('Any and TypedStruct', () => {
  const withOptions = (config: unknown) => ({ name: 'a', typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': config } });
  const optionsOf = (cluster: Record<string, unknown>) =>
    (cluster.typed_extension_protocol_options as Record<string, unknown>)['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
  const h2 = { '@type': HTTP_OPTIONS_URL, explicit_http_config: { http2_protocol_options: {} } };

  it('reads an Any as its packed message, keeping "@type"', () => {
    assert.deepEqual(optionsOf(read(CLUSTER, withOptions(h2))), h2);
  });

  it('checks the packed message against its own schema', () => {
    assert.deepEqual(readErrors(CLUSTER, withOptions({ '@type': HTTP_OPTIONS_URL, explicit_http_config: { http2_options: {} } })), [
      'typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.explicit_http_config.http2_options: ' +
        'unknown field "http2_options" in envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig (did you mean "http2_protocol_options"?)',
      'typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.explicit_http_config: ' +
        'one of "http_protocol_options", "http2_protocol_options", "http3_protocol_options" is required in envoy.extensions.upstreams.http.v3.HttpProtocolOptions.ExplicitHttpConfig',
    ]);
  });

  it('rejects a missing, malformed or unknown "@type"', () => {
    const at = 'typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
    assert.deepEqual(readErrors(CLUSTER, withOptions({ explicit_http_config: {} })), [
      `${at}: missing "@type" (the type URL of the config inside, e.g. "type.googleapis.com/${HCM}")`,
    ]);
    assert.deepEqual(readErrors(CLUSTER, withOptions({ '@type': 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions' })), [
      `${at}.@type: invalid type URL "envoy.extensions.upstreams.http.v3.HttpProtocolOptions": type URLs have the form ${HTTP_OPTIONS_URL}`,
    ]);
    assert.deepEqual(readErrors(CLUSTER, withOptions({ '@type': 'type.googleapis.com/acme.Nope' })), [
      `${at}.@type: unknown type URL "type.googleapis.com/acme.Nope"`,
    ]);
    assert.deepEqual(readErrors(CLUSTER, withOptions({ '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOption' })), [
      `${at}.@type: unknown type URL "type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOption" (did you mean "${HTTP_OPTIONS_URL}"?)`,
    ]);
    assert.deepEqual(readErrors(CLUSTER, withOptions({ '@type': 5 })), [`${at}.@type: expected a type URL string, got the number 5`]);
  });

  it('names the v3 API when a v2 type is used', () => {
    const filter = { name: 'hcm', typed_config: { '@type': 'type.googleapis.com/envoy.config.filter.network.http_connection_manager.v2.HttpConnectionManager' } };
    assert.deepEqual(readErrors('envoy.config.listener.v3.Filter', filter), [
      'typed_config.@type: unknown type URL "type.googleapis.com/envoy.config.filter.network.http_connection_manager.v2.HttpConnectionManager": ' +
        "Envoy's v2 API is not supported; use the v3 type",
    ]);
  });

  for (const structType of ['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct']) {
    it(`converts a ${structType} to the message it describes`, () => {
      const typed = { '@type': `type.googleapis.com/${structType}`, type_url: HTTP_OPTIONS_URL, value: { explicit_http_config: { http2_protocol_options: {} } } };
      assert.deepEqual(optionsOf(read(CLUSTER, withOptions(typed))), h2);
      const bad = { ...typed, value: { explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 0 } } } };
      assert.deepEqual(readErrors(CLUSTER, withOptions(bad)), [
        'typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions.value.explicit_http_config.http2_protocol_options.max_concurrent_streams: ' +
          'value must be at least 1 and at most 2147483647, got 0',
      ]);
    });
  }

  it('rejects a TypedStruct without type_url or with unknown fields', () => {
    const at = 'typed_extension_protocol_options.envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
    assert.deepEqual(readErrors(CLUSTER, withOptions({ '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', value: {} })), [
      `${at}: TypedStruct needs "type_url" (the type of the message in "value")`,
    ]);
    assert.deepEqual(readErrors(CLUSTER, withOptions({ '@type': 'type.googleapis.com/xds.type.v3.TypedStruct', type_url: HTTP_OPTIONS_URL, valu: {} })), [
      `${at}.valu: unknown field "valu" in TypedStruct (did you mean "value"?)`,
      // with "value" misspelled the message is empty, which HttpProtocolOptions does not allow
      `${at}.value: one of "explicit_http_config", "use_downstream_protocol_config", "auto_config" is required in envoy.extensions.upstreams.http.v3.HttpProtocolOptions`,
    ]);
  });

  it('reads well-known payloads of an Any from "value"', () => {
    const log = (typed_config: unknown) => read('envoy.config.accesslog.v3.AccessLog', { name: 'x', typed_config }).typed_config;
    assert.deepEqual(log({ '@type': 'type.googleapis.com/google.protobuf.Struct', value: { a: 1 } }), {
      '@type': 'type.googleapis.com/google.protobuf.Struct',
      value: { a: 1 },
    });
    assert.deepEqual(log({ '@type': 'type.googleapis.com/google.protobuf.Duration', value: '1.5s' }), {
      '@type': 'type.googleapis.com/google.protobuf.Duration',
      value: { seconds: 1, nanos: 500_000_000 },
    });
  });
});

describe('oneofs', () => {
  it('rejects two members of one oneof', () => {
    assert.deepEqual(readErrors(SOCKET, { address: 'a', port_value: 80, named_port: 'http' }), [
      'named_port: only one of "port_value", "named_port" may be set; found "port_value" and "named_port"',
    ]);
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', type: 'STATIC', cluster_type: { name: 'x' } }), [
      'cluster_type: only one of "type", "cluster_type" may be set; found "type" and "cluster_type"',
    ]);
  });

  it('requires one member of a required oneof', () => {
    assert.deepEqual(readErrors(SOCKET, { address: 'a' }), ['one of "port_value", "named_port" is required in envoy.config.core.v3.SocketAddress']);
    assert.deepEqual(readErrors('envoy.config.route.v3.Route', { match: { prefix: '/' } }), [
      'one of "route", "redirect", "direct_response", "filter_action", "non_forwarding_action" is required in envoy.config.route.v3.Route',
    ]);
  });
});

describe('protoc-gen-validate rules', () => {
  it('string min_len', () => {
    assert.deepEqual(readErrors(CLUSTER, { name: '' }), ['name: value is required (must not be empty)']);
    assert.deepEqual(readErrors(CLUSTER, {}), ['name: field "name" is required in envoy.config.cluster.v3.Cluster']);
    assert.deepEqual(readErrors(HCM, { route_config: {} }), [`stat_prefix: field "stat_prefix" is required in ${HCM}`]);
  });

  it('uint32 lte', () => {
    assert.deepEqual(readErrors(SOCKET, { address: 'a', port_value: 70000 }), ['port_value: value must be at most 65535, got 70000']);
  });

  it('uint32 range on a wrapper', () => {
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', common_lb_config: { healthy_panic_threshold: { value: 150 } } }), [
      'common_lb_config.healthy_panic_threshold.value: value must be at least 0 and at most 100, got 150',
    ]);
  });

  it('duration gt', () => {
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', connect_timeout: '0s' }), ['connect_timeout: value must be greater than 0s, got 0s']);
    assert.deepEqual(readErrors(CLUSTER, { name: 'a', dns_refresh_rate: '0.0005s' }), [
      'dns_refresh_rate: value must be greater than 0.001s, got 0.000500s',
    ]);
  });

  it('repeated min_items', () => {
    assert.deepEqual(readErrors('envoy.config.route.v3.VirtualHost', { name: 'v', domains: [] }), ['domains: at least 1 item(s) required']);
    assert.deepEqual(readErrors('envoy.config.route.v3.VirtualHost', { name: 'v' }), [
      'domains: field "domains" needs at least 1 item(s) in envoy.config.route.v3.VirtualHost',
    ]);
  });

  it('message required', () => {
    assert.deepEqual(readErrors('envoy.config.route.v3.Route', { route: { cluster: 'c' } }), [
      'match: field "match" is required in envoy.config.route.v3.Route',
    ]);
    assert.deepEqual(readErrors('envoy.config.core.v3.HealthCheck', { timeout: '1s', interval: '1s', http_health_check: { path: '/' } }), [
      'unhealthy_threshold: field "unhealthy_threshold" is required in envoy.config.core.v3.HealthCheck',
      'healthy_threshold: field "healthy_threshold" is required in envoy.config.core.v3.HealthCheck',
    ]);
  });

  it('enum defined_only', () => {
    assert.deepEqual(readErrors(HCM, { stat_prefix: 'x', route_config: {}, codec_type: 17 }), [
      `codec_type: 17 is not a defined value of ${HCM}.CodecType (AUTO, HTTP1, HTTP2, HTTP3)`,
    ]);
  });

  it('well-known regex HTTP_HEADER_NAME (strict and loose)', () => {
    const upstream = 'envoy.config.core.v3.UpstreamHttpProtocolOptions';
    assert.deepEqual(readErrors(upstream, { override_auto_sni_header: 'bad header' }), [
      'override_auto_sni_header: value is not a valid HTTP header name',
    ]);
    assert.deepEqual(read(upstream, { override_auto_sni_header: 'x-sni' }), { override_auto_sni_header: 'x-sni' });
    // ignore_empty: the empty string is the default, so no rule applies
    assert.deepEqual(read(upstream, { override_auto_sni_header: '' }), { override_auto_sni_header: '' });
    // strict: false only forbids NUL, CR and LF
    const routes = 'envoy.config.route.v3.RouteConfiguration';
    assert.deepEqual(read(routes, { request_headers_to_remove: ['x-a'] }), { request_headers_to_remove: ['x-a'] });
    assert.deepEqual(readErrors(routes, { request_headers_to_remove: ['x-a', 'x\nb'] }), [
      'request_headers_to_remove[1]: value is not a valid HTTP header name',
    ]);
  });

  it('reports every problem in one message, not just the first', () => {
    const errors = readErrors(CLUSTER, { name: '', connect_timeout: '5', lb_policy: 'FASTEST', typo: 1 });
    assert.equal(errors.length, 4);
  });
});
