// State-of-the-world ADS against a scripted control plane (a real gRPC server the test
// drives, see scripted_control_plane.ts): ACK/NACK, removal semantics, interest merging.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../../src/api/xds/resource_types.js';
import { versionHash } from '../../../src/proxy/xds/stats.js';
import { ResourceRejectedError } from '../../../src/proxy/xds/types.js';
import { cluster, endpoints, listener, muxFor, names, NODE, RecordingCallbacks } from './helpers.js';
import { ScriptedControlPlane } from './scripted_control_plane.js';

async function setup(t: { after(fn: () => void): void }) {
  const plane = await ScriptedControlPlane.start();
  const { mux, store } = muxFor(plane);
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  return { plane, mux, store };
}

test('ACK: the request after a response echoes its version_info and nonce', async (t) => {
  const { plane, mux, store } = await setup(t);
  const cds = new RecordingCallbacks();
  mux.subscribe(CLUSTER_TYPE, '*', cds, { stats: store.scope('cluster_manager.cds.') });
  mux.start();
  const stream = await plane.nextStream();
  assert.equal(stream.method, '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources');

  const first = await stream.nextRequest();
  assert.equal(first.type_url, CLUSTER_TYPE);
  assert.deepEqual(first.resource_names ?? [], [], 'a lone wildcard is the empty list');
  assert.equal(first.version_info ?? '', '');
  assert.equal(first.response_nonce ?? '', '');
  assert.equal(first.node?.id, NODE.id);

  const nonce = stream.respond(CLUSTER_TYPE, 'v1', [cluster('a'), cluster('b')]);
  const update = await cds.nextUpdate();
  assert.deepEqual(names(update), ['a', 'b']);
  assert.deepEqual(update.removed, []);
  assert.equal(update.version, 'v1');
  assert.equal(update.added[0]!.resource['@type'], undefined);
  assert.equal(update.added[0]!.resource.type, 'EDS');

  const ack = await stream.nextRequest();
  assert.equal(ack.version_info, 'v1');
  assert.equal(ack.response_nonce, nonce);
  assert.equal(ack.error_detail, undefined);
  assert.equal(ack.node?.id, NODE.id, 'node on every request unless set_node_on_first_message_only');

  assert.equal(store.counter('cluster_manager.cds.update_success').value, 1);
  assert.equal(store.counter('cluster_manager.cds.update_attempt').value, 1);
  assert.equal(store.gauge('cluster_manager.cds.version').value, versionHash('v1'));
  assert.equal(store.gauge('control_plane.connected_state').value, 1);
  assert.equal(mux.subscriptionState(CLUSTER_TYPE)?.versionInfo, 'v1');
});

test('NACK: an invalid resource rejects the response, names the resource and field, keeps the last version', async (t) => {
  const { plane, mux, store } = await setup(t);
  const lds = new RecordingCallbacks();
  mux.subscribe(LISTENER_TYPE, '*', lds, { stats: store.scope('listener_manager.lds.') });
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  stream.respond(LISTENER_TYPE, 'v1', [listener('good')]);
  await lds.nextUpdate();
  await stream.nextRequest();

  const badNonce = stream.respond(LISTENER_TYPE, 'v2', [listener('good', 8081), listener('bad', 8082, '')]);
  const nack = await stream.nextRequest();
  assert.equal(nack.version_info, 'v1', 'a NACK carries the last accepted version');
  assert.equal(nack.response_nonce, badNonce);
  assert.equal(nack.error_detail?.code, 13);
  assert.match(nack.error_detail?.message ?? '', /^Listener "bad": filter_chains\[0\]\.filters\[0\]\.name: /);

  const failure = await lds.nextFailure();
  assert.equal(failure.reason, 'UpdateRejected');
  assert.equal(lds.allUpdates.length, 1, 'callbacks are not called with a rejected response');
  assert.equal(store.counter('listener_manager.lds.update_rejected').value, 1);
  const state = mux.subscriptionState(LISTENER_TYPE)!;
  assert.equal(state.versionInfo, 'v1');
  assert.equal(state.errorState?.version_info, 'v2');
  assert.equal(state.errorState?.resource_name, 'bad');
  assert.equal((state.errorState?.failed_configuration as { name?: string } | undefined)?.name, 'bad');
  assert.match(state.errorState?.details ?? '', /filters\[0\]\.name/);

  const goodNonce = stream.respond(LISTENER_TYPE, 'v3', [listener('good', 8081)]);
  const update = await lds.nextUpdate();
  assert.equal(update.version, 'v3');
  const ack = await stream.nextRequest();
  assert.equal(ack.version_info, 'v3');
  assert.equal(ack.response_nonce, goodNonce);
  assert.equal(ack.error_detail, undefined, 'error_detail is sent once, with the NACK');
  assert.equal(mux.subscriptionState(LISTENER_TYPE)?.errorState, undefined);
});

