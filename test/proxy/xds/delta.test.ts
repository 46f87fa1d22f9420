// Delta (incremental) xDS against a scripted control plane (a real gRPC server the test
// drives): subscribe/unsubscribe diffs, removals, ACK/NACK, and
// initial_resource_versions when a stream comes back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../../src/api/xds/resource_types.js';
import { cluster, endpoints, listener, muxFor, names, NODE, RecordingCallbacks } from './helpers.js';
import { ScriptedControlPlane } from './scripted_control_plane.js';

async function setup(t: { after(fn: () => void): void }) {
  const plane = await ScriptedControlPlane.start();
  const { mux, store } = muxFor(plane, { transport: 'delta' });
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  return { plane, mux, store };
}

const sorted = (v: readonly string[] | undefined) => [...(v ?? [])].sort();

test('delta: subscribe, ACK, interest diff, removal, and initial_resource_versions after reconnect', async (t) => {
  const { plane, mux } = await setup(t);
  const eds = new RecordingCallbacks();
  const sub = mux.subscribe(ENDPOINT_TYPE, ['c1', 'c2'], eds);
  mux.start();
  const stream = await plane.nextStream();
  assert.equal(stream.method, '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources');

  const first = await stream.nextRequest();
  assert.equal(first.type_url, ENDPOINT_TYPE);
  assert.deepEqual(sorted(first.resource_names_subscribe), ['c1', 'c2']);
  assert.equal(first.initial_resource_versions, undefined);
  assert.equal(first.node?.id, NODE.id);

  const n1 = stream.respondDelta(ENDPOINT_TYPE, 's1', [
    { name: 'c1', version: '1', resource: endpoints('c1') },
    { name: 'c2', version: '1', resource: endpoints('c2') },
  ]);
  const u1 = await eds.nextUpdate();
  assert.deepEqual(names(u1), ['c1', 'c2']);
  assert.deepEqual(u1.added.map((r) => r.version), ['1', '1']);
  assert.equal(u1.version, 's1');
  const ack1 = await stream.nextRequest();
  assert.equal(ack1.response_nonce, n1);
  assert.equal(ack1.error_detail, undefined);
  assert.equal(ack1.resource_names_subscribe, undefined);

  sub.updateResourceInterest(['c1', 'c3']);
  const diff = await stream.nextRequest();
  assert.deepEqual(diff.resource_names_subscribe, ['c3']);
  assert.deepEqual(diff.resource_names_unsubscribe, ['c2']);

  stream.respondDelta(ENDPOINT_TYPE, 's2', [{ name: 'c3', version: '7', resource: endpoints('c3') }]);
  assert.deepEqual(names(await eds.nextUpdate()), ['c3']);
  await stream.nextRequest();
  stream.respondDelta(ENDPOINT_TYPE, 's3', [], ['c1']);
  const removal = await eds.nextUpdate();
  assert.deepEqual(removal.added, []);
  assert.deepEqual(removal.removed, ['c1']);
  await stream.nextRequest();
  assert.deepEqual(mux.subscriptionState(ENDPOINT_TYPE)?.resourceVersions, { c3: '7' });

  stream.fail();
  assert.equal((await eds.nextFailure()).reason, 'ConnectionFailure');
  const again = await plane.nextStream();
  const resubscribe = await again.nextRequest();
  assert.deepEqual(sorted(resubscribe.resource_names_subscribe), ['c1', 'c3']);
  assert.deepEqual(resubscribe.initial_resource_versions, { c3: '7' }, 'the versions held, not the removed or unsubscribed');
  assert.equal(resubscribe.response_nonce ?? '', '');
  assert.equal(resubscribe.node?.id, NODE.id);
  assert.equal(eds.allUpdates.length, 3, 'nothing removed while away');
});

test('delta: wildcard is "*", and unsubscribing it is sent', async (t) => {
  const { plane, mux } = await setup(t);
  const cds = new RecordingCallbacks();
  const sub = mux.subscribe(CLUSTER_TYPE, '*', cds);
  mux.start();
  const stream = await plane.nextStream();
  assert.deepEqual((await stream.nextRequest()).resource_names_subscribe, ['*']);
  stream.respondDelta(CLUSTER_TYPE, 'v1', [
    { name: 'a', version: '1', resource: cluster('a') },
    { name: 'b', version: '1', resource: cluster('b') },
  ]);
  assert.deepEqual(names(await cds.nextUpdate()), ['a', 'b']);
  await stream.nextRequest();
  sub.updateResourceInterest(['a']);
  const narrowed = await stream.nextRequest();
  assert.deepEqual(narrowed.resource_names_subscribe, ['a']);
  assert.deepEqual(narrowed.resource_names_unsubscribe, ['*']);
});

test('delta: an invalid resource is NACKed with error_detail and not applied', async (t) => {
  const { plane, mux, store } = await setup(t);
  const lds = new RecordingCallbacks();
  mux.subscribe(LISTENER_TYPE, '*', lds, { stats: store.scope('listener_manager.lds.') });
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  const nonce = stream.respondDelta(LISTENER_TYPE, 'v1', [
    { name: 'ok', version: '1', resource: listener('ok') },
    { name: 'bad', version: '1', resource: listener('bad', 8081, '') },
  ]);
  const nack = await stream.nextRequest();
  assert.equal(nack.response_nonce, nonce);
  assert.equal(nack.error_detail?.code, 13);
  assert.match(nack.error_detail?.message ?? '', /Listener "bad": filter_chains\[0\]\.filters\[0\]\.name/);
  assert.equal((await lds.nextFailure()).reason, 'UpdateRejected');
  assert.equal(lds.allUpdates.length, 0);
  assert.equal(store.counter('listener_manager.lds.update_rejected').value, 1);

  stream.respondDelta(LISTENER_TYPE, 'v2', [{ name: 'x', version: '1', resource: listener('x') }], ['x']);
  assert.match((await stream.nextRequest()).error_detail?.message ?? '', /"x" appears twice among added and removed/);

  const good = stream.respondDelta(LISTENER_TYPE, 'v3', [{ name: 'ok', version: '2', resource: listener('ok') }]);
  assert.deepEqual(names(await lds.nextUpdate()), ['ok']);
  const ack = await stream.nextRequest();
  assert.equal(ack.response_nonce, good);
  assert.equal(ack.error_detail, undefined);
  assert.deepEqual(mux.subscriptionState(LISTENER_TYPE)?.resourceVersions, { ok: '2' });
});

test('delta: a second wildcard subscription starts from the cached resources', async (t) => {
  const { plane, mux } = await setup(t);
  const first = new RecordingCallbacks();
  mux.subscribe(CLUSTER_TYPE, '*', first);
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  stream.respondDelta(CLUSTER_TYPE, 'v1', [
    { name: 'a', version: '1', resource: cluster('a') },
    { name: 'b', version: '4', resource: cluster('b') },
  ]);
  await first.nextUpdate();
  await stream.nextRequest();
  const second = new RecordingCallbacks();
  mux.subscribe(CLUSTER_TYPE, '*', second);
  const update = await second.nextUpdate();
  assert.deepEqual(update.added.map((r) => `${r.name}@${r.version}`).sort(), ['a@1', 'b@4']);
  stream.respondDelta(CLUSTER_TYPE, 'v2', [], ['b']);
  assert.deepEqual((await second.nextUpdate()).removed, ['b'], 'the new subscription hears removals of what it got from the cache');
});
