// Unit tests of the engine's pure parts: resource decoding, config-source mapping,
// backoff bounds, token bucket, and the declared stat names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { messageToBinary, packAny } from '../../../src/api/proto/binary.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../../src/api/xds/resource_types.js';
import { JitteredBackoff } from '../../../src/proxy/xds/backoff.js';
import { initialFetchTimeoutMs, xdsSourceKind, xdsTarget } from '../../../src/proxy/xds/config_source.js';
import { decodeDeltaResources, decodeSotwResources, RejectedUpdate } from '../../../src/proxy/xds/decode.js';
import { CONTROL_PLANE_STATS, SUBSCRIPTION_STATS, versionHash } from '../../../src/proxy/xds/stats.js';
import { TokenBucket } from '../../../src/proxy/xds/token_bucket.js';
import { perTypeMethod, RESOURCE_WRAPPER_TYPE, truncateErrorDetail } from '../../../src/proxy/xds/wire.js';
import { cluster, endpoints, listener } from './helpers.js';

const rejection = (fn: () => unknown): RejectedUpdate => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RejectedUpdate, String(err));
    return err;
  }
  assert.fail('expected a rejection');
};

test('decode: resources come out validated, named, without @type', () => {
  const [c] = decodeSotwResources(CLUSTER_TYPE, [packAny(cluster('a'))]);
  assert.equal(c!.name, 'a');
  assert.equal(c!.resource['@type'], undefined);
  assert.deepEqual(c!.resource.connect_timeout, { seconds: 1 });
  const [e] = decodeSotwResources(ENDPOINT_TYPE, [packAny(endpoints('outbound|80||a'))]);
  assert.equal(e!.name, 'outbound|80||a', 'ClusterLoadAssignment is named by cluster_name');
});

test('decode: a Resource wrapper gives name; a wrapper without resource is a heartbeat', () => {
  const wrapped = {
    '@type': RESOURCE_WRAPPER_TYPE,
    name: 'a',
    version: '3',
    resource: cluster('a'),
  };
  const heartbeat = { '@type': RESOURCE_WRAPPER_TYPE, name: 'b', version: '3' };
  const out = decodeSotwResources(CLUSTER_TYPE, [packAny(wrapped), packAny(heartbeat)]);
  assert.deepEqual(out.map((r) => r.name), ['a']);
});

test('decode: problems of every resource are listed, the first named one is remembered', () => {
  const bad = { ...cluster('bad'), connect_timeout: { seconds: -1 } };
  const noName = { '@type': LISTENER_TYPE, address: listener('x').address };
  const err = rejection(() => decodeSotwResources(CLUSTER_TYPE, [packAny(cluster('ok')), packAny(bad)]));
  assert.equal(err.message, 'Cluster "bad": connect_timeout: value must be greater than 0s, got -1s');
  assert.equal(err.resourceName, 'bad');
  assert.equal((err.failedConfiguration as { '@type': string })['@type'], CLUSTER_TYPE);
  const two = rejection(() => decodeSotwResources(LISTENER_TYPE, [packAny(noName), packAny(listener('l', 1, ''))]));
  assert.deepEqual(two.message.split('\n'), [
    'resources[0]: Listener has no name',
    'Listener "l": filter_chains[0].filters[0].name: value is required (must not be empty)',
  ]);
});

test('decode: an Any of a type nobody knows is a NACK, not a stream failure', () => {
  const unknown = { type_url: CLUSTER_TYPE, value: Uint8Array.from([0x0a, 0x03, 0x61]) }; // truncated bytes
  const err = rejection(() => decodeSotwResources(CLUSTER_TYPE, [unknown]));
  assert.match(err.message, /^resources\[0\]: cannot decode Cluster: /);
});

test('decode: delta resources keep their version; Resource.name wins', () => {
  const out = decodeDeltaResources(ENDPOINT_TYPE, [{ name: 'c1', version: '9', resource: packAny(endpoints('c1')) }], ['gone']);
  assert.deepEqual(out.map((r) => [r.name, r.version]), [['c1', '9']]);
  const dup = rejection(() =>
    decodeDeltaResources(ENDPOINT_TYPE, [
      { name: 'c1', version: '1', resource: packAny(endpoints('c1')) },
      { name: 'c1', version: '2', resource: packAny(endpoints('c1')) },
    ], []),
  );
  assert.match(dup.message, /duplicate ClusterLoadAssignment "c1"/);
});

test('config source: api_type maps to transport and aggregation; REST is refused', () => {
  assert.deepEqual(xdsSourceKind({ api_type: 'AGGREGATED_DELTA_GRPC', set_node_on_first_message_only: true }), {
    transport: 'delta',
    aggregated: true,
    setNodeOnFirstMessageOnly: true,
  });
  assert.deepEqual(xdsSourceKind({ api_type: 'GRPC' }), { transport: 'sotw', aggregated: false, setNodeOnFirstMessageOnly: false });
  assert.throws(() => xdsSourceKind({ api_type: 'REST' }), /api_config_source\.api_type: api_type REST is not supported/);
  assert.equal(initialFetchTimeoutMs(undefined), 15_000);
  assert.equal(initialFetchTimeoutMs({ initial_fetch_timeout: {} }), 0);
  assert.equal(initialFetchTimeoutMs({ initial_fetch_timeout: { seconds: 2 } }), 2000);
});

