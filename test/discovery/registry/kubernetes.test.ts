// Kubernetes Services → services and endpoints: protocol selection, named target
// ports, EndpointSlice / Endpoints for selector-less services, ExternalName, headless,
// exportTo, and bad input reported rather than thrown.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildRegistry, endpointKey, servicePortProtocol } from '../../../src/discovery/registry/index.js';
import { objectsFromYaml, pod, rawObjectsFromYaml } from '../model/objects.js';

describe('protocol selection', () => {
  const table: [{ name?: string; protocol?: string; appProtocol?: string }, string][] = [
    [{ name: 'http' }, 'HTTP'],
    [{ name: 'http-web' }, 'HTTP'],
    [{ name: 'HTTP-Web' }, 'HTTP'],
    [{ name: 'http2' }, 'HTTP2'],
    [{ name: 'https-admin' }, 'HTTPS'],
    [{ name: 'grpc' }, 'GRPC'],
    [{ name: 'grpc-web' }, 'GRPC-Web'],
    [{ name: 'grpc-web-ui' }, 'GRPC-Web'],
    [{ name: 'grpc-api' }, 'GRPC'],
    [{ name: 'tcp-echo' }, 'TCP'],
    [{ name: 'tls' }, 'TLS'],
    [{ name: 'mongo' }, 'Mongo'],
    [{ name: 'mysql' }, 'MySQL'],
    [{ name: 'redis' }, 'Redis'],
    [{ name: 'udp-dns' }, 'UDP'],
    [{ name: 'web' }, 'UnsupportedProtocol'],
    [{ name: 'http2foo' }, 'UnsupportedProtocol'],
    [{}, 'UnsupportedProtocol'],
    [{ name: 'web', appProtocol: 'http' }, 'HTTP'],
    [{ name: 'http', appProtocol: 'grpc' }, 'GRPC'],
    [{ name: 'tcp', appProtocol: 'kubernetes.io/h2c' }, 'HTTP2'],
    [{ name: 'x', appProtocol: 'kubernetes.io/ws' }, 'HTTP'],
    [{ name: 'x', appProtocol: 'kubernetes.io/wss' }, 'HTTPS'],
    [{ name: 'http', protocol: 'UDP' }, 'UDP'],
  ];
  for (const [port, want] of table) {
    it(`${JSON.stringify(port)} → ${want}`, () => assert.equal(servicePortProtocol(port), want));
  }
});

