// The proto3 JSON printer behind /config_dump (proto names) and -o json (camelCase):
// what it prints reads back to the same message, and secrets never leave.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BOOTSTRAP_TYPE, loadBootstrap } from '../../src/api/bootstrap.js';
import { readMessageFromJson } from '../../src/api/json/from-json.js';
import { anyToJson, messageToJson } from '../../src/api/json/to-json.js';
import { fixture } from '../helpers/paths.js';
import { read } from './helpers.js';

const FULL = fixture('config', 'printer', 'full.yaml');
const loadFull = () => loadBootstrap({ configPath: FULL }).bootstrap;
const at = (v: unknown, ...path: Array<string | number>): any => path.reduce((x: any, k) => x?.[k], v);

describe('printer round trip', () => {
  for (const camelCase of [false, true]) {
    it(`prints ${camelCase ? 'camelCase' : 'proto'} names that parse back to the same message`, () => {
      const bootstrap = loadFull();
      const printed = messageToJson(BOOTSTRAP_TYPE, bootstrap, { camelCase, redact: false });
      // through real JSON text, as a client of /config_dump would see it
      const reparsed = readMessageFromJson(BOOTSTRAP_TYPE, JSON.parse(JSON.stringify(printed))).message;
      assert.deepEqual(reparsed, bootstrap);
      const keys = JSON.stringify(printed);
      if (camelCase) {
        assert.ok(keys.includes('"staticResources"') && keys.includes('"connectTimeout"') && !keys.includes('"static_resources"'));
      } else {
        assert.ok(keys.includes('"static_resources"') && keys.includes('"connect_timeout"') && !keys.includes('"staticResources"'));
      }
    });
  }

  it('round-trips the seed configs', () => {
    for (const name of ['simple.yaml', 'simple_change_timeout.yaml', 'simple_retry.yaml']) {
      const bootstrap = loadBootstrap({ configPath: fixture('seeds', name) }).bootstrap;
      const printed = JSON.parse(JSON.stringify(messageToJson(BOOTSTRAP_TYPE, bootstrap)));
      assert.deepEqual(readMessageFromJson(BOOTSTRAP_TYPE, printed).message, bootstrap, name);
    }
  });
});

