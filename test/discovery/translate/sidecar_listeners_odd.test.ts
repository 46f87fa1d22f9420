// Sidecar ingress/egress listeners that cannot work in the local mesh — clashing ports,
// addresses the pod does not own, unix sockets the proxy cannot use, capture modes
// Istio does not have — are skipped with a warning naming the Sidecar; the rest is
// still built and still valid for the proxy. Objects skip the config store's schema
// here (rawObjectsFromYaml), as a hand-fed or future-version object would.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPushContext, parseProxy } from '../../../src/discovery/model/index.js';
import { buildProxyResources, decodeProxyResources } from '../../../src/discovery/translate/index.js';
import { pod, rawObjectsFromYaml } from '../model/objects.js';

const YAML = `
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: plain, namespace: shop }
spec:
  selector: { app: plain }
  ports: [{ name: http, port: 80, targetPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: db, namespace: shop }
spec:
  selector: { app: db }
  ports: [{ name: tcp, port: 5432 }]
---
apiVersion: v1
kind: Service
metadata: { name: db-replica, namespace: shop }
spec:
  selector: { app: db-replica }
  ports: [{ name: tcp, port: 5432 }]
---
apiVersion: v1
kind: Service
metadata: { name: prom, namespace: istio-system }
spec:
  selector: { app: prom }
  ports: [{ name: http, port: 9090 }]
---
apiVersion: networking.istio.io/v1beta1
kind: Sidecar
metadata: { name: odd, namespace: shop }
spec:
  workloadSelector: { labels: { app: web } }
  ingress:
  - { port: { number: 8080, protocol: HTTP, name: http }, defaultEndpoint: "127.0.0.1:8080", captureMode: TPROXY }
  - { port: { number: 8080, protocol: HTTP, name: again }, defaultEndpoint: "127.0.0.1:8081" }
  - { port: { number: 15021, protocol: HTTP, name: status }, defaultEndpoint: "127.0.0.1:15021" }
  - { port: { number: 7000, protocol: HTTP, name: uds }, defaultEndpoint: "unix:///var/run/app.sock" }
  - { port: { number: 7001, protocol: TCP, name: far }, defaultEndpoint: "10.1.2.3:80" }
  - { port: { number: 7002, protocol: TCP, name: elsewhere }, bind: 10.0.0.5, defaultEndpoint: "127.0.0.1:7002" }
  - { defaultEndpoint: "127.0.0.1:7003" }
  egress:
  - { port: { number: 8080, protocol: HTTP, name: onapp }, captureMode: NONE, hosts: ["./*"] }
  - { port: { number: 5432, protocol: TCP, name: db }, captureMode: NONE, hosts: ["./*"] }
  - { port: { number: 5432, protocol: TCP, name: db-again }, captureMode: NONE, hosts: ["./*"] }
  - { port: { number: 9090, protocol: HTTP, name: nothing }, captureMode: NONE, hosts: ["./*"] }
  - { port: { number: 53, protocol: UDP, name: dns }, captureMode: NONE, hosts: ["./*"] }
  - { port: { number: 7100, protocol: HTTP, name: uds }, bind: "unix:///var/run/egress.sock", captureMode: NONE, hosts: ["./*"] }
  - { bind: 127.0.0.1, hosts: ["istio-system/*"] }
  - { port: { number: 9999, protocol: HTTP, name: captured }, captureMode: IPTABLES, bind: 127.0.0.1, hosts: ["./*"] }
---
apiVersion: networking.istio.io/v1beta1
kind: Sidecar
metadata: { name: plain, namespace: shop }
spec:
  workloadSelector: { labels: { app: plain } }
  egress:
  - { port: { number: 8080, protocol: HTTP, name: onapp }, captureMode: NONE, hosts: ["./*"] }
  - { port: { number: 8080, protocol: HTTP, name: onpod }, bind: 0.0.0.0, captureMode: NONE, hosts: ["./*"] }
  - { port: { number: 8081, protocol: HTTP, name: onpod }, bind: 0.0.0.0, captureMode: NONE, hosts: ["./*"] }
  # DEFAULT in the local mesh: captured, i.e. served at the view addresses like without a Sidecar port.
  - { port: { number: 80, protocol: HTTP, name: http }, hosts: ["./web.shop.svc.cluster.local"] }
`;

