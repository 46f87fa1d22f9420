// Subscription-level behaviour against a scripted control plane (a real gRPC server the
// test drives): initial_fetch_timeout, stats, per-type streams, rate limiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../../src/api/xds/resource_types.js';
import { versionHash } from '../../../src/proxy/xds/stats.js';
import { cluster, endpoints, eventually, listener, muxFor, names, NODE, RecordingCallbacks } from './helpers.js';
import { ScriptedControlPlane } from './scripted_control_plane.js';

test('initial_fetch_timeout fires once when no response comes; a late response still applies', async (t) => {
  const plane = await ScriptedControlPlane.start();
  const { mux, store } = muxFor(plane);
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  const eds = new RecordingCallbacks();
  mux.subscribe(ENDPOINT_TYPE, ['c1'], eds, { initialFetchTimeoutMs: 30, stats: store.scope('cluster.c1.') });
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  assert.equal((await eds.nextFailure()).reason, 'FetchTimedOut');
  assert.equal(store.counter('cluster.c1.init_fetch_timeout').value, 1);

  stream.respond(ENDPOINT_TYPE, 'v1', [endpoints('c1')]);
  assert.deepEqual(names(await eds.nextUpdate()), ['c1']);
  assert.deepEqual(eds.allFailures, ['FetchTimedOut'], 'the timeout fires once');
});

test('initial_fetch_timeout does not fire when the first response is in time', async (t) => {
  const plane = await ScriptedControlPlane.start();
  const { mux, store } = muxFor(plane);
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  const lds = new RecordingCallbacks();
  mux.subscribe(LISTENER_TYPE, '*', lds, { initialFetchTimeoutMs: 60_000, stats: store.scope('listener_manager.lds.') });
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  stream.respond(LISTENER_TYPE, 'v1', [listener('a')]);
  await lds.nextUpdate();
  assert.equal(store.counter('listener_manager.lds.init_fetch_timeout').value, 0);
});

test('subscription stats follow Envoy: attempts, successes, rejections, empty updates, version, update_time', async (t) => {
  const plane = await ScriptedControlPlane.start();
  const { mux, store } = muxFor(plane);
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  const cds = new RecordingCallbacks();
  const sub = mux.subscribe(CLUSTER_TYPE, '*', cds, { stats: store.scope('cluster_manager.cds.') });
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  const before = Date.now();
  stream.respond(CLUSTER_TYPE, 'v1', [cluster('a')]);
  await cds.nextUpdate();
  await stream.nextRequest();
  stream.respond(CLUSTER_TYPE, 'v2', [cluster('a'), cluster('a')]);
  await cds.nextFailure();
  await stream.nextRequest();
  stream.respond(CLUSTER_TYPE, 'v3', []);
  await cds.nextUpdate();
  await stream.nextRequest();

  const c = (n: string) => store.counter(`cluster_manager.cds.${n}`).value;
  assert.equal(c('update_attempt'), 3);
  assert.equal(c('update_success'), 2);
  assert.equal(c('update_rejected'), 1);
  assert.equal(c('update_empty'), 1);
  assert.equal(c('update_failure'), 0);
  assert.equal(store.gauge('cluster_manager.cds.version').value, versionHash('v3'));
  assert.ok(store.gauge('cluster_manager.cds.update_time').value >= before);
  assert.equal(store.histograms.get('cluster_manager.cds.update_duration')?.cumulative.count, 2);
  assert.equal(store.gauge('control_plane.pending_requests').value, 0);
  const status = sub.status();
  assert.equal(status.versionInfo, 'v3');
  assert.equal(status.interest, '*');
  assert.ok(status.lastUpdatedMs !== undefined && status.lastUpdatedMs >= before);
});

test('non-aggregated: one stream per type, each on its own discovery service, each with the node', async (t) => {
  const plane = await ScriptedControlPlane.start();
  const { mux } = muxFor(plane, { aggregated: false });
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  const cds = new RecordingCallbacks();
  const lds = new RecordingCallbacks();
  mux.subscribe(CLUSTER_TYPE, '*', cds);
  mux.subscribe(LISTENER_TYPE, '*', lds);
  mux.start();
  const streams = [await plane.nextStream(), await plane.nextStream()];
  const byMethod = new Map(streams.map((s) => [s.method, s]));
  const cdsStream = byMethod.get('/envoy.service.cluster.v3.ClusterDiscoveryService/StreamClusters');
  const ldsStream = byMethod.get('/envoy.service.listener.v3.ListenerDiscoveryService/StreamListeners');
  assert.ok(cdsStream && ldsStream, `streams: ${[...byMethod.keys()].join(', ')}`);
  const cdsReq = await cdsStream.nextRequest();
  const ldsReq = await ldsStream.nextRequest();
  assert.equal(cdsReq.type_url, CLUSTER_TYPE);
  assert.equal(ldsReq.type_url, LISTENER_TYPE);
  assert.equal(cdsReq.node?.id, NODE.id);
  assert.equal(ldsReq.node?.id, NODE.id);
  cdsStream.respond(CLUSTER_TYPE, 'v1', [cluster('a')]);
  assert.deepEqual(names(await cds.nextUpdate()), ['a']);
  assert.equal((await cdsStream.nextRequest()).version_info, 'v1');

  // A type subscribed later gets its own stream too.
  mux.subscribe(ENDPOINT_TYPE, ['a'], new RecordingCallbacks());
  const edsStream = await plane.nextStream();
  assert.equal(edsStream.method, '/envoy.service.endpoint.v3.EndpointDiscoveryService/StreamEndpoints');
  assert.deepEqual((await edsStream.nextRequest()).resource_names, ['a']);
});

test('non-aggregated delta uses the Delta* methods', async (t) => {
  const plane = await ScriptedControlPlane.start();
  const { mux } = muxFor(plane, { aggregated: false, transport: 'delta' });
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  mux.subscribe(CLUSTER_TYPE, '*', new RecordingCallbacks());
  mux.start();
  const stream = await plane.nextStream();
  assert.equal(stream.method, '/envoy.service.cluster.v3.ClusterDiscoveryService/DeltaClusters');
  assert.deepEqual((await stream.nextRequest()).resource_names_subscribe, ['*']);
});

test('rate_limit_settings: requests beyond the bucket wait and are counted', async (t) => {
  const plane = await ScriptedControlPlane.start();
  const { mux, store } = muxFor(plane, { rateLimit: { maxTokens: 1, fillRatePerSecond: 50 } });
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  mux.subscribe(CLUSTER_TYPE, '*', new RecordingCallbacks());
  mux.subscribe(LISTENER_TYPE, '*', new RecordingCallbacks());
  mux.start();
  const stream = await plane.nextStream();
  const a = await stream.nextRequest();
  const b = await stream.nextRequest();
  assert.deepEqual([a.type_url, b.type_url], [CLUSTER_TYPE, LISTENER_TYPE]);
  await eventually(() => store.counter('control_plane.rate_limit_enforced').value >= 1, 'rate_limit_enforced');
});
