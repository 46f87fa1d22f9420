// The config store accepts what `kubectl apply` of Istio + Kubernetes YAML would:
// every supported kind and apiVersion, multi-document files, `kind: List`, JSON,
// and the loose values Istio and Kubernetes accept (ports as strings, protocols in
// any case, Kubernetes fields the mesh has no use for).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import type { ConfigObject, DeploymentSpec, EndpointSliceBody, EndpointsBody, GatewaySpec, ServiceSpec, VirtualServiceSpec } from '../../../src/api/istio/types.js';
import { formatConfigIssue, locate, parseConfigText } from '../../../src/discovery/config/index.js';
import { fixture } from '../../helpers/paths.js';

function parseClean(text: string, file = 'mesh.yaml'): ConfigObject[] {
  const { objects, issues } = parseConfigText(text, file);
  assert.deepEqual(issues.map(formatConfigIssue), []);
  return objects;
}

const ISTIO_KINDS = `
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: gw, namespace: istioinaction}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: https, protocol: https}
    hosts: ["webapp.istioinaction.io"]
    tls: {mode: SIMPLE, credentialName: webapp-credential}
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: vs, namespace: istioinaction}
spec:
  hosts: [webapp.istioinaction.io]
  gateways: [gw]
  http:
  - match: [{uri: {prefix: /api}, headers: {x-user: {exact: jason}}}]
    route:
    - {destination: {host: webapp, subset: v1, port: {number: 80}}, weight: 90}
    - {destination: {host: webapp, subset: v2, port: {number: 80}}, weight: 10}
    timeout: 1s
    retries: {attempts: 3, perTryTimeout: 100ms, retryOn: 5xx}
  tcp:
  - match: [{port: 31400}]
    route: [{destination: {host: tcp-echo-service, port: {number: 2701}}}]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: dr, namespace: istioinaction}
spec:
  host: webapp
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 7, interval: 5m, baseEjectionTime: 15m}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: se, namespace: istioinaction}
spec:
  hosts: [api.example.com]
  ports: [{number: 443, name: https, protocol: TLS}]
  location: MESH_EXTERNAL
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: we, namespace: istioinaction}
spec: {address: 127.0.0.1, labels: {app: legacy}, ports: {http: 8080}}
---
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: {name: default, namespace: istioinaction}
spec:
  egress: [{hosts: ["./*", "istio-system/*"]}]
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: default, namespace: istio-system}
spec: {mtls: {mode: STRICT}}
`;

