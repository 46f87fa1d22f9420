// State-of-the-world xDS against a real server: ACK/NACK, nonces, wildcard and named
// subscriptions, ADS push order, node handling and bad input. Where a test asserts
// that something is *not* sent, it sends a probe request of another type on the same
// stream: the server handles requests in order, so anything it meant to send would
// arrive before the probe's answer.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../../src/api/xds/resource_types.js';
import { messageFromBinary, messageToBinary } from '../../../src/api/proto/binary.js';
import { serviceDefinition, XDS_SERVICES } from '../../../src/discovery/xds/services.js';
import { ackOf, namesIn, type DiscoveryResponse } from './client.js';
import { BASIC, snapshotOf } from './fixtures.js';
import { eventually, startXds, type Harness } from './harness.js';

const node = { id: 'sidecar~10.0.0.9~web-1.default~default.svc.cluster.local', cluster: 'web.default' };
const KEY = node.id;
const CDS_SERVICE = XDS_SERVICES.find((s) => s.service === 'cds')!;

describe('SotW xDS', () => {
  let h: Harness;
  before(async () => {
    h = await startXds();
  });
  after(() => h.close());

  it('answers, takes the ACK, and pushes the next version', async () => {
    h.cache.setSnapshot(KEY, snapshotOf('v1', BASIC));
    const c = h.sotw();
    c.send({ node, type_url: CLUSTER_TYPE });
    const r1 = await c.next();
    assert.equal(r1.type_url, CLUSTER_TYPE);
    assert.equal(r1.version_info, 'v1');
    assert.deepEqual(namesIn(r1).sort(), ['a', 'b', 'c']);
    assert.ok(r1.nonce);
    c.send(ackOf(r1));
    await eventually(() => h.server.proxyStatus().some((p) => p.types.CDS?.state === 'SYNCED'), 'CDS ACK');

    h.cache.setSnapshot(KEY, snapshotOf('v2', { ...BASIC, clusters: { ...BASIC.clusters, d: ['10.0.0.4'] } }));
    const r2 = await c.next();
    assert.equal(r2.version_info, 'v2');
    assert.notEqual(r2.nonce, r1.nonce);
    assert.deepEqual(namesIn(r2).sort(), ['a', 'b', 'c', 'd']);
    c.close();
  });

  it('answers a request without nonce in full, as a client starting over', async () => {
    h.cache.setSnapshot(KEY, snapshotOf('v1', BASIC));
    const c = h.sotw();
    c.send({ node, type_url: LISTENER_TYPE });
    const r1 = await c.next();
    c.send(ackOf(r1));
    c.send({ type_url: LISTENER_TYPE });
    const r2 = await c.next();
    assert.equal(r2.version_info, 'v1');
    assert.deepEqual(namesIn(r2), namesIn(r1));
    assert.notEqual(r2.nonce, r1.nonce);
    c.close();
  });

  it('records a NACK and does not send the rejected version again', async () => {
    h.cache.setSnapshot(KEY, snapshotOf('v1', BASIC));
    const c = h.sotw();
    c.send({ node, type_url: CLUSTER_TYPE });
    const r1 = await c.next();
    c.send({ type_url: CLUSTER_TYPE, version_info: '', response_nonce: r1.nonce, error_detail: { code: 3, message: 'cluster a: bad lb_policy' } });
    c.send({ type_url: LISTENER_TYPE });
    const probe = await c.next();
    assert.equal(probe.type_url, LISTENER_TYPE, 'the NACKed CDS version was not resent');

    const status = h.server.proxyStatus().find((p) => p.types.CDS?.sentNonce === r1.nonce)!;
    assert.equal(status.types.CDS!.state, 'STALE');
    assert.deepEqual(
      { message: status.types.CDS!.lastNack!.message, version: status.types.CDS!.lastNack!.version },
      { message: 'cluster a: bad lb_policy', version: 'v1' },
    );
    assert.equal(h.server.metrics().types.CDS!.nacks >= 1, true);

    h.cache.setSnapshot(KEY, snapshotOf('v2', { ...BASIC, clusters: { a: ['10.0.0.1'] } }));
    const r2 = await c.next();
    assert.equal(r2.type_url, CLUSTER_TYPE);
    assert.equal(r2.version_info, 'v2');
    c.send(ackOf(r2));
    await eventually(() => h.server.proxyStatus().some((p) => p.types.CDS?.sentNonce === r2.nonce && p.types.CDS.state === 'SYNCED'), 'ACK of v2');
    c.close();
  });

  it('ignores a request whose nonce is not the latest', async () => {
    const v1 = snapshotOf('v1', BASIC);
    h.cache.setSnapshot(KEY, v1);
    const c = h.sotw();
    c.send({ node, type_url: ENDPOINT_TYPE, resource_names: ['a'] });
    const r1 = await c.next();
    c.send(ackOf(r1, ['a']));
    h.cache.setSnapshot(KEY, snapshotOf('v2', { ...BASIC, clusters: { ...BASIC.clusters, a: ['10.0.0.100'] } }, v1));
    const r2 = await c.next();
    assert.equal(r2.version_info, 'v2');
    const staleBefore = h.server.metrics().types.EDS!.staleNonces;

    // A late request answering r1 that also asks for 'b': stale, so ignored.
    c.send(ackOf(r1, ['a', 'b']));
    c.send({ type_url: ROUTE_TYPE, resource_names: ['r1'] });
    const probe = await c.next();
    assert.equal(probe.type_url, ROUTE_TYPE, 'no EDS response to the stale request');
    assert.equal(h.server.metrics().types.EDS!.staleNonces, staleBefore + 1);

    // Answering r2 with the new names is current: 'b' is added.
    c.send(ackOf(r2, ['a', 'b']));
    const r3 = await c.next();
    assert.equal(r3.type_url, ENDPOINT_TYPE);
    assert.deepEqual(namesIn(r3).sort(), ['a', 'b']);
    c.close();
  });

  it('serves wildcard LDS/CDS and only the named RDS/EDS resources present', async () => {
    h.cache.setSnapshot(KEY, snapshotOf('v1', BASIC));
    const c = h.sotw();
    c.send({ node, type_url: ENDPOINT_TYPE, resource_names: ['a', 'no-such-cluster'] });
    assert.deepEqual(namesIn(await c.next()), ['a']);
    c.send({ type_url: CLUSTER_TYPE, resource_names: ['*'] });
    assert.deepEqual(namesIn(await c.next()).sort(), ['a', 'b', 'c']);
    c.send({ type_url: LISTENER_TYPE, resource_names: ['l2'] });
    assert.deepEqual(namesIn(await c.next()), ['l2'], 'LDS may be named too');
    c.send({ type_url: ROUTE_TYPE, resource_names: [] });
    assert.deepEqual(namesIn(await c.next()), [], 'RDS without names subscribes to nothing');
    c.send({ type_url: SECRET_TYPE, resource_names: ['ROOTCA'] });
    assert.deepEqual(namesIn(await c.next()), ['ROOTCA']);
    c.close();
  });

  it('pushes a new snapshot in ADS order: CDS, EDS, LDS, RDS, SDS', async () => {
    h.cache.setSnapshot(KEY, snapshotOf('v1', BASIC));
    const c = h.sotw();
    const subs: Array<[string, string[]]> = [
      [SECRET_TYPE, ['default']],
      [ROUTE_TYPE, ['r1', 'r2']],
      [LISTENER_TYPE, []],
      [ENDPOINT_TYPE, ['a', 'b', 'c']],
      [CLUSTER_TYPE, []],
    ];
    c.send({ node, type_url: subs[0]![0], resource_names: subs[0]![1] });
    for (const [i] of subs.entries()) {
      const r = await c.next();
      c.send(ackOf(r, subs[i]![1]));
      if (subs[i + 1]) c.send({ type_url: subs[i + 1]![0], resource_names: subs[i + 1]![1] });
    }
    await eventually(() => h.server.proxyStatus().some((p) => Object.values(p.types).every((t) => t.state === 'SYNCED')), 'all ACKed');

    h.cache.setSnapshot(
      KEY,
      snapshotOf('v2', {
        clusters: { a: ['10.0.0.11'], b: ['10.0.0.2'], c: ['10.0.0.3'], d: ['10.0.0.4'] },
        listeners: { l1: { port: 8081, route: 'r1', cluster: 'b' }, l2: BASIC.listeners!.l2! },
        secrets: { default: 'rotated', ROOTCA: 'ca' },
      }),
    );
    const order: string[] = [];
    for (let i = 0; i < 5; i++) order.push((await c.next()).type_url!);
    assert.deepEqual(order, [CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE]);
    c.close();
  });

  it('remembers the node when it is sent on the first request only', async () => {
    const withMeta = { ...node, id: 'node-first-only', metadata: { ISTIO_VERSION: '1.22.0', LABELS: { app: 'web' } } };
    h.cache.setSnapshot(withMeta.id, snapshotOf('v1', BASIC));
    const c = h.sotw();
    c.send({ node: withMeta, type_url: CLUSTER_TYPE });
    const r1 = await c.next();
    c.send(ackOf(r1));
    c.send({ type_url: ENDPOINT_TYPE, resource_names: ['b'] });
    const r2 = await c.next();
    assert.deepEqual(namesIn(r2), ['b']);
    const status = h.server.proxyStatus().find((p) => p.nodeId === withMeta.id)!;
    assert.equal(status.nodeCluster, 'web.default');
    assert.deepEqual(status.nodeMetadata, { ISTIO_VERSION: '1.22.0', LABELS: { app: 'web' } });
    assert.equal(status.protocol, 'sotw');
    assert.equal(status.service, 'ads');
    c.close();
  });

  it('waits for a snapshot that does not exist yet', async () => {
    const c = h.sotw();
    c.send({ node: { id: 'late-node' }, type_url: CLUSTER_TYPE });
    await eventually(() => h.cache.openWatchCount('late-node') === 1, 'the watch');
    h.cache.setSnapshot('late-node', snapshotOf('v9', BASIC));
    assert.equal((await c.next()).version_info, 'v9');
    c.close();
  });

  it('serves the per-type services, whose requests may omit type_url', async () => {
    h.cache.setSnapshot(KEY, snapshotOf('v1', BASIC));
    const c = h.sotw(CDS_SERVICE);
    c.send({ node });
    const r = await c.next();
    assert.equal(r.type_url, CLUSTER_TYPE);
    assert.equal(namesIn(r).length, 3);
    assert.ok(h.server.proxyStatus().some((p) => p.service === 'cds'));
    c.close();

    const Ctor = grpc.makeGenericClientConstructor(serviceDefinition(CDS_SERVICE), CDS_SERVICE.name);
    const unary = new Ctor(`127.0.0.1:${h.port}`, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (...a: unknown[]) => void>;
    const fetched = await new Promise<DiscoveryResponse>((resolve, reject) =>
      unary.FetchClusters!(messageToBinary('envoy.service.discovery.v3.DiscoveryRequest', { node }), (err: Error | null, buf: Buffer) =>
        err ? reject(err) : resolve(messageFromBinary('envoy.service.discovery.v3.DiscoveryResponse', buf)),
      ),
    );
    assert.equal(fetched.version_info, 'v1');
    assert.equal(namesIn(fetched).length, 3);
    unary.close();
  });

  it('ends only the offending stream on bad input', async () => {
    h.cache.setSnapshot(KEY, snapshotOf('v1', BASIC));
    const garbage = h.sotw();
    garbage.sendRaw(Buffer.from([0x12, 0x05, 0x0a])); // a 5-byte node cut after one byte
    const s1 = await garbage.ended;
    assert.equal(s1.code, grpc.status.INVALID_ARGUMENT);
    assert.match(s1.details, /cannot decode DiscoveryRequest/);

    const unknown = h.sotw();
    unknown.send({ node, type_url: 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig' });
    const s2 = await unknown.ended;
    assert.equal(s2.code, grpc.status.INVALID_ARGUMENT);
    assert.match(s2.details, /unknown type URL/);

    const anonymous = h.sotw();
    anonymous.send({ type_url: CLUSTER_TYPE });
    assert.match((await anonymous.ended).details, /must carry a node/);

    const good = h.sotw();
    good.send({ node, type_url: CLUSTER_TYPE });
    assert.equal((await good.next()).version_info, 'v1');
    assert.ok(h.server.metrics().badRequests >= 3);
    good.close();
  });
});