test('config source: envoy_grpc resolves through the cluster manager, google_grpc parses target_uri', () => {
  const viaCluster = xdsTarget(
    { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' }, initial_metadata: [{ key: 'X-Token', value: 't' }] }] },
    (name) => ({ addresses: [{ host: name === 'xds-grpc' ? '10.0.0.9' : '?', port: 15010 }] }),
  );
  assert.deepEqual(viaCluster, { addresses: [{ host: '10.0.0.9', port: 15010 }], metadata: { 'x-token': 't' } });
  const direct = xdsTarget({ grpc_services: [{ google_grpc: { target_uri: 'dns:///istiod.istio-system.svc:15012' } }] }, () => assert.fail());
  assert.deepEqual(direct.addresses, [{ host: 'istiod.istio-system.svc', port: 15012 }]);
  assert.deepEqual(xdsTarget({ grpc_services: [{ google_grpc: { target_uri: '[::1]:18000' } }] }, () => assert.fail()).addresses, [
    { host: '::1', port: 18000 },
  ]);
  assert.throws(() => xdsTarget({ grpc_services: [] }, () => assert.fail()), /grpc_services/);
});

test('backoff: jittered below a doubling ceiling, capped, reset by success', () => {
  const high = new JitteredBackoff({ baseMs: 500, maxMs: 30_000 }, () => 0.999);
  const ceilings = Array.from({ length: 10 }, () => high.next());
  assert.deepEqual(ceilings.slice(0, 4).map((d) => Math.round(d / 100) * 100), [500, 1000, 2000, 4000]);
  assert.ok(ceilings.every((d) => d <= 30_000));
  assert.ok(ceilings.at(-1)! > 29_000);
  const low = new JitteredBackoff({ baseMs: 500, maxMs: 30_000 }, () => 0);
  assert.equal(low.next(), 250, 'at least half the ceiling');
  high.reset();
  assert.ok(high.next() <= 500);
});

test('token bucket: empty after maxTokens, refills at the fill rate', () => {
  let now = 0;
  const bucket = new TokenBucket({ maxTokens: 2, fillRatePerSecond: 10 }, () => now);
  assert.ok(bucket.consume());
  assert.ok(bucket.consume());
  assert.equal(bucket.consume(), false);
  assert.equal(bucket.msUntilNextToken(), 100);
  now += 100;
  assert.ok(bucket.consume());
});

test('wire: per-type methods, error_detail truncation, version hash is a stable 53-bit integer', () => {
  assert.equal(perTypeMethod(ENDPOINT_TYPE, 'sotw'), '/envoy.service.endpoint.v3.EndpointDiscoveryService/StreamEndpoints');
  assert.equal(perTypeMethod(LISTENER_TYPE, 'delta'), '/envoy.service.listener.v3.ListenerDiscoveryService/DeltaListeners');
  assert.equal(truncateErrorDetail('short'), 'short');
  assert.match(truncateErrorDetail('x'.repeat(5000)), /^x{4096}\.\.\.\(truncated\)$/);
  assert.equal(versionHash('2024-01-01T00:00:00Z/7'), versionHash('2024-01-01T00:00:00Z/7'));
  assert.notEqual(versionHash('v1'), versionHash('v2'));
  assert.ok(Number.isSafeInteger(versionHash('v1')) && versionHash('v1') >= 0);
  // Requests encode with the shared codec (sanity: the generated type is what goes on the wire).
  assert.ok(messageToBinary('envoy.service.discovery.v3.DiscoveryRequest', { type_url: CLUSTER_TYPE, resource_names: ['a'] }).length > 0);
});

test('stats: Envoy names for control plane and subscriptions (DESIGN.md §4.5)', () => {
  assert.deepEqual(
    [...CONTROL_PLANE_STATS.declarations.counters, ...CONTROL_PLANE_STATS.declarations.gauges].sort(),
    ['connected_state', 'pending_requests', 'rate_limit_enforced'],
  );
  // Envoy's ALL_SUBSCRIPTION_STATS, less the version_text text readout (skein has no
  // text readouts), plus update_empty, which Envoy counts in each xDS API's own stats.
  assert.deepEqual([...SUBSCRIPTION_STATS.declarations.counters].sort(), [
    'init_fetch_timeout',
    'update_attempt',
    'update_empty',
    'update_failure',
    'update_rejected',
    'update_success',
  ]);
  assert.deepEqual([...SUBSCRIPTION_STATS.declarations.gauges].sort(), ['update_time', 'version']);
  assert.deepEqual([...SUBSCRIPTION_STATS.declarations.histograms], ['update_duration']);
});
