// ConfigSourceSubscriber against a scripted control plane (a real gRPC server the test
// drives): consumers name a ConfigSource and land on the right stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE } from '../../../src/api/xds/resource_types.js';
import { StatsStore } from '../../../src/proxy/stats/store.js';
import { ConfigSourceSubscriber, rateLimitOf } from '../../../src/proxy/xds/config_source_subscriber.js';
import { endpoints, eventually, names, NODE, RecordingCallbacks } from './helpers.js';
import { ScriptedControlPlane } from './scripted_control_plane.js';

test('ads sources share the ADS stream; an api_config_source gets its own per-type stream', async (t) => {
  const plane = await ScriptedControlPlane.start();
  const store = new StatsStore();
  const resolved: string[] = [];
  const subscriber = new ConfigSourceSubscriber({
    node: NODE,
    adsConfig: { api_type: 'AGGREGATED_GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'xds_cluster' } }] },
    resolveCluster: (name) => {
      resolved.push(name);
      return { addresses: [{ host: '127.0.0.1', port: plane.port }] };
    },
    stats: store.scope(''),
    backoff: { baseMs: 20, maxMs: 100 },
  });
  t.after(() => {
    subscriber.stop();
    plane.stop();
  });

  const eds = new RecordingCallbacks();
  subscriber.subscribe({
    source: { ads: {}, initial_fetch_timeout: { seconds: 0 } },
    at: 'clusters[0].eds_cluster_config.eds_config',
    typeUrl: ENDPOINT_TYPE,
    names: ['c1'],
    callbacks: eds,
    statsPrefix: 'cluster.c1.',
  });
  subscriber.start();
  const ads = await plane.nextStream();
  assert.equal(ads.method, '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources');
  assert.deepEqual((await ads.nextRequest()).resource_names, ['c1']);
  ads.respond(ENDPOINT_TYPE, 'v1', [endpoints('c1')]);
  assert.deepEqual(names(await eds.nextUpdate()), ['c1']);
  await eventually(() => store.counter('cluster.c1.update_success').value === 1, 'stats under the consumer prefix');

  subscriber.subscribe({
    source: { api_config_source: { api_type: 'DELTA_GRPC', grpc_services: [{ google_grpc: { target_uri: `127.0.0.1:${plane.port}` } }] } },
    at: 'rds.config_source',
    typeUrl: ROUTE_TYPE,
    names: ['r1'],
    callbacks: new RecordingCallbacks(),
    statsPrefix: 'http.ingress.rds.r1.',
  });
  const rds = await plane.nextStream();
  assert.equal(rds.method, '/envoy.service.route.v3.RouteDiscoveryService/DeltaRoutes');
  assert.deepEqual((await rds.nextRequest()).resource_names_subscribe, ['r1']);
  assert.deepEqual(resolved, ['xds_cluster']);
  assert.equal(subscriber.muxes().length, 2);
});

test('unusable config sources are ConfigErrors naming the path', () => {
  const subscriber = new ConfigSourceSubscriber({
    node: NODE,
    resolveCluster: () => assert.fail('not called'),
    stats: new StatsStore().scope(''),
  });
  const request = (source: Record<string, unknown> | undefined) => ({
    source,
    at: 'cds_config',
    typeUrl: CLUSTER_TYPE,
    names: '*' as const,
    callbacks: new RecordingCallbacks(),
    statsPrefix: 'cluster_manager.cds.',
  });
  assert.throws(() => subscriber.subscribe(request({ ads: {} })), /cds_config: uses ADS, but the bootstrap has no dynamic_resources.ads_config/);
  assert.throws(() => subscriber.subscribe(request(undefined)), /cds_config: a config source is required/);
  assert.throws(() => subscriber.subscribe(request({ path: '/etc/cds.yaml' })), /cds_config: only ads and api_config_source/);
  assert.throws(
    () => subscriber.subscribe(request({ api_config_source: { api_type: 'REST' } })),
    /cds_config\.api_config_source\.api_type: api_type REST is not supported/,
  );
  assert.deepEqual(rateLimitOf({ rate_limit_settings: {} }), { maxTokens: 100, fillRatePerSecond: 10 });
  assert.equal(rateLimitOf({}), undefined);
});
