// The bytes one endpoint change costs at 1,000 clusters: SotW resends every
// ClusterLoadAssignment the proxy subscribes to, delta sends the one that changed
// (DESIGN.md §6 asks for at least 10× fewer bytes). Behaviour, not timing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from '../../../src/api/xds/resource_types.js';
import { ackOf } from './client.js';
import { snapshotOf, type MeshShape } from './fixtures.js';
import { eventually, startXds, type Harness } from './harness.js';

const CLUSTERS = 1000;

function mesh(changedAddress?: string): MeshShape {
  const clusters: Record<string, string[]> = {};
  for (let i = 0; i < CLUSTERS; i++) clusters[`outbound|80||svc-${i}.default.svc.cluster.local`] = [`10.1.${i >> 8}.${i & 255}`];
  if (changedAddress) clusters['outbound|80||svc-500.default.svc.cluster.local'] = [changedAddress];
  return { clusters };
}

describe('one endpoint change at 1,000 clusters', () => {
  let h: Harness;
  before(async () => {
    h = await startXds();
  });
  after(() => h.close());

  it('costs delta far fewer bytes than SotW', async () => {
    const node = { id: 'scale' };
    const v1 = snapshotOf('v1', mesh());
    h.cache.setSnapshot(node.id, v1);
    const names = [...v1.resources(ENDPOINT_TYPE).keys()];

    const sotw = h.sotw();
    sotw.send({ node, type_url: CLUSTER_TYPE });
    const cds = await sotw.next();
    assert.equal(cds.resources!.length, CLUSTERS);
    sotw.send(ackOf(cds));
    sotw.send({ type_url: ENDPOINT_TYPE, resource_names: names });
    const eds = await sotw.next();
    assert.equal(eds.resources!.length, CLUSTERS);
    sotw.send(ackOf(eds, names));

    const delta = h.delta();
    delta.send({ node, type_url: CLUSTER_TYPE });
    const dcds = await delta.next();
    delta.send({ type_url: CLUSTER_TYPE, response_nonce: dcds.nonce });
    delta.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: names });
    const deds = await delta.next();
    assert.equal(deds.resources!.length, CLUSTERS);
    delta.send({ type_url: ENDPOINT_TYPE, response_nonce: deds.nonce });
    await eventually(() => h.server.proxyStatus().every((p) => p.types.CDS!.state === 'SYNCED' && p.types.EDS!.state === 'SYNCED'), 'both synced');

    const cdsPushes = h.server.metrics().types.CDS!.pushes;
    h.cache.setSnapshot(node.id, snapshotOf('v2', mesh('10.9.9.9'), v1));
    const sotwUpdate = await sotw.next();
    const deltaUpdate = await delta.next();
    assert.equal(sotwUpdate.type_url, ENDPOINT_TYPE);
    assert.equal(sotwUpdate.resources!.length, CLUSTERS, 'SotW resends every subscribed assignment');
    assert.equal(deltaUpdate.type_url, ENDPOINT_TYPE);
    assert.deepEqual(deltaUpdate.resources!.map((r) => r.name), ['outbound|80||svc-500.default.svc.cluster.local']);
    assert.equal(h.server.metrics().types.CDS!.pushes, cdsPushes, 'clusters did not change, so no CDS push');
    assert.ok(
      sotwUpdate.bytes >= 10 * deltaUpdate.bytes,
      `SotW ${sotwUpdate.bytes} bytes vs delta ${deltaUpdate.bytes} bytes`,
    );
  });
});