describe('printed forms', () => {
  const printed = () => messageToJson(BOOTSTRAP_TYPE, loadFull()) as Record<string, any>;

  it('prints 64-bit integers as strings and 32-bit ones as numbers', () => {
    const out = printed();
    const cluster = at(out, 'static_resources', 'clusters', 0);
    assert.equal(cluster.ring_hash_lb_config.minimum_ring_size, '1024');
    assert.equal(cluster.ring_hash_lb_config.maximum_ring_size, '8192');
    const range = at(out, 'static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config', 'route_config', 'virtual_hosts', 0, 'routes', 0, 'match', 'headers', 0, 'range_match');
    assert.deepEqual(range, { start: '1', end: '9007199254740991' });
    assert.equal(at(out, 'admin', 'address', 'socket_address', 'port_value'), 9901);
    assert.equal(cluster.circuit_breakers.thresholds[0].max_connections, 10);
  });

  it('formats durations as proto3 JSON strings', () => {
    const out = printed();
    assert.equal(out.stats_flush_interval, '1.500s');
    assert.equal(at(out, 'static_resources', 'clusters', 0, 'connect_timeout'), '0.250s');
    const hcm = at(out, 'static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config');
    assert.equal(hcm.common_http_protocol_options.idle_timeout, '300s');
    assert.deepEqual(hcm.route_config.virtual_hosts[0].routes[0].route.retry_policy, { retry_on: '5xx', num_retries: 2, per_try_timeout: '0.100s' });
    assert.equal(messageToJson('google.protobuf.Duration', { seconds: 1, nanos: 1 }), '1.000000001s');
    assert.equal(messageToJson('google.protobuf.Duration', { seconds: -1, nanos: -500_000_000 }), '-1.500s');
  });

  it('prints enums by name, wrappers as bare values, bytes as base64, Any with "@type"', () => {
    const out = printed();
    const hcm = at(out, 'static_resources', 'listeners', 0, 'filter_chains', 0, 'filters', 0, 'typed_config');
    assert.equal(hcm['@type'], 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager');
    assert.equal(hcm.codec_type, 'AUTO');
    assert.equal(hcm.normalize_path, true);
    assert.deepEqual(hcm.route_config.virtual_hosts[0].routes[1].direct_response.body, { inline_bytes: 'aGVsbG8gd29ybGQ=' });
    // the TypedStruct was converted to the Router it describes
    assert.deepEqual(hcm.http_filters[0].typed_config, {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
      suppress_envoy_headers: true,
    });
    assert.equal(at(out, 'static_resources', 'clusters', 0, 'lb_policy'), 'RING_HASH');
  });

  it('prints fields in declaration order', () => {
    const cluster = at(printed(), 'static_resources', 'clusters', 0);
    assert.deepEqual(Object.keys(cluster).slice(0, 4), ['name', 'type', 'connect_timeout', 'lb_policy']);
  });
});

describe('redaction of sensitive fields', () => {
  it('redacts inline private keys like Envoy ("[redacted]", base64 of it for bytes)', () => {
    const out = messageToJson(BOOTSTRAP_TYPE, loadFull()) as Record<string, any>;
    const tls = at(out, 'static_resources', 'listeners', 0, 'filter_chains', 0, 'transport_socket', 'typed_config', 'common_tls_context', 'tls_certificates', 0);
    assert.deepEqual(tls.private_key, { inline_string: '[redacted]' });
    assert.match(tls.certificate_chain.inline_string, /BEGIN CERTIFICATE/);
    const secret = at(out, 'static_resources', 'secrets', 0, 'tls_certificate');
    assert.deepEqual(secret.private_key, { inline_bytes: Buffer.from('[redacted]').toString('base64') });
    assert.deepEqual(secret.certificate_chain, { filename: '/etc/certs/cert.pem' });
    assert.ok(!JSON.stringify(out).includes('SECRET') && !JSON.stringify(out).includes('c2VjcmV0LWtleQ=='));
  });

  it('redacts in camelCase output too', () => {
    const out = messageToJson(BOOTSTRAP_TYPE, loadFull(), { camelCase: true }) as Record<string, any>;
    assert.deepEqual(at(out, 'staticResources', 'secrets', 0, 'tlsCertificate', 'privateKey'), { inlineBytes: 'W3JlZGFjdGVkXQ==' });
  });

  it('redacts every entry of a repeated sensitive field, keeping the list shape', () => {
    const keys = read('envoy.extensions.transport_sockets.tls.v3.TlsSessionTicketKeys', {
      keys: [{ inline_bytes: Buffer.alloc(80, 1).toString('base64') }, { filename: '/etc/ticket.key' }],
    });
    assert.deepEqual(messageToJson('envoy.extensions.transport_sockets.tls.v3.TlsSessionTicketKeys', keys), {
      keys: [{ inline_bytes: 'W3JlZGFjdGVkXQ==' }, { filename: '[redacted]' }],
    });
  });

  it('redacts inside Any values', () => {
    const secret = read<Record<string, unknown>>('envoy.extensions.transport_sockets.tls.v3.Secret', {
      name: 's',
      generic_secret: { secret: { inline_string: 'hunter2' } },
    });
    const any = { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret', ...secret };
    assert.deepEqual(anyToJson(any), {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
      name: 's',
      generic_secret: { secret: { inline_string: '[redacted]' } },
    });
  });

  it('prints secrets when asked (redact: false)', () => {
    const out = messageToJson(BOOTSTRAP_TYPE, loadFull(), { redact: false }) as Record<string, any>;
    assert.deepEqual(at(out, 'static_resources', 'secrets', 0, 'tls_certificate', 'private_key'), { inline_bytes: 'c2VjcmV0LWtleQ==' });
  });
});
