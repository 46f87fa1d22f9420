// The analyzers' name resolution, checked through analyzeConfig on small configs:
// short hosts, gateway references across namespaces, ServiceEntry hosts and their
// workloads, the mesh gateway, and namespace-scoped Gateway hosts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeConfig, formatAnalysisMessage } from '../../../src/discovery/config/analyze/index.js';
import { formatConfigIssue, parseConfigText } from '../../../src/discovery/config/index.js';

function analyzeText(text: string): string[] {
  const { objects, issues } = parseConfigText(text, 'm.yaml');
  assert.deepEqual(issues.map(formatConfigIssue), [], 'the config itself is valid');
  return analyzeConfig(objects, issues).map(formatAnalysisMessage);
}

const vs = (name: string, ns: string, spec: string) => `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}, namespace: ${ns}}
spec:
${spec}
`;

const GATEWAY = `---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: shared-gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["./admin.example.com", "team-a/*.example.com"]
`;

describe('analyze: references', () => {
  it('resolves gateways as ns/name and name.namespace.svc.cluster.local, and honours namespace-scoped server hosts', () => {
    const text =
      GATEWAY +
      vs('a', 'team-a', '  hosts: [shop.example.com]\n  gateways: [istio-system/shared-gw]\n  http: [{directResponse: {status: 200}}]') +
      vs('b', 'team-b', '  hosts: [b.example.com]\n  gateways: [shared-gw.istio-system.svc.cluster.local]\n  http: [{directResponse: {status: 200}}]') +
      vs('c', 'team-b', '  hosts: [x.example.com]\n  gateways: [shared-gw]\n  http: [{directResponse: {status: 200}}]');
    assert.deepEqual(analyzeText(text), [
      'Error [IST0101] (VirtualService team-b/c m.yaml:32) Referenced gateway not found: "shared-gw"',
      'Warning [IST0132] (VirtualService team-b/b m.yaml:24) one or more host [b.example.com] defined in VirtualService team-b/b not found in Gateway istio-system/shared-gw.',
    ]);
  });

  it('finds ServiceEntry hosts (wildcards too) and checks their subsets against WorkloadEntries', () => {
    const text = `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: external, namespace: default}
spec:
  hosts: ["*.example.com"]
  ports: [{number: 443, name: tls, protocol: TLS}]
  resolution: DNS
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: legacy, namespace: default}
spec:
  hosts: [legacy.internal]
  ports: [{number: 80, name: http}]
  workloadSelector: {labels: {app: legacy}}
---
apiVersion: networking.istio.io/v1
kind: WorkloadEntry
metadata: {name: vm-1, namespace: default}
spec: {address: 127.0.0.9, labels: {app: legacy, version: v1}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: legacy, namespace: default}
spec:
  host: legacy.internal
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
${vs('calls', 'default', '  hosts: [calls]\n  tcp:\n  - route: [{destination: {host: api.example.com, port: {number: 443}}}, {destination: {host: legacy.internal, subset: v2}}]')}`;
    assert.deepEqual(analyzeText(text), [
      'Error [IST0173] (DestinationRule default/legacy m.yaml:28) The Subset v2 defined in the DestinationRule does not select any pods. Which may lead to 503 UH (NoHealthyUpstream).',
    ]);
  });

  it('reports two mesh VirtualServices for one host, short names resolved in their namespace', () => {
    const svc = `---
apiVersion: v1
kind: Service
metadata: {name: catalog, namespace: istioinaction}
spec: {ports: [{port: 80}]}
`;
    const text =
      svc +
      vs('one', 'istioinaction', '  hosts: [catalog]\n  http: [{route: [{destination: {host: catalog}}]}]') +
      vs('two', 'istioinaction', '  hosts: [catalog.istioinaction.svc.cluster.local]\n  http: [{route: [{destination: {host: catalog}}]}]');
    const mesh = (at: number, name: string) =>
      `Error [IST0109] (VirtualService istioinaction/${name} m.yaml:${at}) The VirtualServices istioinaction/one,istioinaction/two associated with mesh gateway define the same host catalog.istioinaction.svc.cluster.local which can lead to undefined behavior. This can be fixed by merging the conflicting VirtualServices into a single resource.`;
    assert.deepEqual(analyzeText(text), [mesh(11, 'one'), mesh(18, 'two')]);
  });
});
