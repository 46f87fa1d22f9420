// A TranslationMemo shares work between the proxies of one push and must never change
// what translation produces: every golden case translated with one shared memo (in
// either order, twice) equals plain translation, warnings included; endpoint-only
// rebuilds equal full translation; the gateway sharing key covers everything gateway
// translation reads from a proxy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPushContext, endpointChanges, parseProxy } from '../../../src/discovery/model/index.js';
import type { Proxy as MeshProxy, ProxyResources } from '../../../src/discovery/model/types.js';
import { buildProxyResources, rebuildAssignments, sharedTranslationKey, TranslationMemo } from '../../../src/discovery/translate/index.js';
import { caseInputs, caseNames, loadCase } from './harness.js';

const names = (list: Record<string, unknown>[]) => list.map((r) => String(r.name ?? r.cluster_name));

describe('TranslationMemo', () => {
  for (const name of caseNames()) {
    it(`${name}: one memo for every proxy gives plain translation's output`, () => {
      const c = loadCase(name);
      const plain = c.proxies.map((p) => buildProxyResources(c.push, p.proxy));
      for (const order of [c.proxies, [...c.proxies].reverse()]) {
        const memo = new TranslationMemo(c.push);
        for (let round = 0; round < 2; round++) {
          for (const p of order) {
            const shared = buildProxyResources(c.push, p.proxy, { memo });
            assert.deepEqual(shared, plain[c.proxies.indexOf(p)], `${name}/${p.name} (round ${round})`);
            // The plan names exactly the ClusterLoadAssignments built.
            assert.deepEqual(memo.endpointPlan(shared)!.clusters.map((e) => e.name).sort(), names(shared.endpoints).sort());
          }
        }
      }
    });
  }

  it('refuses a memo of another push, and capabilities beside one', () => {
    const c = loadCase('coolstore');
    const other = loadCase('coolstore');
    const proxy = c.proxies[0]!.proxy;
    assert.throws(() => buildProxyResources(c.push, proxy, { memo: new TranslationMemo(other.push) }), /another PushContext/);
    assert.throws(() => buildProxyResources(c.push, proxy, { memo: new TranslationMemo(c.push), capabilities: { faultFilter: false } }), /capabilities/);
  });
});

describe('rebuildAssignments (endpoint-only pushes)', () => {
  const checkedByCase = new Map<string, number>();
  // Each pod in turn changes health: a proxy not at a touched address gets, from its
  // plan, exactly the ClusterLoadAssignments a full translation of the new push gives.
  for (const name of caseNames()) {
    const inputs = caseInputs(name);
    if (inputs.pods.length === 0) continue;
    it(`${name}: rebuilt endpoints equal a full translation after each pod's health flips`, () => {
      const before = buildPushContext({ objects: inputs.objects, pods: inputs.pods, meshConfig: inputs.meshConfig });
      const memoBefore = new TranslationMemo(before);
      const built = new Map(inputs.proxies.map((p) => [p.name, buildProxyResources(before, p.proxy, { memo: memoBefore })]));
      let checked = 0;
      inputs.pods.forEach((_, i) => {
        const pods = inputs.pods.map((p, j) => (j === i ? { ...p, healthy: !p.healthy } : p));
        const after = buildPushContext({ objects: inputs.objects, pods, meshConfig: inputs.meshConfig, previous: before });
        const changes = endpointChanges(before, after);
        assert.ok(changes, 'a pod change is an endpoint change');
        const memo = new TranslationMemo(after);
        for (const p of inputs.proxies) {
          if (p.proxy.ipAddresses.some((ip) => changes.addresses.has(ip))) continue;
          const old = built.get(p.name)!;
          const rebuilt = rebuildAssignments(memo, p.proxy, memoBefore.endpointPlan(old)!, changes);
          const full = buildProxyResources(after, p.proxy);
          const patched = new Map(old.endpoints.map((e) => [e.cluster_name, e]));
          for (const cla of rebuilt) patched.set(cla.cluster_name, cla);
          assert.deepEqual([...patched.values()], full.endpoints, `${name}/${p.name}, pod ${i} flipped`);
          const { endpoints: _e1, ...restOld } = old;
          const { endpoints: _e2, ...restFull } = full;
          assert.deepEqual(restOld, restFull, 'nothing but endpoints differs');
          checked++;
        }
      });
      checkedByCase.set(name, checked);
    });
  }

  it('was exercised where it matters: plain sidecars, gateways, locality priorities', () => {
    for (const name of ['coolstore', 'locality', 'subsets-traffic-policy']) assert.ok((checkedByCase.get(name) ?? 0) > 0, `${name}: ${checkedByCase.get(name)}`);
  });
});

describe('sharedTranslationKey', () => {
  const c = loadCase('coolstore');
  const memo = new TranslationMemo(c.push);
  const gatewayNode = (pod: string, labels: Record<string, string>, namespace = 'istio-system', ip = '127.1.0.1') => ({
    id: `router~${ip}~${pod}.${namespace}~${namespace}.svc.cluster.local`,
    metadata: { LABELS: labels, NAMESPACE: namespace },
  });
  const key = (node: Parameters<typeof parseProxy>[0]) => sharedTranslationKey(memo, parseProxy(node));
  const ingress = { istio: 'ingressgateway', app: 'istio-ingressgateway' };

  it('is equal for replicas of one gateway, different when labels, namespace or locality differ', () => {
    const a = key(gatewayNode('ingress-1', ingress));
    assert.ok(a);
    assert.equal(key(gatewayNode('ingress-2', { app: 'istio-ingressgateway', istio: 'ingressgateway' })), a, 'label order does not matter');
    assert.notEqual(key(gatewayNode('ingress-1', { istio: 'internal' })), a);
    assert.notEqual(key(gatewayNode('ingress-1', ingress, 'other')), a);
    assert.notEqual(key({ ...gatewayNode('ingress-1', ingress), locality: { region: 'us-east1' } }), a);
  });

  it('is undefined for sidecars (their listeners are the pod\'s own)', () => {
    assert.equal(key({ id: 'sidecar~127.1.0.2~web-1.istioinaction~istioinaction.svc.cluster.local', metadata: { NAMESPACE: 'istioinaction' } }), undefined);
  });

  it('covers every field gateway translation reads from the proxy', () => {
    // The key holds type, namespace, labels, locality and what the IPs lead to; the id
    // only appears in warnings about the proxy itself, which the server does not share.
    const allowed = new Set(['type', 'namespace', 'labels', 'locality', 'ipAddresses', 'id']);
    let gateways = 0;
    for (const name of caseNames()) {
      const lc = loadCase(name);
      for (const p of lc.proxies.filter((x) => x.proxy.type === 'router')) {
        const read = new Set<string>();
        const watched = new globalThis.Proxy(p.proxy, {
          get(target, prop, receiver) {
            if (typeof prop === 'string') read.add(prop);
            return Reflect.get(target, prop, receiver) as unknown;
          },
        }) as MeshProxy;
        const r: ProxyResources = buildProxyResources(lc.push, watched, { memo: new TranslationMemo(lc.push) });
        assert.ok(r.listeners.length + r.clusters.length > 0);
        assert.deepEqual([...read].filter((f) => !allowed.has(f)), [], `${name}/${p.name} reads proxy fields the key does not hold`);
        gateways++;
      }
    }
    assert.ok(gateways >= 4, `golden cases hold ${gateways} gateways`);
  });
});