test('NACK: a callback that throws rejects the update with its message', async (t) => {
  const { plane, mux } = await setup(t);
  const cds = new RecordingCallbacks((u) => {
    if (u.added.some((r) => r.name === 'refused')) throw new ResourceRejectedError('cluster refused: no such transport socket', 'refused');
  });
  mux.subscribe(CLUSTER_TYPE, '*', cds);
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  stream.respond(CLUSTER_TYPE, 'v1', [cluster('ok'), cluster('refused')]);
  const nack = await stream.nextRequest();
  assert.equal(nack.version_info ?? '', '');
  assert.equal(nack.error_detail?.message, 'cluster refused: no such transport socket');
  assert.equal((await cds.nextFailure()).reason, 'UpdateRejected');
  const errorState = mux.subscriptionState(CLUSTER_TYPE)?.errorState;
  assert.equal(errorState?.resource_name, 'refused');
  assert.equal((errorState?.failed_configuration as { '@type'?: string } | undefined)?.['@type'], CLUSTER_TYPE);
});

test('partial acceptance: names offered to a callback that threw are still removed by a later response', async (t) => {
  const { plane, mux } = await setup(t);
  const lds = new RecordingCallbacks((u) => {
    if (u.added.some((r) => r.name === 'bad')) throw new Error('listener "bad" refused; "a" applied');
  });
  mux.subscribe(LISTENER_TYPE, '*', lds);
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  stream.respond(LISTENER_TYPE, 'v1', [listener('x')]);
  await lds.nextUpdate();
  await stream.nextRequest();
  stream.respond(LISTENER_TYPE, 'v2', [listener('a', 8081), listener('bad', 8082)]);
  await lds.nextFailure();
  assert.equal((await stream.nextRequest()).version_info, 'v1');
  stream.respond(LISTENER_TYPE, 'v3', []);
  const update = await lds.nextUpdate();
  assert.deepEqual([...update.removed].sort(), ['a', 'bad']);
});

test('NACK: wrong Any type and duplicate names', async (t) => {
  const { plane, mux } = await setup(t);
  const cds = new RecordingCallbacks();
  mux.subscribe(CLUSTER_TYPE, '*', cds);
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();

  stream.respond(CLUSTER_TYPE, 'v1', [cluster('a'), listener('not-a-cluster')]);
  const wrongType = await stream.nextRequest();
  assert.match(wrongType.error_detail?.message ?? '', /resources\[1\]: type URL .*Listener does not match the message-wide type URL .*Cluster/);

  stream.respond(CLUSTER_TYPE, 'v2', [cluster('a'), cluster('a')]);
  const duplicate = await stream.nextRequest();
  assert.match(duplicate.error_detail?.message ?? '', /duplicate Cluster "a"/);
  assert.equal(cds.allUpdates.length, 0);
});

test('removal: absent listeners and clusters are removed; absent endpoints are not', async (t) => {
  const { plane, mux } = await setup(t);
  const lds = new RecordingCallbacks();
  const eds = new RecordingCallbacks();
  mux.subscribe(LISTENER_TYPE, '*', lds);
  mux.subscribe(ENDPOINT_TYPE, ['c1', 'c2'], eds);
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  await stream.nextRequest();

  stream.respond(LISTENER_TYPE, 'l1', [listener('a'), listener('b', 8081)]);
  await lds.nextUpdate();
  stream.respond(LISTENER_TYPE, 'l2', [listener('a')]);
  const lds2 = await lds.nextUpdate();
  assert.deepEqual(names(lds2), ['a']);
  assert.deepEqual(lds2.removed, ['b']);
  stream.respond(LISTENER_TYPE, 'l3', []);
  const lds3 = await lds.nextUpdate();
  assert.deepEqual(lds3.added, []);
  assert.deepEqual(lds3.removed, ['a']);

  stream.respond(ENDPOINT_TYPE, 'e1', [endpoints('c1'), endpoints('c2')]);
  assert.deepEqual(names(await eds.nextUpdate()), ['c1', 'c2']);
  stream.respond(ENDPOINT_TYPE, 'e2', [endpoints('c1', 9001)]);
  const eds2 = await eds.nextUpdate();
  assert.deepEqual(names(eds2), ['c1']);
  assert.deepEqual(eds2.removed, [], 'c2 missing from an EDS response is not a removal');

  // An EDS response with nothing for this watch is ACKed without calling it.
  const emptyNonce = stream.respond(ENDPOINT_TYPE, 'e3', []);
  for (;;) {
    const req = await stream.nextRequest();
    if (req.type_url === ENDPOINT_TYPE && req.response_nonce === emptyNonce) {
      assert.equal(req.version_info, 'e3');
      break;
    }
  }
  assert.equal(eds.allUpdates.length, 2);
});

