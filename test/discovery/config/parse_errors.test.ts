// Bad input gets a clear message naming file:line, the object and the field path;
// the bad object is skipped and everything else in the file still loads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatConfigIssue, parseConfigText } from '../../../src/discovery/config/index.js';

/** The formatted issues and the names of the objects that loaded. */
function parse(text: string, file = 'mesh.yaml'): { issues: string[]; loaded: string[] } {
  const { objects, issues } = parseConfigText(text, file);
  return { issues: issues.map(formatConfigIssue), loaded: objects.map((o) => `${o.kind} ${o.metadata.name}`) };
}

const gateway = (name: string, server: string) => `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: ${name}, namespace: istioinaction}
spec:
  selector: {istio: ingressgateway}
  servers:
${server}`;

describe('config store: schema errors', () => {
  it('names file:line, the object and the field path of an unknown field, with a suggestion', () => {
    const text = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: webapp-vs-from-gw
  namespace: istioinaction
spec:
  hosts: ["webapp.istioinaction.io"]
  gateways: [coolstore-gateway]
  http:
  - route:
    - destination:
        hostt: webapp
        port: {number: 80}
`;
    assert.deepEqual(parse(text, 'coolstore/vs.yaml'), {
      issues: [
        'coolstore/vs.yaml:12: VirtualService istioinaction/webapp-vs-from-gw: spec.http[0].route[0].destination.hostt: unknown field (did you mean "host"?)',
        'coolstore/vs.yaml:11: VirtualService istioinaction/webapp-vs-from-gw: spec.http[0].route[0].destination.host: missing required field',
      ],
      loaded: [],
    });
  });

  it('skips only the invalid object: wrong types, bad enum values, out-of-range numbers, bad durations', () => {
    const text = `${gateway('wrong-type', '  - port: {number: 80, protocol: HTTP}\n    hosts: webapp.istioinaction.io')}
---
${gateway('bad-enum', '  - port: {number: 443, protocol: HTTPS}\n    hosts: ["*"]\n    tls: {mode: SIMPEL, credentialName: c}')}
---
${gateway('good', '  - port: {number: 80, protocol: HTTP}\n    hosts: ["*"]')}
---
${gateway('big-port', '  - port: {number: 70000, protocol: HTTP}\n    hosts: ["*"]')}
---
${gateway('bad-protocol', '  - port: {number: 80, protocol: HTTP3}\n    hosts: ["*"]')}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bad-timeout}
spec:
  hosts: [webapp]
  http:
  - route: [{destination: {host: webapp}}]
    timeout: 1 second
`;
    assert.deepEqual(parse(text), {
      issues: [
        'mesh.yaml:8: Gateway istioinaction/wrong-type: spec.servers[0].hosts: expected a list, got "webapp.istioinaction.io"',
        'mesh.yaml:18: Gateway istioinaction/bad-enum: spec.servers[0].tls.mode: unknown value "SIMPEL" (did you mean "SIMPLE"?); expected one of PASSTHROUGH, SIMPLE, MUTUAL, AUTO_PASSTHROUGH, ISTIO_MUTUAL, OPTIONAL_MUTUAL',
        'mesh.yaml:35: Gateway istioinaction/big-port: spec.servers[0].port.number: 70000 is out of range (1..65535)',
        'mesh.yaml:44: Gateway istioinaction/bad-protocol: spec.servers[0].port.protocol: unknown value "HTTP3" (did you mean "HTTP"?); expected one of HTTP, HTTPS, HTTP2, GRPC, GRPC-Web, TCP, TLS, Mongo, Redis, MySQL',
        'mesh.yaml:54: VirtualService default/bad-timeout: spec.http[0].timeout: expected a duration such as "5s", "0.25s" or "100ms", got "1 second"',
      ],
      loaded: ['Gateway good'],
    });
  });

  it('reports missing required fields: port number, destination host, DestinationRule host, Service port', () => {
    const text = `${gateway('no-port-number', '  - port: {name: http, protocol: HTTP}\n    hosts: ["*"]')}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: no-host}
spec:
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: v1
kind: Service
metadata: {name: catalog}
spec:
  ports:
  - name: http
    targetPort: 3000
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: catalog}
spec:
  template:
    metadata: {labels: {app: catalog}}
`;
    assert.deepEqual(parse(text).issues, [
      'mesh.yaml:7: Gateway istioinaction/no-port-number: spec.servers[0].port.number: missing required field',
      'mesh.yaml:13: DestinationRule default/no-host: spec.host: missing required field',
      'mesh.yaml:21: Service default/catalog: spec.ports[0].port: missing required field',
      'mesh.yaml:28: Deployment default/catalog: spec.template.spec: missing required field',
    ]);
  });

  it("checks Istio's rules across fields: HTTPS needs TLS settings, a route needs a destination", () => {
    const text = `${gateway('https-no-tls', '  - port: {number: 443, protocol: HTTPS}\n    hosts: ["*"]')}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: no-action}
