// The seed's coolstore (chapter 4) through buildPushContext: what translation will
// read for the ingress gateway and the two sidecars.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPushContext, DEFAULT_MESH_CONFIG } from '../../../src/discovery/model/index.js';
import { COOLSTORE, COOLSTORE_PODS, objectsFromYaml } from './objects.js';

describe('push context: coolstore', () => {
  const objects = objectsFromYaml(COOLSTORE, 'coolstore.yaml');
  const ctx = buildPushContext({ objects, pods: COOLSTORE_PODS });

  it('has the two services with Istio hostnames, HTTP ports and target ports', () => {
    assert.deepEqual(
      ctx.services().map((s) => [s.hostname, s.ports.map((p) => `${p.name}:${p.port}->${p.targetPort}/${p.protocol}`)]),
      [
        ['catalog.istioinaction.svc.cluster.local', ['http:80->3000/HTTP']],
        ['webapp.istioinaction.svc.cluster.local', ['http:80->8080/HTTP']],
      ],
    );
    const catalog = ctx.serviceByHostname('catalog.istioinaction.svc.cluster.local')!;
    assert.equal(catalog.origin, 'Kubernetes');
    assert.equal(catalog.resolution, 'ClientSideLB');
    assert.equal(catalog.address, undefined);
    assert.deepEqual(catalog.exportTo, ['*']);
  });

  it('publishes the catalog pods as endpoints on their pod IPs and port 3000', () => {
    const eps = ctx.endpoints('catalog.istioinaction.svc.cluster.local', 80);
    assert.deepEqual(
      eps.map((e) => `${e.address}:${e.port}`),
      ['127.1.0.2:3000', '127.1.0.3:3000'],
    );
    assert.deepEqual(
      eps.map((e) => [e.workloadName, e.serviceAccount, e.healthy, e.labels.version, e.servicePortName]),
      [
        ['catalog-5c7f8d9b6-fghij', 'catalog', true, 'v1', 'http'],
        ['catalog-5c7f8d9b6-klmno', 'catalog', true, 'v1', 'http'],
      ],
    );
    assert.deepEqual(ctx.endpoints('catalog.istioinaction.svc.cluster.local', 8080), []);
  });

  it('binds the gateway to ingress gateway proxies and the VirtualService to the gateway', () => {
    const gws = ctx.gatewaysForLabels({ istio: 'ingressgateway', app: 'istio-ingressgateway' });
    assert.deepEqual(gws.map((g) => g.metadata.name), ['coolstore-gateway']);
    assert.deepEqual(ctx.gatewaysForLabels({ app: 'webapp' }), []);
    const vs = ctx.virtualServicesFor('istioinaction/coolstore-gateway', 'istio-system');
    assert.deepEqual(vs.map((v) => `${v.metadata.name}.${v.metadata.namespace}`), ['webapp-vs-from-gw.istioinaction']);
    assert.deepEqual(ctx.virtualServicesFor('mesh', 'istioinaction'), []);
    assert.equal(ctx.gatewayByName('istioinaction/coolstore-gateway')?.metadata.name, 'coolstore-gateway');
  });

  it('knows which services select a workload, and the namespace labels', () => {
    assert.deepEqual(
      ctx.servicesForWorkload('istioinaction', { app: 'catalog', version: 'v1' }).map((s) => s.name),
      ['catalog'],
    );
    assert.deepEqual(ctx.servicesForWorkload('default', { app: 'catalog' }), []);
    assert.equal(ctx.namespaceLabels('istioinaction')['istio-injection'], 'enabled');
  });

  it('lists the pods as workloads with pod and app addresses', () => {
    assert.deepEqual(
      ctx.workloads().map((w) => [w.name, w.address, w.appAddress]),
      [
        ['catalog-5c7f8d9b6-fghij', '127.1.0.2', '127.2.0.2'],
        ['catalog-5c7f8d9b6-klmno', '127.1.0.3', '127.2.0.3'],
        ['webapp-7b8c9d4f5-abcde', '127.1.0.1', '127.2.0.1'],
      ],
    );
  });

  it('uses the default mesh config, with no warnings', () => {
    assert.deepEqual(ctx.meshConfig, DEFAULT_MESH_CONFIG);
    assert.deepEqual(ctx.warnings, []);
  });

  it('has a version that is stable across identical rebuilds and changes with content', () => {
    const again = buildPushContext({ objects: objectsFromYaml(COOLSTORE, 'coolstore.yaml'), pods: COOLSTORE_PODS });
    assert.equal(again.version, ctx.version);
    const scaled = buildPushContext({ objects, pods: COOLSTORE_PODS.slice(0, 2) });
    assert.notEqual(scaled.version, ctx.version);
    assert.deepEqual(
      scaled.endpoints('catalog.istioinaction.svc.cluster.local', 80).map((e) => e.address),
      ['127.1.0.2'],
    );
    const edited = buildPushContext({ objects: objectsFromYaml(COOLSTORE.replace('targetPort: 3000', 'targetPort: 3001')), pods: COOLSTORE_PODS });
    assert.notEqual(edited.version, ctx.version);
  });
});
