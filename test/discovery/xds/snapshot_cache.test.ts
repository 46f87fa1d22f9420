// SnapshotCache without gRPC: consistency check, watches answered now or on the next
// snapshot, node hashing, and the SotW/delta answer rules.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../src/api/xds/resource_types.js';
import { SnapshotCache } from '../../../src/discovery/xds/cache/snapshot_cache.js';
import { Snapshot, SnapshotError } from '../../../src/discovery/xds/cache/snapshot.js';
import { Subscription } from '../../../src/discovery/xds/cache/subscription.js';
import type { DeltaResponse, SotwResponse } from '../../../src/discovery/xds/cache/types.js';
import { BASIC, cluster, listener, snapshotOf } from './fixtures.js';

const node = { id: 'proxy-1', cluster: 'web' };

describe('SnapshotCache', () => {
  it('rejects a snapshot with dangling references, naming them', () => {
    const cache = new SnapshotCache();
    const bad = Snapshot.fromResources('1', { [CLUSTER_TYPE]: [cluster('orphan')], [LISTENER_TYPE]: [listener('l', 80, 'missing-route')] });
    assert.throws(
      () => cache.setSnapshot('proxy-1', bad),
      (err: Error) =>
        err instanceof SnapshotError &&
        /cluster "orphan" refers to EDS resource "orphan"/.test(err.message) &&
        /listener "l" refers to RDS resource "missing-route"/.test(err.message),
    );
    assert.equal(cache.getSnapshot('proxy-1'), undefined);
  });

  it('answers a watch at once when the snapshot is there, else on setSnapshot', () => {
    const cache = new SnapshotCache();
    const got: SotwResponse[] = [];
    const request = { typeUrl: CLUSTER_TYPE, subscription: Subscription.sotw(CLUSTER_TYPE, []) };
    cache.createWatch(node, request, (r) => got.push(r));
    assert.equal(got.length, 0);
    assert.equal(cache.openWatchCount('proxy-1'), 1);
    cache.setSnapshot('proxy-1', snapshotOf('v1', BASIC));
    assert.equal(got.length, 1);
    assert.equal(got[0]!.version, 'v1');
    assert.equal(cache.openWatchCount(), 0);

    // Same version and subscription as sent: the watch waits.
    const sent = { version: 'v1', subscriptionKey: request.subscription.key };
    const cancel = cache.createWatch(node, { ...request, sent }, (r) => got.push(r));
    assert.equal(got.length, 1);
    cancel();
    assert.equal(cache.openWatchCount(), 0);
    cache.setSnapshot('proxy-1', snapshotOf('v2', { ...BASIC, clusters: { ...BASIC.clusters, d: ['10.0.0.4'] } }));
    assert.equal(got.length, 1, 'a cancelled watch is not answered');
  });

  it('answers when only the subscription changed', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('proxy-1', snapshotOf('v1', BASIC));
    const before = Subscription.sotw(ENDPOINT_TYPE, ['a']);
    const after = Subscription.sotw(ENDPOINT_TYPE, ['a', 'b']);
    const got: SotwResponse[] = [];
    cache.createWatch(node, { typeUrl: ENDPOINT_TYPE, subscription: after, sent: { version: 'v1', subscriptionKey: before.key } }, (r) => got.push(r));
    assert.equal(got.length, 1);
  });

  it('keys snapshots by nodeHash', () => {
    const cache = new SnapshotCache({ nodeHash: (n) => n.cluster ?? '' });
    cache.setSnapshot('web', snapshotOf('v1', BASIC));
    const got: SotwResponse[] = [];
    cache.createWatch({ id: 'any-pod', cluster: 'web' }, { typeUrl: ROUTE_TYPE, subscription: Subscription.sotw(ROUTE_TYPE, ['r1']) }, (r) => got.push(r));
    assert.equal(got.length, 1);
    cache.clearSnapshot('web');
    assert.equal(cache.getSnapshot('web'), undefined);
  });

  it('delta watches send only what differs and name what disappeared', () => {
    const cache = new SnapshotCache();
    const v1 = snapshotOf('v1', BASIC);
    cache.setSnapshot('proxy-1', v1);
    const have = new Map([...v1.resources(CLUSTER_TYPE).values()].map((r) => [r.name, r.version]));
    const got: DeltaResponse[] = [];
    const subscription = Subscription.delta(CLUSTER_TYPE, [], []);
    cache.createDeltaWatch(node, { typeUrl: CLUSTER_TYPE, subscription, clientVersions: have, first: false }, (r) => got.push(r));
    assert.equal(got.length, 0, 'the client is up to date');
    cache.setSnapshot('proxy-1', snapshotOf('v2', { ...BASIC, clusters: { a: ['10.0.0.1'], b: ['10.0.0.2'], d: ['10.0.0.4'] } }, v1));
    assert.equal(got.length, 1);
    assert.deepEqual(got[0]!.resources.map((r) => r.name), ['d']);
    assert.deepEqual(got[0]!.removed, ['c']);
  });
});

describe('Subscription', () => {
  it('follows the wildcard rules of the xDS protocol', () => {
    assert.equal(Subscription.sotw(CLUSTER_TYPE, []).wildcard, true, 'empty first LDS/CDS request is the legacy wildcard');
    assert.equal(Subscription.sotw(ENDPOINT_TYPE, []).wildcard, false, 'EDS is never wildcard without "*"');
    assert.equal(Subscription.sotw(ENDPOINT_TYPE, ['*']).wildcard, true);
    const named = Subscription.sotw(CLUSTER_TYPE, ['a']);
    assert.equal(named.wildcard, false);
    assert.equal(Subscription.sotw(CLUSTER_TYPE, [], named).wildcard, false, 'after names, empty means nothing');
    const d1 = Subscription.delta(CLUSTER_TYPE, [], []);
    assert.equal(d1.wildcard, true);
    assert.equal(Subscription.delta(CLUSTER_TYPE, ['x'], [], d1).wildcard, false, 'legacy wildcard ends with a named subscribe');
    const explicit = Subscription.delta(CLUSTER_TYPE, ['*', 'x'], []);
    assert.equal(Subscription.delta(CLUSTER_TYPE, ['y'], [], explicit).wildcard, true);
    assert.equal(Subscription.delta(CLUSTER_TYPE, [], ['*'], explicit).wildcard, false);
  });
});
