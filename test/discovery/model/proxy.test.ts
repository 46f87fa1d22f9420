import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxy, ProxyIdError } from '../../../src/discovery/model/index.js';

describe('parseProxy', () => {
  it('parses an Istio sidecar node with its metadata', () => {
    const proxy = parseProxy({
      id: 'sidecar~10.1.2.3~webapp-7b8c9-abcde.istioinaction~istioinaction.svc.cluster.local',
      cluster: 'webapp.istioinaction',
      metadata: {
        LABELS: { app: 'webapp', 'security.istio.io/tlsMode': 'istio' },
        NAMESPACE: 'istioinaction',
        WORKLOAD_NAME: 'webapp',
        CLUSTER_ID: 'Kubernetes',
        ISTIO_VERSION: '1.17.8',
        INSTANCE_IPS: '10.1.2.3,fe80::1',
      },
      locality: { region: 'us-west1', zone: 'us-west1-a' },
    });
    assert.equal(proxy.type, 'sidecar');
    assert.deepEqual(proxy.ipAddresses, ['10.1.2.3', 'fe80::1']);
    assert.equal(proxy.podName, 'webapp-7b8c9-abcde');
    assert.equal(proxy.namespace, 'istioinaction');
    assert.equal(proxy.dnsDomain, 'istioinaction.svc.cluster.local');
    assert.deepEqual(proxy.labels, { app: 'webapp', 'security.istio.io/tlsMode': 'istio' });
    assert.equal(proxy.workloadName, 'webapp');
    assert.equal(proxy.clusterId, 'Kubernetes');
    assert.equal(proxy.istioVersion, '1.17.8');
    assert.equal(proxy.localPodIndex, undefined);
    assert.equal(proxy.locality, 'us-west1/us-west1-a/');
  });

  it('parses a router with minimal metadata, deriving namespace and workload name from the id', () => {
    const proxy = parseProxy({ id: 'router~10.244.0.7~istio-ingressgateway-6bb8fb6549-k4bqm.istio-system~istio-system.svc.cluster.local' });
    assert.equal(proxy.type, 'router');
    assert.equal(proxy.namespace, 'istio-system');
    assert.equal(proxy.podName, 'istio-ingressgateway-6bb8fb6549-k4bqm');
    assert.equal(proxy.workloadName, 'istio-ingressgateway');
    assert.equal(proxy.clusterId, 'Kubernetes');
    assert.deepEqual(proxy.labels, {});
    assert.deepEqual(proxy.ipAddresses, ['10.244.0.7']);
  });

  it('reads the local mesh pod index and app address', () => {
    const proxy = parseProxy({
      id: 'sidecar~127.1.1.2~catalog-1.istioinaction~istioinaction.svc.cluster.local',
      metadata: { SKEIN_APP_ADDRESS: '127.2.1.2', LABELS: { app: 'catalog' } },
    });
    assert.equal(proxy.localPodIndex, 258);
    assert.equal(proxy.appAddress, '127.2.1.2');
  });

  const bad: [string, string | undefined, RegExp][] = [
    ['empty id', undefined, /node id is empty/],
    ['too few parts', 'sidecar~10.0.0.1~pod.ns', /3 "~"-separated parts, not 4/],
    ['too many parts', 'sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local~x', /5 "~"-separated parts/],
    ['unknown type', 'waypoint~10.0.0.1~pod.ns~ns.svc.cluster.local', /unknown proxy type "waypoint"/],
    ['bad IP', 'sidecar~not-an-ip~pod.ns~ns.svc.cluster.local', /"not-an-ip" is not an IP address/],
    ['empty pod', 'sidecar~10.0.0.1~~ns.svc.cluster.local', /POD.NAMESPACE part is empty/],
    ['no namespace anywhere', 'sidecar~10.0.0.1~pod~', /names no namespace/],
  ];
  for (const [what, id, message] of bad) {
    it(`rejects ${what} with a ProxyIdError naming the id`, () => {
      assert.throws(
        () => parseProxy({ id }),
        (err: Error) => err instanceof ProxyIdError && message.test(err.message) && err.message.includes(`"${id ?? ''}"`),
      );
    });
  }

  it('rejects a bad address in INSTANCE_IPS', () => {
    assert.throws(
      () => parseProxy({ id: 'sidecar~10.0.0.1~pod.ns~ns.svc.cluster.local', metadata: { INSTANCE_IPS: '10.0.0.1,bogus' } }),
      /"bogus" is not an IP address/,
    );
  });
});
