// endpointChanges: which service ports' endpoints moved between two push contexts,
// and only when nothing else did (then the server pushes EDS alone). Plus
// PushContext.version, which must hash exactly what it hashed before configVersion
// was computed beside it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPushContext, endpointChanges, podIp } from '../../../src/discovery/model/index.js';
import { contentHash } from '../../../src/discovery/model/version.js';
import { buildRegistry } from '../../../src/discovery/registry/index.js';
import { COOLSTORE, COOLSTORE_PODS, objectsFromYaml, pod } from './objects.js';

const CATALOG = 'catalog.istioinaction.svc.cluster.local';
const objects = objectsFromYaml(COOLSTORE, 'coolstore.yaml');
const base = buildPushContext({ objects, pods: COOLSTORE_PODS });

describe('endpointChanges', () => {
  it('names nothing when nothing changed', () => {
    const same = buildPushContext({ objects, pods: COOLSTORE_PODS, previous: base });
    assert.deepEqual(endpointChanges(base, same), { keys: new Set(), hostnames: new Set(), addresses: new Set() });
  });

  it('names the service port whose pods changed, and the addresses involved', () => {
    const more = [...COOLSTORE_PODS, pod('catalog-5c7f8d9b6-pqrst', 'istioinaction', 4, { app: 'catalog', version: 'v1' }, { namedPorts: { http: 3000 } })];
    const next = buildPushContext({ objects, pods: more, previous: base });
    const changes = endpointChanges(base, next)!;
    assert.deepEqual([...changes.keys], [`${CATALOG}|80`]);
    assert.deepEqual([...changes.hostnames], [CATALOG]);
    // Every catalog endpoint before and after, and the new workload.
    assert.deepEqual([...changes.addresses].sort(), [podIp(2), podIp(3), podIp(4)].sort());
  });

  it('sees a health change, and a workload change that moves no endpoint', () => {
    const unhealthy = COOLSTORE_PODS.map((p, i) => (i === 2 ? { ...p, healthy: false } : p));
    assert.deepEqual([...endpointChanges(base, buildPushContext({ objects, pods: unhealthy }))!.keys], [`${CATALOG}|80`]);
    // A named port no service uses: no endpoint changes, but the workload at that address did.
    const morePorts = COOLSTORE_PODS.map((p, i) => (i === 0 ? { ...p, namedPorts: { ...p.namedPorts, metrics: 9090 } } : p));
    const changes = endpointChanges(base, buildPushContext({ objects, pods: morePorts }))!;
    assert.deepEqual([...changes.keys], []);
    assert.deepEqual([...changes.addresses], [podIp(1)]);
  });

  it('counts EndpointSlices and WorkloadEntries as endpoints, and any other object as config', () => {
    const slice = (address: string) => `apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: catalog-abc, namespace: istioinaction, labels: { kubernetes.io/service-name: catalog } }
addressType: IPv4
endpoints: [{ addresses: [${address}] }]
ports: [{ name: http, port: 3000 }]
`;
    const withSlice = (address: string) => buildPushContext({ objects: [...objects, ...objectsFromYaml(slice(address), 'slice.yaml')] });
    const a = withSlice('10.0.0.1');
    const b = withSlice('10.0.0.2');
    assert.notEqual(a.version, b.version);
    assert.equal(a.configVersion, b.configVersion);
    assert.ok(endpointChanges(a, b));
    const dr = objectsFromYaml('apiVersion: networking.istio.io/v1alpha3\nkind: DestinationRule\nmetadata: { name: c, namespace: istioinaction }\nspec: { host: catalog }\n', 'dr.yaml');
    const withRule = buildPushContext({ objects: [...objects, ...dr], pods: COOLSTORE_PODS });
    assert.notEqual(withRule.configVersion, base.configVersion);
    assert.equal(endpointChanges(base, withRule), undefined, 'a config change is not an endpoint change');
  });

  it('treats an object moved within its file as config (warnings quote file:line)', () => {
    const moved = objects.map((o, i) => (i === 1 ? { ...o, source: { ...o.source!, line: o.source!.line + 1 } } : o));
    const next = buildPushContext({ objects: moved, pods: COOLSTORE_PODS });
    assert.equal(next.version, base.version);
    assert.equal(endpointChanges(base, next), undefined);
  });
});

describe('PushContext.version', () => {
  it('is the content hash it always was', () => {
    const registry = buildRegistry({ objects, pods: COOLSTORE_PODS, domainSuffix: 'cluster.local' });
    const expected = contentHash([
      base.meshConfig,
      objects.map((o) => [o.apiVersion, o.kind, o.metadata, o.spec]),
      registry.services,
      [...registry.endpoints.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      registry.workloads,
    ]);
    assert.equal(base.version, expected);
  });
});
