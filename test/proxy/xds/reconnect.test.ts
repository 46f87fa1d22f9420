// Losing the control plane: the scripted control plane (a real gRPC server driven by the
// test) is shut down and started again on the same port. The proxy must keep its
// config, report the loss, come back by itself and re-send every subscription.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../../src/api/xds/resource_types.js';
import { cluster, endpoints, eventually, muxFor, names, NODE, RecordingCallbacks } from './helpers.js';
import { ScriptedControlPlane } from './scripted_control_plane.js';

test('SotW: after the server restarts, subscriptions are re-sent with the versions held; nothing is removed meanwhile', async (t) => {
  let plane = await ScriptedControlPlane.start();
  const port = plane.port;
  const { mux, store } = muxFor(plane);
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  const cds = new RecordingCallbacks();
  const eds = new RecordingCallbacks();
  mux.subscribe(CLUSTER_TYPE, '*', cds, { stats: store.scope('cluster_manager.cds.') });
  mux.subscribe(ENDPOINT_TYPE, ['c1'], eds);
  mux.start();

  const stream = await plane.nextStream();
  await stream.nextRequest();
  await stream.nextRequest();
  stream.respond(CLUSTER_TYPE, 'cv1', [cluster('c1')]);
  await cds.nextUpdate();
  stream.respond(ENDPOINT_TYPE, 'ev1', [endpoints('c1')]);
  await eds.nextUpdate();
  await stream.nextRequest();
  await stream.nextRequest();
  await eventually(() => store.gauge('control_plane.connected_state').value === 1, 'connected_state 1');

  plane.stop();
  assert.equal((await cds.nextFailure()).reason, 'ConnectionFailure');
  assert.equal((await eds.nextFailure()).reason, 'ConnectionFailure');
  assert.equal(store.gauge('control_plane.connected_state').value, 0);
  assert.ok(store.counter('cluster_manager.cds.update_failure').value >= 1);

  plane = await ScriptedControlPlane.start(port);
  const again = await plane.nextStream(10_000);
  const cdsReq = await again.nextRequest();
  const edsReq = await again.nextRequest();
  assert.equal(cdsReq.type_url, CLUSTER_TYPE);
  assert.equal(cdsReq.version_info, 'cv1', 'the version held goes with the re-subscription');
  assert.equal(cdsReq.response_nonce ?? '', '', 'nonces do not survive a stream');
  assert.equal(cdsReq.node?.id, NODE.id);
  assert.equal(edsReq.type_url, ENDPOINT_TYPE);
  assert.deepEqual(edsReq.resource_names, ['c1']);
  assert.equal(edsReq.version_info, 'ev1');

  assert.equal(cds.allUpdates.length, 1, 'no update (and so no removal) while the server was away');
  assert.equal(eds.allUpdates.length, 1);

  // An unchanged server re-sends what the proxy holds; the proxy applies and ACKs it.
  const nonce = again.respond(CLUSTER_TYPE, 'cv1', [cluster('c1')]);
  const update = await cds.nextUpdate();
  assert.deepEqual(names(update), ['c1']);
  assert.deepEqual(update.removed, []);
  const ack = await again.nextRequest();
  assert.equal(ack.response_nonce, nonce);
  assert.equal(ack.version_info, 'cv1');
  await eventually(() => store.gauge('control_plane.connected_state').value === 1, 'connected_state back to 1');
});

test('a stream the server ends with an error is re-opened on the same server', async (t) => {
  const plane = await ScriptedControlPlane.start();
  const { mux } = muxFor(plane);
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  const cds = new RecordingCallbacks();
  mux.subscribe(CLUSTER_TYPE, '*', cds);
  mux.start();
  const first = await plane.nextStream();
  await first.nextRequest();
  first.respond(CLUSTER_TYPE, 'v7', [cluster('a')]);
  await cds.nextUpdate();
  await first.nextRequest();

  first.fail();
  assert.equal((await cds.nextFailure()).reason, 'ConnectionFailure');
  const second = await plane.nextStream();
  const req = await second.nextRequest();
  assert.equal(req.version_info, 'v7');
  assert.equal(req.node?.id, NODE.id);
});

test('stop() closes the stream and no reconnect follows', async (t) => {
  const plane = await ScriptedControlPlane.start();
  const { mux, store } = muxFor(plane);
  t.after(() => plane.stop());
  const cds = new RecordingCallbacks();
  mux.subscribe(CLUSTER_TYPE, '*', cds);
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  mux.stop();
  await eventually(() => stream.closed, 'the server to see the stream end');
  assert.equal(store.gauge('control_plane.connected_state').value, 0);
  await assert.rejects(plane.nextStream(300), /timed out/);
  assert.deepEqual(cds.allFailures, [], 'stopping is not a connection failure');
});