test('interest merging: two EDS subscriptions share one request and get their own resources', async (t) => {
  const { plane, mux } = await setup(t);
  const a = new RecordingCallbacks();
  const b = new RecordingCallbacks();
  const subA = mux.subscribe(ENDPOINT_TYPE, ['c1'], a);
  const subB = mux.subscribe(ENDPOINT_TYPE, ['c2', 'c1'], b);
  mux.start();
  const stream = await plane.nextStream();
  const first = await stream.nextRequest();
  assert.deepEqual([...(first.resource_names ?? [])].sort(), ['c1', 'c2']);
  assert.equal(stream.unread, 0, 'one request for both subscriptions');

  stream.respond(ENDPOINT_TYPE, 'v1', [endpoints('c1'), endpoints('c2'), endpoints('c9')]);
  assert.deepEqual(names(await a.nextUpdate()), ['c1']);
  assert.deepEqual(names(await b.nextUpdate()), ['c1', 'c2']);
  await stream.nextRequest(); // ACK

  subA.updateResourceInterest(['c1', 'c3']);
  const grown = await stream.nextRequest();
  assert.deepEqual([...(grown.resource_names ?? [])].sort(), ['c1', 'c2', 'c3']);
  assert.equal(grown.version_info, 'v1');

  subB.cancel();
  const shrunk = await stream.nextRequest();
  assert.deepEqual([...(shrunk.resource_names ?? [])].sort(), ['c1', 'c3']);
});

test('set_node_on_first_message_only: node on the first request of the stream only', async (t) => {
  const plane = await ScriptedControlPlane.start();
  const { mux } = muxFor(plane, { setNodeOnFirstMessageOnly: true });
  t.after(() => {
    mux.stop();
    plane.stop();
  });
  const cds = new RecordingCallbacks();
  mux.subscribe(CLUSTER_TYPE, '*', cds);
  mux.subscribe(ENDPOINT_TYPE, ['c1'], new RecordingCallbacks());
  mux.start();
  const stream = await plane.nextStream();
  const first = await stream.nextRequest();
  const second = await stream.nextRequest();
  assert.equal(first.type_url, CLUSTER_TYPE, 'types go out in subscription order');
  assert.equal(first.node?.id, NODE.id);
  assert.equal(second.type_url, ENDPOINT_TYPE);
  assert.equal(second.node, undefined);
  stream.respond(CLUSTER_TYPE, 'v1', [cluster('c1')]);
  await cds.nextUpdate();
  assert.equal((await stream.nextRequest()).node, undefined);
});

test('CDS update holds EDS requests until it is applied, then sends one', async (t) => {
  const { plane, mux } = await setup(t);
  const edsSubs = new Map<string, ReturnType<typeof mux.subscribe>>();
  const cds = new RecordingCallbacks(async (u) => {
    // Like the cluster manager: each new EDS cluster subscribes to its endpoints.
    for (const r of u.added) {
      edsSubs.set(r.name, mux.subscribe(ENDPOINT_TYPE, [r.name], new RecordingCallbacks()));
      await new Promise((resolve) => setImmediate(resolve));
    }
  });
  mux.subscribe(CLUSTER_TYPE, '*', cds);
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  stream.respond(CLUSTER_TYPE, 'v1', [cluster('a'), cluster('b'), cluster('c')]);
  await cds.nextUpdate();
  const requests = [await stream.nextRequest(), await stream.nextRequest()];
  const eds = requests.filter((r) => r.type_url === ENDPOINT_TYPE);
  assert.equal(eds.length, 1);
  assert.deepEqual([...(eds[0]!.resource_names ?? [])].sort(), ['a', 'b', 'c']);
});

test('a subscription to a name another one already holds gets the cached copy at once', async (t) => {
  const { plane, mux, store } = await setup(t);
  const old = new RecordingCallbacks();
  const oldSub = mux.subscribe(ENDPOINT_TYPE, ['c1'], old);
  mux.start();
  const stream = await plane.nextStream();
  await stream.nextRequest();
  stream.respond(ENDPOINT_TYPE, 'v1', [endpoints('c1')]);
  await old.nextUpdate();
  await stream.nextRequest();

  // A cluster replaced by a CDS update: the new cluster subscribes, the old one lets go,
  // and the request names do not change, so the server has no reason to send c1 again.
  const replacement = new RecordingCallbacks();
  mux.subscribe(ENDPOINT_TYPE, ['c1'], replacement, { stats: store.scope('cluster.c1.') });
  oldSub.cancel();
  const update = await replacement.nextUpdate();
  assert.deepEqual(names(update), ['c1']);
  assert.equal(update.version, 'v1');
  const nonce = stream.respond(ENDPOINT_TYPE, 'v2', [endpoints('c1', 9001)]);
  assert.equal((await stream.nextRequest()).response_nonce, nonce, 'nothing changed for the server, so nothing was sent before this ACK');
  assert.equal((await replacement.nextUpdate()).version, 'v2');
  assert.equal(old.allUpdates.length, 1, 'the cancelled subscription hears nothing more');
});
