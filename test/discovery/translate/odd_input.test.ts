// Translation never throws on odd input (objects the config store would normally have
// rejected, half-written rules, references to things that do not exist): it skips the
// piece, says so naming the object and its file:line, and what it does produce is
// still valid for the proxy.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPushContext, parseProxy } from '../../../src/discovery/model/index.js';
import { buildProxyResources, decodeProxyResources } from '../../../src/discovery/translate/index.js';
import { pod, rawObjectsFromYaml } from '../model/objects.js';

const YAML = `
apiVersion: v1
kind: Service
metadata: { name: catalog, namespace: shop }
spec:
  selector: { app: catalog }
  ports: [{ name: http, port: 80, targetPort: 3000 }, { name: tcp-admin, port: 9000 }]
---
apiVersion: v1
kind: Service
metadata: { name: gw, namespace: shop }
spec:
  selector: { istio: gw }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: odd, namespace: shop }
spec:
  hosts: [catalog, odd.example.com]
  gateways: [mesh, gw]
  http:
  - null
  - match: [null, { uri: {} }]
    route: []
  - match: [{ uri: { prefix: /nowhere } }]
    route: [{ destination: { host: nowhere } }]
  - match: [{ uri: { prefix: /split } }]
    route:
    - { destination: { host: catalog }, weight: 30 }
    - { destination: { host: catalog, subset: nope }, weight: 30 }
  - match: [{ uri: { prefix: /slow } }]
    timeout: forever
    retries: { attempts: 2, perTryTimeout: soon }
    route: [{ destination: { host: catalog, port: { number: 81 } } }]
  - match: [{ uri: { prefix: /delegated } }]
    delegate: { name: missing }
  - match: [{ uri: { prefix: /redir } }]
    redirect: { uri: /x, redirectCode: 399, derivePort: FROM_REQUEST_PORT }
  - route: [{ destination: { host: catalog } }]
  tcp:
  - route: null
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: { name: gw, namespace: shop }
spec:
  selector: { istio: gw }
  servers:
  - null
  - { port: { number: 0, protocol: HTTP }, hosts: ["*"] }
  - { port: { number: 443, name: https, protocol: HTTPS }, hosts: ["*"] }
  - { port: { number: 444, name: https, protocol: HTTPS }, hosts: ["*"], tls: { mode: SIMPLE } }
  - { port: { number: 80, name: http, protocol: HTTP }, hosts: [] }
  - { port: { number: 15443, name: tls, protocol: TLS }, hosts: ["*"], tls: { mode: AUTO_PASSTHROUGH } }
  - { port: { number: 80, name: http, protocol: HTTP }, hosts: ["odd.example.com"] }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: catalog, namespace: shop }
spec:
  host: catalog
  trafficPolicy:
    loadBalancer: { simple: PASSTHROUGH }
    connectionPool: { http: { idleTimeout: forever } }
    outlierDetection: { interval: often, consecutive5xxErrors: 3 }
    tls: { mode: MUTUAL }
  subsets: [null, { name: "" }, { name: v1, labels: { version: v1 } }]
`;

describe('odd input', () => {
  const objects = rawObjectsFromYaml(YAML, 'odd.yaml');
  const push = buildPushContext({ objects, pods: [pod('catalog-1', 'shop', 2, { app: 'catalog', version: 'v1' }), pod('gw-1', 'shop', 3, { istio: 'gw' })] });
  const sidecar = parseProxy({ id: 'sidecar~127.1.0.2~catalog-1.shop~shop.svc.cluster.local', metadata: { LABELS: { app: 'catalog', version: 'v1' }, NAMESPACE: 'shop' } });
  const router = parseProxy({ id: 'router~127.1.0.3~gw-1.shop~shop.svc.cluster.local', metadata: { LABELS: { istio: 'gw' }, NAMESPACE: 'shop' } });

  for (const [kind, proxy] of [['sidecar', sidecar], ['gateway', router]] as const) {
    it(`a ${kind} still gets valid config, and warnings name the objects`, () => {
      const r = buildProxyResources(push, proxy);
      assert.doesNotThrow(() => decodeProxyResources(r));
      assert.ok(r.warnings.length > 0);
      for (const w of r.warnings) assert.match(w, /^(VirtualService|Gateway|DestinationRule) shop\/(odd|gw|catalog) \(odd\.yaml:\d+\): /);
    });
  }

  it('says what was wrong with each piece', () => {
    const warnings = [...buildProxyResources(push, sidecar).warnings, ...buildProxyResources(push, router).warnings].join('\n');
    for (const expected of [
      /destination host "nowhere" is not a service/,
      /subset "nope" of catalog\.shop\.svc\.cluster\.local is not defined/,
      /route weights add up to 60, not 100/,
      /timeout "forever" is not a duration/,
      /retries\.perTryTimeout "soon" is not a duration/,
      /destination catalog\.shop\.svc\.cluster\.local has no port 81/,
      /delegate VirtualService shop\/missing does not exist/,
      /redirectCode 399/,
      /derivePort/,
      /PASSTHROUGH needs ORIGINAL_DST/,
      /idleTimeout "forever" is not a duration/,
      /outlierDetection\.interval "often" is not a duration/,
      /MUTUAL needs clientCertificate and privateKey/,
      /server port 0 is not a port number/,
      /server on port 443: protocol HTTPS needs a tls section/,
      /server on port 444: tls mode SIMPLE needs credentialName, or serverCertificate and privateKey/,
      /server on port 80 has no hosts/,
      /AUTO_PASSTHROUGH/,
      /tcp\/tls rule has no route/,
    ]) {
      assert.match(warnings, expected);
    }
  });

  it('the good parts survive: the catch-all rule and the gateway host', () => {
    const gw = buildProxyResources(push, router);
    const rc = gw.routes.find((r) => r.name === 'http.8080') as any;
    assert.deepEqual(rc.virtual_hosts.map((v: any) => v.name), ['odd.example.com:80']);
    const last = rc.virtual_hosts[0].routes.at(-1);
    assert.equal(last.route.cluster, 'outbound|80||catalog.shop.svc.cluster.local');
  });
});