describe('Sidecar listeners: odd input', () => {
  const objects = rawObjectsFromYaml(YAML, 'sidecar.yaml');
  const push = buildPushContext({
    objects,
    pods: [
      pod('web-1', 'shop', 2, { app: 'web' }),
      pod('plain-1', 'shop', 3, { app: 'plain' }),
      pod('db-1', 'shop', 4, { app: 'db' }),
      pod('db-replica-1', 'shop', 5, { app: 'db-replica' }),
      pod('prom-1', 'istio-system', 6, { app: 'prom' }),
    ],
  });
  const sidecar = (name: string, index: number, app: string) =>
    parseProxy({ id: `sidecar~127.1.0.${index}~${name}.shop~shop.svc.cluster.local`, metadata: { LABELS: { app }, NAMESPACE: 'shop', SKEIN_APP_ADDRESS: `127.2.0.${index}` } });
  const web = sidecar('web-1', 2, 'web');
  const plain = sidecar('plain-1', 3, 'plain');
  const webResources = buildProxyResources(push, web);
  const warnings = webResources.warnings.join('\n');
  const names = (r: typeof webResources) => r.listeners.map((l) => l.name);

  it('still gives valid config, and every warning names the Sidecar', () => {
    for (const p of [web, plain]) {
      const r = buildProxyResources(push, p);
      assert.doesNotThrow(() => decodeProxyResources(r));
      assert.ok(r.warnings.length > 0);
      for (const w of r.warnings) assert.match(w, /^Sidecar shop\/(odd|plain) \(sidecar\.yaml:\d+\): (ingress|egress)\[\d\]: /);
    }
  });

  it('says what was wrong with each ingress listener', () => {
    for (const expected of [
      /ingress\[0\]: captureMode "TPROXY" is not one of DEFAULT, IPTABLES, NONE; treated as DEFAULT/,
      /ingress\[1\]: port 8080 already has an ingress listener \(cluster inbound\|8080\|\|\); listener skipped/,
      /ingress\[2\]: 127\.1\.0\.2:15021 is already taken by the proxy's own listener on 15021; listener skipped/,
      /ingress\[3\]: defaultEndpoint unix:\/\/\/var\/run\/app\.sock: skein's proxy cannot connect to unix domain sockets yet; listener skipped/,
      /ingress\[4\]: defaultEndpoint "10\.1\.2\.3:80" must be 127\.0\.0\.1:PORT, 0\.0\.0\.0:PORT or unix:\/\/\/path/,
      /ingress\[5\]: bind 10\.0\.0\.5 is not an address of this pod \(in the local mesh: 127\.0\.0\.1, which is its app address 127\.2\.0\.2; 0\.0\.0\.0; or its pod IP 127\.1\.0\.2\)/,
      /ingress\[6\]: it has no port; listener skipped/,
    ]) {
      assert.match(warnings, expected);
    }
  });

  it('says what was wrong with each egress listener', () => {
    for (const expected of [
      /egress\[0\]: 127\.2\.0\.2:8080 is already taken by the app; listener skipped/,
      /egress\[1\]: a TCP listener forwards to one service; db-replica\.shop\.svc\.cluster\.local is used, not db\.shop\.svc\.cluster\.local/,
      /egress\[2\]: 127\.2\.0\.2:5432 is already taken by Sidecar egress\[1\]; listener skipped/,
      /egress\[3\]: no service its hosts import has port 9090; every request on 127\.2\.0\.2:9090 gets 404/,
      /egress\[3\]: route config "9090" holds this listener's hosts .*, so prom\.istio-system\.svc\.cluster\.local:9090 get no route there/,
      /egress\[4\]: UDP listeners are not supported; listener skipped/,
      /egress\[5\]: bind unix:\/\/\/var\/run\/egress\.sock: unix domain socket listeners are not supported yet; listener skipped/,
      /egress\[6\]: bind 127\.0\.0\.1 ignored \(it has no port\); its services are reached at the pod's service view addresses/,
      /egress\[6\]: the egress listener without a port must be the last one/,
      /egress\[7\]: bind 127\.0\.0\.1 ignored \(only captureMode NONE binds a listener of its own\); its services are reached at the pod's service view addresses/,
    ]) {
      assert.match(warnings, expected);
    }
  });

  it('builds the pieces that work', () => {
    assert.deepEqual(
      names(webResources).filter((n) => !String(n).startsWith('127.16.')),
      ['127.1.0.2_8080', '127.2.0.2_5432', '127.2.0.2_9090'],
    );
    // The catch-all's service keeps its view-address listener (and gets 404s: route config "9090" belongs to egress[3]).
    assert.ok(names(webResources).some((n) => String(n).startsWith('127.16.2.') && String(n).endsWith('_9090')));
    const rc = webResources.routes.find((r) => r.name === '9090') as any;
    assert.deepEqual(rc.virtual_hosts, []);
  });

  it('without Sidecar ingress, the app behind the served port and the inbound listener hold their addresses', () => {
    const r = buildProxyResources(push, plain);
    assert.match(r.warnings.join('\n'), /egress\[0\]: 127\.2\.0\.3:8080 is already taken by the app; listener skipped/);
    assert.match(r.warnings.join('\n'), /egress\[1\]: 0\.0\.0\.0:8080 is already taken by listener 127\.1\.0\.3_8080; listener skipped/);
    assert.ok(names(r).includes('0.0.0.0_8081'));
    // egress[3] (no captureMode): web keeps its view-address listener, nothing binds 127.2.0.3:80.
    assert.ok(names(r).some((n) => /^127\.16\.3\.\d+_80$/.test(String(n))));
    assert.ok(!names(r).includes('127.2.0.3_80'));
  });

  it('with unix domain sockets available, a unix defaultEndpoint becomes a pipe endpoint', () => {
    const r = buildProxyResources(push, web, { capabilities: { unixDomainSockets: true } });
    const cluster = r.clusters.find((c) => c.name === 'inbound|7000||') as any;
    assert.deepEqual(cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address, { pipe: { path: '/var/run/app.sock' } });
    assert.doesNotThrow(() => decodeProxyResources(r));
    assert.ok(names(r).includes('127.1.0.2_7000'));
  });
});
