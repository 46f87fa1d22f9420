// Snapshots built from already packed resources (fromCached) and the ResourcePool that
// packs each distinct resource once: maps are shared as given, unchanged types keep
// the previous snapshot's map and version, the consistency check is not repeated for
// what it already covered, and a pooled resource keeps its bytes, not its message.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE } from '../../../src/api/xds/resource_types.js';
import { ResourcePool } from '../../../src/discovery/xds/cache/resource_pool.js';
import { packResource, resourceMap, Snapshot, SnapshotError, type CachedResource, type CachedResourcesByType } from '../../../src/discovery/xds/cache/snapshot.js';
import { cluster, endpoints, listener, route } from './fixtures.js';

const packed = (typeUrl: Parameters<typeof packResource>[0], ...messages: Record<string, unknown>[]) => resourceMap(typeUrl, messages.map((m) => packResource(typeUrl, m)));

function basic(addresses = ['10.0.0.1']): CachedResourcesByType {
  return {
    [CLUSTER_TYPE]: packed(CLUSTER_TYPE, cluster('a')),
    [ENDPOINT_TYPE]: packed(ENDPOINT_TYPE, endpoints('a', ...addresses)),
    [LISTENER_TYPE]: packed(LISTENER_TYPE, listener('l', 8080, 'r')),
    [ROUTE_TYPE]: packed(ROUTE_TYPE, route('r', 'a')),
  };
}

describe('Snapshot.fromCached', () => {
  it('holds the maps it is given, so snapshots can share them', () => {
    const maps = basic();
    const one = Snapshot.fromCached('1', maps);
    const two = Snapshot.fromCached('1', maps);
    assert.equal(one.resources(CLUSTER_TYPE), maps[CLUSTER_TYPE]);
    assert.equal(two.resources(CLUSTER_TYPE), one.resources(CLUSTER_TYPE));
    assert.deepEqual(one.consistencyErrors(), []);
  });

  it('keeps the previous snapshot\'s map and version for each type whose contents did not change', () => {
    const first = Snapshot.fromCached('1', basic());
    const second = Snapshot.fromCached('2', basic(['10.0.0.1', '10.0.0.2']), first);
    for (const t of [CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE]) {
      assert.equal(second.version(t), '1');
      assert.equal(second.resources(t), first.resources(t), 'equal contents: the earlier map is kept');
    }
    assert.equal(second.version(ENDPOINT_TYPE), '2');
    assert.deepEqual(Snapshot.fromResources('x', {}).resources(CLUSTER_TYPE).size, 0);
  });

  it('does not walk listeners and clusters again when only endpoint contents changed', () => {
    let reads = 0;
    const counting = (r: CachedResource): CachedResource => ({
      name: r.name,
      version: r.version,
      any: r.any,
      get resource() {
        reads++;
        return r.resource;
      },
    });
    const maps = basic();
    maps[LISTENER_TYPE] = resourceMap(LISTENER_TYPE, [...maps[LISTENER_TYPE]!.values()].map(counting));
    const first = Snapshot.fromCached('1', maps);
    assert.deepEqual(first.consistencyErrors(), []);
    const afterFirst = reads;
    assert.ok(afterFirst > 0);
    const second = Snapshot.fromCached('2', { ...maps, [ENDPOINT_TYPE]: packed(ENDPOINT_TYPE, endpoints('a', '10.0.0.9')) }, first);
    assert.deepEqual(second.consistencyErrors(), []);
    assert.equal(reads, afterFirst, 'the previous answer held');
    // A name that goes away is checked again, and found.
    const third = Snapshot.fromCached('3', { ...maps, [ROUTE_TYPE]: new Map() }, second);
    assert.deepEqual(third.consistencyErrors(), ['listener "l" refers to RDS resource "r", which is missing']);
  });
});

describe('packResource', () => {
  it('without its message: the bytes, references worked out once, the message decoded back when read', () => {
    const kept = packResource(CLUSTER_TYPE, cluster('a'));
    const lean = packResource(CLUSTER_TYPE, cluster('a'), { keepMessage: false });
    assert.equal(lean.version, kept.version);
    assert.deepEqual(lean.any, kept.any);
    assert.deepEqual(lean.references, { routes: [], endpoints: ['a'], secrets: [] });
    assert.equal((lean.resource as { name?: string }).name, 'a');
    assert.equal((lean.resource as { type?: string }).type, 'EDS');
  });
});

describe('ResourcePool', () => {
  it('packs each distinct resource once per generation, found by identity or by content', () => {
    const pool = new ResourcePool();
    const source = cluster('a');
    const r = pool.resource(CLUSTER_TYPE, source);
    assert.equal(pool.resource(CLUSTER_TYPE, source), r);
    assert.equal(pool.resource(CLUSTER_TYPE, cluster('a')), r, 'equal content, another object');
    assert.notEqual(pool.resource(CLUSTER_TYPE, cluster('b')), r);
    assert.equal(pool.packed, 2);
  });

  it('takes an unchanged resource from the proxy\'s previous map in a later generation', () => {
    const pool = new ResourcePool();
    const r = pool.resource(CLUSTER_TYPE, cluster('a'));
    const before = resourceMap(CLUSTER_TYPE, [r]);
    pool.nextGeneration();
    assert.equal(pool.resource(CLUSTER_TYPE, cluster('a'), before), r);
    assert.equal(pool.packed, 0);
    const other = { ...cluster('a'), connect_timeout: { seconds: 2, nanos: 0 } };
    assert.notEqual(pool.resource(CLUSTER_TYPE, other, before), r, 'same name, new content: packed anew');
  });

  it('hands out one map per distinct list, adopting the previous map when it is the same', () => {
    const pool = new ResourcePool();
    const list = [pool.resource(CLUSTER_TYPE, cluster('a')), pool.resource(CLUSTER_TYPE, cluster('b'))];
    const map = pool.map(CLUSTER_TYPE, list);
    assert.equal(pool.map(CLUSTER_TYPE, [...list]), map);
    pool.nextGeneration();
    assert.equal(pool.map(CLUSTER_TYPE, list, map), map);
    assert.throws(() => pool.map(CLUSTER_TYPE, [list[0]!, list[0]!]), SnapshotError);
  });

  it('lets the prepare step refuse a resource', () => {
    const pool = new ResourcePool(() => {
      throw new Error('does not validate');
    });
    assert.throws(() => pool.resource(CLUSTER_TYPE, cluster('a')), /does not validate/);
  });
});
