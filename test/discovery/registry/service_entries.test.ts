// ServiceEntry variants: resolutions, inline endpoints, workloadSelector with
// WorkloadEntries (port mapping by name) and local pods, DNS hosts as endpoints.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRegistry, endpointKey } from '../../../src/discovery/registry/index.js';
import { objectsFromYaml, pod } from '../model/objects.js';

const eps = (reg: ReturnType<typeof buildRegistry>, host: string, port: number) =>
  (reg.endpoints.get(endpointKey(host, port)) ?? []).map((e) => `${e.address}:${e.port}`);

describe('ServiceEntry', () => {
  it('maps resolutions and location, one service per host', () => {
    const reg = buildRegistry({
      objects: objectsFromYaml(`
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: external, namespace: egress }
spec:
  hosts: [api.example.com, www.example.com]
  ports: [{ number: 443, name: https, protocol: HTTPS }]
  resolution: DNS
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: wild, namespace: egress }
spec:
  hosts: ["*.wikipedia.org"]
  ports: [{ number: 443, name: tls, protocol: TLS }]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: rr, namespace: egress }
spec:
  hosts: [rr.example.com]
  location: MESH_INTERNAL
  ports: [{ number: 80, name: http-x }]
  resolution: DNS_ROUND_ROBIN
`),
    });
    assert.deepEqual(reg.warnings, []);
    assert.deepEqual(
      reg.services.map((s) => [s.hostname, s.name, s.resolution, s.meshExternal, s.origin, s.ports[0]!.protocol]),
      [
        ['*.wikipedia.org', 'wild', 'Passthrough', true, 'ServiceEntry', 'TLS'],
        ['api.example.com', 'external', 'DNSLB', true, 'ServiceEntry', 'HTTPS'],
        ['rr.example.com', 'rr', 'DNSRoundRobinLB', false, 'ServiceEntry', 'HTTP'],
        ['www.example.com', 'external', 'DNSLB', true, 'ServiceEntry', 'HTTPS'],
      ],
    );
    // DNS without endpoints: the host itself; passthrough: none.
    assert.deepEqual(eps(reg, 'api.example.com', 443), ['api.example.com:443']);
    assert.equal(reg.endpoints.get(endpointKey('api.example.com', 443))![0]!.hostname, 'api.example.com');
    assert.deepEqual(eps(reg, '*.wikipedia.org', 443), []);
  });

  it('uses inline endpoints with their port map, labels, locality, network and weight', () => {
    const reg = buildRegistry({
      objects: objectsFromYaml(`
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: static, namespace: ns1 }
spec:
  hosts: [backend.internal]
  addresses: [240.0.0.1]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 80, name: http, protocol: HTTP, targetPort: 8080 }, { number: 9000, name: grpc, protocol: GRPC }]
  endpoints:
  - address: 10.1.0.2
    labels: { version: v1 }
    locality: us-east/1a
    network: net-1
    weight: 3
  - address: 10.1.0.1
    ports: { http: 18080 }
    serviceAccount: backend
`),
    });
    const svc = reg.services[0]!;
    assert.equal(svc.address, '240.0.0.1');
    assert.equal(svc.resolution, 'ClientSideLB');
    assert.deepEqual(eps(reg, 'backend.internal', 80), ['10.1.0.1:18080', '10.1.0.2:8080']);
    assert.deepEqual(eps(reg, 'backend.internal', 9000), ['10.1.0.1:9000', '10.1.0.2:9000']);
    const [one, two] = reg.endpoints.get(endpointKey('backend.internal', 80))!;
    assert.deepEqual([one!.serviceAccount, one!.weight, one!.locality], ['backend', undefined, '']);
    assert.deepEqual([two!.labels, two!.locality, two!.network, two!.weight, two!.serviceAccount], [{ version: 'v1' }, 'us-east/1a', 'net-1', 3, 'default']);
  });

  it('selects WorkloadEntries and local pods in its namespace with workloadSelector', () => {
    const reg = buildRegistry({
      objects: objectsFromYaml(`
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: vm-svc, namespace: vms }
spec:
  hosts: [vm.vms.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{ number: 80, name: http, targetPort: 8000 }, { number: 81, name: http-alt }]
  workloadSelector: { labels: { app: vm } }
---
apiVersion: networking.istio.io/v1beta1
kind: WorkloadEntry
metadata: { name: vm-1, namespace: vms }
spec:
  address: 10.9.0.1
  labels: { app: vm, version: v2 }
  ports: { http: 9000 }
  serviceAccount: vm-sa
  locality: eu/eu-1/a
  network: vm-net
---
apiVersion: networking.istio.io/v1beta1
kind: WorkloadEntry
metadata: { name: vm-other-ns, namespace: elsewhere }
spec: { address: 10.9.0.2, labels: { app: vm } }
---
apiVersion: networking.istio.io/v1beta1
kind: WorkloadEntry
metadata: { name: vm-dns, namespace: vms }
spec: { address: vm3.example.com, labels: { app: vm } }
---
apiVersion: networking.istio.io/v1beta1
kind: WorkloadEntry
metadata: { name: vm-noaddr, namespace: vms }
spec: { labels: { app: vm } }
`, 'vm.yaml'),
      pods: [pod('vm-pod', 'vms', 5, { app: 'vm' }), pod('not-vm', 'vms', 6, { app: 'web' })],
    });
    assert.deepEqual(reg.services[0]!.selector, { app: 'vm' });
    assert.deepEqual(eps(reg, 'vm.vms.svc.cluster.local', 80), ['10.9.0.1:9000', '127.1.0.5:8000', 'vm3.example.com:8000']);
    assert.deepEqual(eps(reg, 'vm.vms.svc.cluster.local', 81), ['10.9.0.1:81', '127.1.0.5:81', 'vm3.example.com:81']);
    const vm1 = reg.endpoints.get(endpointKey('vm.vms.svc.cluster.local', 80))![0]!;
    assert.deepEqual(
      [vm1.workloadName, vm1.serviceAccount, vm1.locality, vm1.network, vm1.labels.version],
      ['vm-1', 'vm-sa', 'eu/eu-1/a', 'vm-net', 'v2'],
    );
    assert.deepEqual(reg.warnings, ['WorkloadEntry vms/vm-noaddr (vm.yaml:33): no address; WorkloadEntry ignored']);
    assert.deepEqual(
      reg.workloads.map((w) => `${w.namespace}/${w.name}@${w.address}`),
      ['elsewhere/vm-other-ns@10.9.0.2', 'vms/not-vm@127.1.0.6', 'vms/vm-1@10.9.0.1', 'vms/vm-dns@vm3.example.com', 'vms/vm-pod@127.1.0.5'],
    );
  });

  it('keeps a Kubernetes service over a ServiceEntry for the same host in the same namespace', () => {
    const reg = buildRegistry({
      objects: objectsFromYaml(`
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: shadow, namespace: a }
spec: { hosts: [web.a.svc.cluster.local], ports: [{ number: 80, name: http }] }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: a }
spec: { ports: [{ name: http, port: 80 }] }
`, 'dup.yaml'),
    });
    assert.deepEqual(reg.services.map((s) => s.origin), ['Kubernetes']);
    assert.match(reg.warnings[0]!, /^ServiceEntry a\/shadow \(dup\.yaml:2\): host web\.a\.svc\.cluster\.local is already defined/);
  });
});