describe('Kubernetes services', () => {
  it('resolves named targetPorts per pod, skipping (and reporting) pods without the port', () => {
    const objects = objectsFromYaml(`
apiVersion: v1
kind: Service
metadata: { name: api, namespace: shop }
spec:
  type: NodePort
  selector: { app: api }
  ports:
  - { name: http-main, port: 80, targetPort: web, nodePort: 30080 }
  - { name: grpc, port: 9000, targetPort: 9090, appProtocol: grpc }
  - { name: metrics, port: 15090 }
  - { name: tcp-quoted, port: 7000, targetPort: "7001" }
`, 'api.yaml');
    const pods = [
      pod('api-1', 'shop', 10, { app: 'api' }, { namedPorts: { web: 8080 } }),
      pod('api-2', 'shop', 11, { app: 'api' }, { namedPorts: { web: 8081 }, healthy: false }),
      pod('api-3', 'shop', 12, { app: 'api' }),
      pod('api-other-ns', 'other', 13, { app: 'api' }, { namedPorts: { web: 8080 } }),
    ];
    const reg = buildRegistry({ objects, pods });
    const svc = reg.services[0]!;
    assert.equal(svc.serviceType, 'NodePort');
    assert.deepEqual(
      svc.ports.map((p) => [p.name, p.port, p.targetPort, p.nodePort, p.protocol]),
      [
        ['http-main', 80, 'web', 30080, 'HTTP'],
        ['grpc', 9000, 9090, undefined, 'GRPC'],
        ['metrics', 15090, 15090, undefined, 'UnsupportedProtocol'],
        ['tcp-quoted', 7000, 7001, undefined, 'TCP'],
      ],
    );
    const host = 'api.shop.svc.cluster.local';
    assert.deepEqual(
      reg.endpoints.get(endpointKey(host, 80))!.map((e) => [e.address, e.port, e.healthy]),
      [
        ['127.1.0.10', 8080, true],
        ['127.1.0.11', 8081, false],
      ],
    );
    assert.deepEqual(
      reg.endpoints.get(endpointKey(host, 9000))!.map((e) => `${e.address}:${e.port}`),
      ['127.1.0.10:9090', '127.1.0.11:9090', '127.1.0.12:9090'],
    );
    assert.equal(reg.warnings.length, 1);
    assert.match(reg.warnings[0]!, /^Service shop\/api \(api\.yaml:\d+\): port 80 targetPort "web" is not a named port of pod api-3/);
  });

  it('uses EndpointSlices for a service without selector, Endpoints objects otherwise', () => {
    const objects = objectsFromYaml(`
apiVersion: v1
kind: Service
metadata: { name: legacy, namespace: default }
spec:
  ports: [{ name: http, port: 80, targetPort: 8080 }, { name: tcp-admin, port: 9901 }]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: legacy-abc
  namespace: default
  labels: { kubernetes.io/service-name: legacy }
addressType: IPv4
ports: [{ name: http, port: 8080 }, { name: tcp-admin, port: 9901 }]
endpoints:
- addresses: ["10.0.0.2"]
  nodeName: node-a
  conditions: { ready: true }
- addresses: ["10.0.0.10"]
  zone: zone-b
  conditions: { ready: false }
---
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: { topology.kubernetes.io/region: eu, topology.kubernetes.io/zone: eu-1 }
---
apiVersion: v1
kind: Service
metadata: { name: db, namespace: default }
spec:
  ports: [{ name: tcp, port: 5432 }]
---
apiVersion: v1
kind: Endpoints
metadata: { name: db, namespace: default }
subsets:
- addresses: [{ ip: "192.168.1.5" }]
  notReadyAddresses: [{ ip: "192.168.1.6" }]
  ports: [{ name: tcp, port: 15432 }]
`);
    const reg = buildRegistry({ objects });
    assert.deepEqual(reg.warnings, []);
    const legacy = reg.endpoints.get(endpointKey('legacy.default.svc.cluster.local', 80))!;
    assert.deepEqual(
      legacy.map((e) => [e.address, e.port, e.healthy, e.locality]),
      [
        ['10.0.0.2', 8080, true, 'eu/eu-1/'],
        ['10.0.0.10', 8080, false, '/zone-b/'],
      ],
    );
    assert.deepEqual(reg.endpoints.get(endpointKey('legacy.default.svc.cluster.local', 9901))!.map((e) => e.port), [9901, 9901]);
    assert.deepEqual(
      reg.endpoints.get(endpointKey('db.default.svc.cluster.local', 5432))!.map((e) => [e.address, e.port, e.healthy]),
      [
        ['192.168.1.5', 15432, true],
        ['192.168.1.6', 15432, false],
      ],
    );
  });

  it('maps ExternalName to a DNS service, clusterIP None to passthrough, and reads exportTo', () => {
    const objects = objectsFromYaml(`
apiVersion: v1
kind: Service
metadata: { name: ext, namespace: a }
spec: { type: ExternalName, externalName: api.example.com, ports: [{ name: https, port: 443 }] }
---
apiVersion: v1
kind: Service
metadata: { name: headless, namespace: a, annotations: { networking.istio.io/exportTo: "., b" } }
spec: { clusterIP: None, selector: { app: h }, ports: [{ name: tcp, port: 7000 }] }
---
apiVersion: v1
kind: Service
metadata: { name: vip, namespace: a, annotations: { networking.istio.io/exportTo: "~" } }
spec: { clusterIP: 10.96.0.12, ports: [{ port: 80 }] }
`);
    const reg = buildRegistry({ objects });
    const [ext, headless, vip] = reg.services;
    assert.equal(ext!.hostname, 'ext.a.svc.cluster.local');
    assert.equal(ext!.resolution, 'DNSLB');
    assert.equal(ext!.meshExternal, true);
    assert.deepEqual(
      reg.endpoints.get(endpointKey(ext!.hostname, 443))!.map((e) => [e.address, e.port, e.hostname]),
      [['api.example.com', 443, 'api.example.com']],
    );
    assert.equal(headless!.resolution, 'Passthrough');
    assert.equal(headless!.address, undefined);
    assert.deepEqual(headless!.exportTo, ['a', 'b']);
    assert.equal(vip!.address, '10.96.0.12');
    assert.deepEqual(vip!.exportTo, ['~']);
    assert.equal(vip!.ports[0]!.protocol, 'UnsupportedProtocol');
  });

  it('reports bad services and pods instead of throwing', () => {
    // Input the config store would reject: the registry must still not throw.
    const objects = rawObjectsFromYaml(`
apiVersion: v1
kind: Service
metadata: { name: noports, namespace: a }
spec: {}
---
apiVersion: v1
kind: Service
metadata: { name: badport, namespace: a }
spec: { selector: { app: x }, ports: [{ name: http, port: 0 }, { name: http-ok, port: 81 }] }
---
apiVersion: v1
kind: Service
metadata: { name: badport, namespace: a }
spec: { ports: [{ port: 1 }] }
`, 'bad.yaml');
    const reg = buildRegistry({ objects, pods: [pod('x-1', 'a', 0, { app: 'x' })] });
    assert.deepEqual(reg.services.map((s) => [s.name, s.ports.map((p) => p.port)]), [['badport', [81]]]);
    assert.equal(reg.warnings.length, 4);
    assert.match(reg.warnings.join('\n'), /pod a\/x-1: local pod index 0 is outside/);
    assert.match(reg.warnings.join('\n'), /Service a\/noports \(bad\.yaml:2\): no ports; Service ignored/);
    assert.match(reg.warnings.join('\n'), /Service a\/badport \(bad\.yaml:\d+\): port 0 is not a port number/);
    assert.match(reg.warnings.join('\n'), /host badport\.a\.svc\.cluster\.local is already defined in namespace a/);
  });
});
