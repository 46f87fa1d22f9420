// Incremental (delta) xDS against a real server: wildcard and named subscriptions,
// unsubscribe, initial_resource_versions, removed_resources, ACK/NACK by nonce.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE } from '../../../src/api/xds/resource_types.js';
import type { DeltaDiscoveryResponse } from './client.js';
import { BASIC, snapshotOf } from './fixtures.js';
import { eventually, startXds, type Harness } from './harness.js';

const names = (r: DeltaDiscoveryResponse) => (r.resources ?? []).map((x) => x.name!).sort();

describe('delta xDS', () => {
  let h: Harness;
  before(async () => {
    h = await startXds();
  });
  after(() => h.close());

  it('serves a wildcard, then only changes and removals', async () => {
    const node = { id: 'delta-wildcard' };
    const v1 = snapshotOf('v1', BASIC);
    h.cache.setSnapshot(node.id, v1);
    const c = h.delta();
    c.send({ node, type_url: CLUSTER_TYPE });
    const r1 = await c.next();
    assert.equal(r1.type_url, CLUSTER_TYPE);
    assert.equal(r1.system_version_info, 'v1');
    assert.deepEqual(names(r1), ['a', 'b', 'c']);
    assert.ok(r1.resources!.every((r) => r.version && (r.resource as Record<string, unknown>)['@type'] === CLUSTER_TYPE));
    c.send({ type_url: CLUSTER_TYPE, response_nonce: r1.nonce });
    await eventually(() => h.server.proxyStatus().some((p) => p.nodeId === node.id && p.types.CDS!.state === 'SYNCED'), 'ACK');
    assert.equal(h.server.proxyStatus().find((p) => p.nodeId === node.id)!.protocol, 'delta');

    h.cache.setSnapshot(node.id, snapshotOf('v2', { ...BASIC, clusters: { a: ['10.0.0.1'], b: ['10.0.0.2'], d: ['10.0.0.4'] } }, v1));
    const r2 = await c.next();
    assert.deepEqual(names(r2), ['d']);
    assert.deepEqual(r2.removed_resources, ['c']);
    assert.equal(r2.system_version_info, 'v2');
    c.close();
  });

  it('subscribes, unsubscribes and reports a subscribed resource that disappears', async () => {
    const node = { id: 'delta-named' };
    const v1 = snapshotOf('v1', BASIC);
    h.cache.setSnapshot(node.id, v1);
    const c = h.delta();
    c.send({ node, type_url: ENDPOINT_TYPE, resource_names_subscribe: ['a', 'b'] });
    const r1 = await c.next();
    assert.deepEqual(names(r1), ['a', 'b']);
    c.send({ type_url: ENDPOINT_TYPE, response_nonce: r1.nonce, resource_names_subscribe: ['c'], resource_names_unsubscribe: ['b'] });
    const r2 = await c.next();
    assert.deepEqual(names(r2), ['c'], 'only the new subscription is sent');
    c.send({ type_url: ENDPOINT_TYPE, response_nonce: r2.nonce });

    // a disappears, b (unsubscribed) changes, c is unchanged.
    await eventually(() => h.cache.openWatchCount(node.id) === 1, 'the watch after the ACK');
    h.cache.setSnapshot(node.id, snapshotOf('v2', { ...BASIC, clusters: { b: ['10.0.0.22'], c: ['10.0.0.3'] } }, v1));
    const r3 = await c.next();
    assert.deepEqual(names(r3), []);
    assert.deepEqual(r3.removed_resources, ['a']);

    // Subscribing to b again sends it, since the client dropped it.
    c.send({ type_url: ENDPOINT_TYPE, response_nonce: r3.nonce, resource_names_subscribe: ['b'] });
    assert.deepEqual(names(await c.next()), ['b']);
    c.close();
  });

  it('does not resend what initial_resource_versions says the client has', async () => {
    const node = { id: 'delta-reconnect' };
    h.cache.setSnapshot(node.id, snapshotOf('v1', BASIC));
    const first = h.delta();
    first.send({ node, type_url: CLUSTER_TYPE });
    const versions = Object.fromEntries((await first.next()).resources!.map((r) => [r.name!, r.version!]));
    first.close();

    const again = h.delta();
    again.send({
      node,
      type_url: CLUSTER_TYPE,
      initial_resource_versions: { a: versions.a!, b: 'an-older-version', gone: 'whatever' },
    });
    const r = await again.next();
    assert.deepEqual(names(r), ['b', 'c']);
    assert.deepEqual(r.removed_resources, ['gone']);
    again.close();
  });

  it('treats "*" as an explicit wildcard that can be dropped', async () => {
    const node = { id: 'delta-explicit' };
    h.cache.setSnapshot(node.id, snapshotOf('v1', BASIC));
    const c = h.delta();
    c.send({ node, type_url: LISTENER_TYPE, resource_names_subscribe: ['*'] });
    const r1 = await c.next();
    assert.deepEqual(names(r1), ['l1', 'l2']);
    c.send({ type_url: LISTENER_TYPE, response_nonce: r1.nonce, resource_names_unsubscribe: ['*'], resource_names_subscribe: ['l1'] });
    await eventually(() => h.cache.openWatchCount(node.id) === 1, 'the watch');
    h.cache.setSnapshot(
      node.id,
      snapshotOf('v2', { ...BASIC, listeners: { l1: BASIC.listeners!.l1!, l2: { port: 9091, route: 'r2', cluster: 'b' } } }),
    );
    c.send({ type_url: CLUSTER_TYPE, resource_names_subscribe: ['*'] });
    const probe = await c.next();
    assert.equal(probe.type_url, CLUSTER_TYPE, 'l2 changed but is no longer subscribed');
    c.close();
  });

  it('records a NACK and does not resend the rejected resources', async () => {
    const node = { id: 'delta-nack' };
    const v1 = snapshotOf('v1', BASIC);
    h.cache.setSnapshot(node.id, v1);
    const c = h.delta();
    c.send({ node, type_url: ENDPOINT_TYPE, resource_names_subscribe: ['a'] });
    const r1 = await c.next();
    c.send({ type_url: ENDPOINT_TYPE, response_nonce: r1.nonce, error_detail: { code: 3, message: 'endpoint a: bad port' } });
    c.send({ type_url: CLUSTER_TYPE });
    assert.equal((await c.next()).type_url, CLUSTER_TYPE, 'no EDS resend');
    const eds = h.server.proxyStatus().find((p) => p.nodeId === node.id)!.types.EDS!;
    assert.equal(eds.state, 'STALE');
    assert.equal(eds.lastNack!.message, 'endpoint a: bad port');
    assert.equal(eds.lastNack!.version, 'v1');

    h.cache.setSnapshot(node.id, snapshotOf('v2', { ...BASIC, clusters: { ...BASIC.clusters, a: ['10.0.0.7'] } }, v1));
    const r2 = await c.next();
    assert.equal(r2.type_url, ENDPOINT_TYPE);
    assert.deepEqual(names(r2), ['a']);
    c.close();
  });
});