spec:
  hosts: [webapp]
  http:
  - match: [{uri: {prefix: /api}}]
`;
    assert.deepEqual(parse(text).issues, [
      'mesh.yaml:7: Gateway istioinaction/https-no-tls: spec.servers[0].port.protocol: a HTTPS server needs tls settings (e.g. tls.mode: SIMPLE with tls.credentialName)',
      'mesh.yaml:16: VirtualService default/no-action: spec.http[0]: one of route, redirect, directResponse or delegate is required',
    ]);
  });

  it('checks metadata: a name is required and must be a valid Kubernetes name', () => {
    const text = `apiVersion: v1
kind: ServiceAccount
metadata: {namespace: istioinaction}
---
apiVersion: v1
kind: Service
metadata:
  name: Web_App
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: ok, namespace: Bad_Namespace}
`;
    assert.deepEqual(parse(text).issues, [
      'mesh.yaml:3: ServiceAccount: metadata.name: missing required field',
      `mesh.yaml:8: Service default/Web_App: metadata.name: "Web_App" is not a valid name: use lowercase letters, digits and '-', starting and ending with a letter or digit`,
      `mesh.yaml:13: ServiceAccount Bad_Namespace/ok: metadata.namespace: "Bad_Namespace" is not a valid namespace: use lowercase letters, digits and '-', starting and ending with a letter or digit`,
    ]);
  });

  it('rejects documents that are not Kubernetes objects, and apiVersions that do not serve the kind', () => {
    const text = `- just
- a list
---
kind: Gateway
metadata: {name: x}
---
apiVersion: networking.istio.io/v2
kind: Gateway
metadata: {name: v2}
---
apiVersion: v1
kind: VirtualService
metadata: {name: core}
---
static_resources:
  clusters: []
`;
    assert.deepEqual(parse(text).issues, [
      'mesh.yaml:1: expected a Kubernetes object (a map with apiVersion, kind and metadata), got a list',
      'mesh.yaml:4: Gateway default/x: apiVersion: missing required field (every document needs apiVersion and kind)',
      'mesh.yaml:7: Gateway default/v2: apiVersion: Gateway is not served as networking.istio.io/v2; use apiVersion networking.istio.io/v1alpha3, networking.istio.io/v1beta1, networking.istio.io/v1',
      'mesh.yaml:11: VirtualService default/core: apiVersion: VirtualService is not served as v1; use apiVersion networking.istio.io/v1alpha3, networking.istio.io/v1beta1, networking.istio.io/v1',
      'mesh.yaml:15: not a Kubernetes object: no apiVersion or kind (Envoy configs are checked with skein proxy --mode validate)',
    ]);
  });

  it('warns about kinds it does not support yet and loads the rest', () => {
    const text = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: http, namespace: default}
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: {name: ratelimit, namespace: istio-system}
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: {name: deny, namespace: istioinaction}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: webapp}
`;
    assert.deepEqual(parse(text), {
      issues: [
        'warning: mesh.yaml:2: HTTPRoute default/http: gateway.networking.k8s.io/v1 HTTPRoute is not supported yet, skipped',
        'warning: mesh.yaml:6: EnvoyFilter istio-system/ratelimit: networking.istio.io/v1alpha3 EnvoyFilter is not supported yet, skipped',
        'warning: mesh.yaml:10: AuthorizationPolicy istioinaction/deny: security.istio.io/v1 AuthorizationPolicy is not supported yet, skipped',
      ],
      loaded: ['ServiceAccount webapp'],
    });
  });

  it('warns about Istio fields skein does not implement, and keeps the object', () => {
    const text = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: webapp}
spec:
  host: webapp
  trafficPolicy:
    proxyProtocol: {version: V1}
`;
    assert.deepEqual(parse(text), {
      issues: ['warning: mesh.yaml:7: DestinationRule default/webapp: spec.trafficPolicy.proxyProtocol: not supported by skein yet; ignored'],
      loaded: ['DestinationRule webapp'],
    });
  });

  it('reports invalid YAML at its line', () => {
    assert.deepEqual(parse('apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n name: b\n'), {
      issues: ['mesh.yaml:5: invalid YAML: All mapping items must start at the same column'],
      loaded: [],
    });
  });

  it('keeps the first of two objects with the same kind, namespace and name, naming both places', () => {
    const text = `apiVersion: v1
kind: ServiceAccount
metadata: {name: webapp, namespace: istioinaction}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: webapp, namespace: istioinaction}
---
apiVersion: v1
kind: Service
metadata: {name: webapp, namespace: istioinaction}
spec: {ports: [{port: 80}]}
`;
    assert.deepEqual(parse(text), {
      issues: ['mesh.yaml:5: ServiceAccount istioinaction/webapp: already defined at mesh.yaml:1; this definition is skipped'],
      loaded: ['ServiceAccount webapp', 'Service webapp'],
    });
  });
});
