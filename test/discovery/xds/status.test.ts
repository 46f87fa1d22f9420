// Per-proxy sync status (istioctl proxy-status's states) and the server's metrics.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CLUSTER_TYPE, ENDPOINT_TYPE, ROUTE_TYPE } from '../../../src/api/xds/resource_types.js';
import { classify } from '../../../src/discovery/xds/status.js';
import { ackOf } from './client.js';
import { BASIC, snapshotOf } from './fixtures.js';
import { eventually, startXds, type Harness } from './harness.js';

describe('proxy status', () => {
  let h: Harness;
  before(async () => {
    h = await startXds();
  });
  after(() => h.close());

  it('classifies each type as SYNCED, STALE or NOT SENT, with NACK details', async () => {
    const node = { id: 'status-proxy', cluster: 'ratings', metadata: { NAMESPACE: 'default' } };
    h.cache.setSnapshot(node.id, snapshotOf('v1', BASIC));
    const c = h.sotw();
    c.send({ node, type_url: CLUSTER_TYPE });
    const cds = await c.next();
    c.send(ackOf(cds));
    c.send({ type_url: ENDPOINT_TYPE, resource_names: ['a'] });
    const eds = await c.next();
    c.send({ type_url: ROUTE_TYPE, resource_names: ['r1'] });
    const rds = await c.next();
    c.send({ type_url: ROUTE_TYPE, response_nonce: rds.nonce, resource_names: ['r1'], error_detail: { message: 'route r1: unknown cluster' } });
    await eventually(() => h.server.proxyStatus()[0]?.types.RDS?.lastNack !== undefined, 'the NACK');

    const [status, ...others] = h.server.proxyStatus();
    assert.equal(others.length, 0);
    assert.equal(status!.nodeId, 'status-proxy');
    assert.equal(status!.nodeCluster, 'ratings');
    assert.deepEqual(status!.nodeMetadata, { NAMESPACE: 'default' });
    assert.ok(Date.parse(status!.connectedSince) <= Date.now());
    assert.deepEqual(Object.keys(status!.types), ['CDS', 'EDS', 'LDS', 'RDS', 'SDS']);
    const t = status!.types;
    assert.equal(t.CDS!.state, 'SYNCED');
    assert.equal(t.CDS!.ackedVersion, 'v1');
    assert.equal(t.CDS!.ackedNonce, cds.nonce);
    assert.equal(t.CDS!.sentResources, 3);
    assert.equal(t.EDS!.state, 'STALE', 'sent, not yet ACKed');
    assert.equal(t.EDS!.sentNonce, eds.nonce);
    assert.equal(t.LDS!.state, 'NOT SENT');
    assert.equal(t.SDS!.state, 'NOT SENT');
    assert.equal(t.RDS!.state, 'STALE');
    assert.equal(t.RDS!.lastNack!.message, 'route r1: unknown cluster');
    assert.equal(t.RDS!.lastNack!.nonce, rds.nonce);
    assert.doesNotThrow(() => JSON.stringify(h.server.proxyStatus()));

    const m = h.server.metrics();
    assert.equal(m.connectedStreams, 1);
    assert.equal(m.connectedByProtocol.sotw, 1);
    assert.equal(m.types.CDS!.acks, 1);
    assert.equal(m.types.RDS!.nacks, 1);
    assert.equal(m.types.EDS!.pushes, 1);
    assert.equal(m.types.CDS!.pushBytes, cds.bytes);
    assert.equal(m.requestsReceived, 5);
    assert.equal(m.pushTime.count, 3);

    c.close();
    await eventually(() => h.server.proxyStatus().length === 0, 'the stream to go');
    assert.equal(h.server.metrics().connectedStreams, 0);
    assert.equal(h.cache.openWatchCount(), 0, 'watches of a closed stream are cancelled');
  });

  it('classify() follows istioctl', () => {
    assert.equal(classify(undefined), 'NOT SENT');
    const sent = { version: '1', nonce: '7', at: 0, resources: 1 };
    assert.equal(classify({ sent }), 'STALE');
    assert.equal(classify({ sent, acked: { version: '1', nonce: '7', at: 0 } }), 'SYNCED');
    assert.equal(classify({ sent, acked: { version: '0', nonce: '6', at: 0 } }), 'STALE');
    assert.equal(classify({ sent, nacked: { version: '1', nonce: '7', at: 0, message: 'no' } }), 'STALE');
  });
});

describe('shutdown', () => {
  it('ends open streams with OK and cancels their watches', async () => {
    const h = await startXds();
    const c = h.delta();
    c.send({ node: { id: 'waiting' }, type_url: CLUSTER_TYPE });
    await eventually(() => h.cache.openWatchCount() === 1, 'the watch');
    await h.server.close();
    assert.equal((await c.ended).code, 0);
    assert.equal(h.cache.openWatchCount(), 0);
    assert.equal(h.server.metrics().connectedStreams, 0);
    await h.close();
  });
});