describe('config store: good objects', () => {
  it('reads every Istio kind, in file order, under v1alpha3, v1beta1 and v1', () => {
    const objects = parseClean(ISTIO_KINDS);
    assert.deepEqual(
      objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
      [
        'networking.istio.io/v1alpha3 Gateway istioinaction/gw',
        'networking.istio.io/v1beta1 VirtualService istioinaction/vs',
        'networking.istio.io/v1 DestinationRule istioinaction/dr',
        'networking.istio.io/v1 ServiceEntry istioinaction/se',
        'networking.istio.io/v1 WorkloadEntry istioinaction/we',
        'networking.istio.io/v1 Sidecar istioinaction/default',
        'security.istio.io/v1 PeerAuthentication istio-system/default',
      ],
    );
    const gw = objects[0]!.spec as GatewaySpec;
    assert.equal(gw.servers[0]!.port.protocol, 'HTTPS', 'protocol names are accepted in any case and stored as Istio spells them');
    const vs = objects[1]!.spec as VirtualServiceSpec;
    assert.deepEqual(vs.http![0]!.route!.map((r) => [r.destination.subset, r.weight]), [['v1', 90], ['v2', 10]]);
    assert.deepEqual(objects[6]!.spec, { mtls: { mode: 'STRICT' } }, 'PeerAuthentication is kept as written');
  });

  it('records where each object and each field was written', () => {
    const objects = parseClean(ISTIO_KINDS, 'coolstore/all.yaml');
    const vs = objects[1]!;
    assert.deepEqual(vs.source, { file: 'coolstore/all.yaml', line: 12 });
    assert.deepEqual(locate(vs, ['spec', 'http', 0, 'route', 1, 'destination', 'subset']), { file: 'coolstore/all.yaml', line: 22 });
    assert.deepEqual(locate(vs, ['spec', 'tcp', 0, 'route', 0, 'destination']), { file: 'coolstore/all.yaml', line: 27 });
  });

  it('reads the core Kubernetes kinds, defaulting the namespace like kubectl apply without -n', () => {
    const objects = parseClean(`
apiVersion: v1
kind: Namespace
metadata: {name: istioinaction, labels: {istio-injection: enabled}}
---
apiVersion: v1
kind: Node
metadata: {name: node-1, labels: {topology.kubernetes.io/region: us-west}}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: webapp}
---
apiVersion: v1
kind: Secret
metadata: {name: webapp-credential, namespace: istio-system}
type: kubernetes.io/tls
data: {tls.crt: Y2VydA==}
stringData: {tls.key: key, ca.crt: ca}
---
apiVersion: v1
kind: Endpoints
metadata: {name: legacy}
subsets:
- addresses: [{ip: 127.0.0.5}]
  ports: [{name: http, port: "8080"}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: legacy-abc, labels: {kubernetes.io/service-name: legacy}}
addressType: IPv4
endpoints:
- addresses: [127.0.0.6]
  conditions: {ready: true}
  zone: us-west-1a
ports: [{name: http, port: 8080}]
`);
    assert.deepEqual(
      objects.map((o) => `${o.kind} ${o.metadata.namespace}/${o.metadata.name}`),
      ['Namespace /istioinaction', 'Node /node-1', 'ServiceAccount default/webapp', 'Secret istio-system/webapp-credential', 'Endpoints default/legacy', 'EndpointSlice default/legacy-abc'],
    );
    assert.deepEqual(objects[0]!.metadata.labels, { 'istio-injection': 'enabled' });
    const secret = objects[3]!.spec as { type?: string; data: Record<string, Buffer> };
    assert.equal(secret.type, 'kubernetes.io/tls');
    assert.deepEqual(
      Object.fromEntries(Object.entries(secret.data).map(([k, v]) => [k, v.toString('utf8')])),
      { 'tls.crt': 'cert', 'tls.key': 'key', 'ca.crt': 'ca' },
    );
    assert.deepEqual((objects[4]!.spec as EndpointsBody).subsets[0]!.ports, [{ name: 'http', port: 8080 }]);
    const slice = objects[5]!.spec as EndpointSliceBody;
    assert.equal(slice.addressType, 'IPv4');
    assert.deepEqual(slice.endpoints[0], { addresses: ['127.0.0.6'], conditions: { ready: true }, zone: 'us-west-1a' });
    assert.deepEqual(locate(objects[5]!, ['spec', 'endpoints', 0, 'zone']).line, 35);
  });

  it("accepts the book's catalog manifests unchanged (Kubernetes fields the mesh does not use are kept out of the way)", () => {
    const text = fs.readFileSync(fixture('analyze', 'coolstore', 'catalog.yaml'), 'utf8');
    const [service, deployment] = parseClean(text);
    assert.deepEqual((service!.spec as ServiceSpec).ports, [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 3000 }]);
    const d = deployment!.spec as DeploymentSpec;
    assert.deepEqual(d.template.metadata?.labels, { app: 'catalog', version: 'v1' });
    assert.equal(d.template.spec.containers[0]!.image, 'istioinaction/catalog:latest');
    assert.deepEqual(d.template.spec.containers[0]!.ports, [{ containerPort: 3000, name: 'http', protocol: 'TCP' }]);
  });

  it('accepts loose values: numbers as strings, unquoted numbers where text belongs, empty documents', () => {
    const objects = parseClean(`---
# nothing here
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: gw
  labels: {version: 1.10}
spec:
  servers:
  - port: {number: "31400", name: tcp, protocol: Tcp}
    hosts: ["*"]
---
`);
    assert.equal(objects.length, 1);
    assert.deepEqual(objects[0]!.metadata.labels, { version: '1.10' });
    assert.deepEqual((objects[0]!.spec as GatewaySpec).servers[0]!.port, { number: 31400, name: 'tcp', protocol: 'TCP' });
  });

  it('reads a kind: List and JSON', () => {
    const list = parseClean(`
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: a}}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: b}}
`);
    assert.deepEqual(list.map((o) => [o.metadata.name, o.source.line]), [['a', 5], ['b', 6]]);
    const json = parseClean('{"apiVersion": "v1", "kind": "Service", "metadata": {"name": "catalog"},\n "spec": {"ports": [{"port": 80}]}}', 'svc.json');
    assert.deepEqual((json[0]!.spec as ServiceSpec).ports, [{ port: 80 }]);
  });
});
