// Istio's scoping rules in the push context: VirtualService binding and exportTo,
// service visibility, DestinationRule lookup order, Sidecar selection, gateways.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPushContext } from '../../../src/discovery/model/index.js';
import { objectsFromYaml } from './objects.js';

const names = (list: readonly { metadata: { name: string; namespace: string } }[]) => list.map((o) => `${o.metadata.namespace}/${o.metadata.name}`);

describe('VirtualService binding', () => {
  const ctx = buildPushContext({
    objects: objectsFromYaml(`
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: public-mesh, namespace: a }
spec: { hosts: [svc], http: [{ route: [{ destination: { host: svc } }] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: private-mesh, namespace: a }
spec: { hosts: [svc2], exportTo: ["."], http: [{ route: [{ destination: { host: svc } }] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: to-b, namespace: a }
spec: { hosts: [svc3], exportTo: [b], http: [{ route: [{ destination: { host: svc } }] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: hidden, namespace: a }
spec: { hosts: [svc4], exportTo: ["~"], http: [{ route: [{ destination: { host: svc } }] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: b-own, namespace: b }
spec: { hosts: [svc5], exportTo: ["."], http: [{ route: [{ destination: { host: svc } }] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: gw-short, namespace: a }
spec: { hosts: [x.example.com], gateways: [ingress, mesh], http: [{ route: [{ destination: { host: svc } }] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: gw-qualified, namespace: b }
spec: { hosts: [y.example.com], gateways: [a/ingress], http: [{ route: [{ destination: { host: svc } }] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: gw-other, namespace: b }
spec: { hosts: [z.example.com], gateways: [ingress], http: [{ route: [{ destination: { host: svc } }] }] }
`),
  });

  it('binds a VirtualService without gateways to the mesh', () => {
    assert.deepEqual(names(ctx.virtualServicesFor('mesh', 'a')), ['a/private-mesh', 'a/public-mesh', 'a/gw-short']);
  });

  it('orders private, then exported-to-namespace, then public VirtualServices', () => {
    assert.deepEqual(names(ctx.virtualServicesFor('mesh', 'b')), ['b/b-own', 'a/to-b', 'a/public-mesh', 'a/gw-short']);
    assert.deepEqual(names(ctx.virtualServicesFor('mesh', 'c')), ['a/public-mesh', 'a/gw-short']);
  });

  it('resolves short gateway names in the VirtualService namespace', () => {
    assert.deepEqual(names(ctx.virtualServicesFor('a/ingress', 'istio-system')), ['a/gw-short', 'b/gw-qualified']);
    assert.deepEqual(names(ctx.virtualServicesFor('b/ingress', 'istio-system')), ['b/gw-other']);
    assert.deepEqual(names(ctx.virtualServicesFor('istio-system/ingress', 'istio-system')), []);
  });

  it('keeps every VirtualService in virtualServices(), in input order', () => {
    assert.equal(ctx.virtualServices().length, 8);
    assert.equal(ctx.virtualServices()[0]!.metadata.name, 'public-mesh');
  });
});

describe('service visibility', () => {
  const ctx = buildPushContext({
    objects: objectsFromYaml(`
apiVersion: v1
kind: Service
metadata: { name: open, namespace: a }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: v1
kind: Service
metadata: { name: private, namespace: a, annotations: { networking.istio.io/exportTo: "." } }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: ext-a, namespace: a }
spec: { hosts: [api.example.com], exportTo: ["."], ports: [{ number: 443, name: tls }], resolution: DNS }
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: ext-b, namespace: b }
spec: { hosts: [api.example.com], ports: [{ number: 443, name: tls }], resolution: DNS }
`),
  });

  it('applies exportTo and picks the own namespace copy of a shared host', () => {
    assert.deepEqual(
      ctx.servicesVisibleFrom('a').map((s) => `${s.hostname}@${s.namespace}`),
      ['api.example.com@a', 'open.a.svc.cluster.local@a', 'private.a.svc.cluster.local@a'],
    );
    assert.deepEqual(
      ctx.servicesVisibleFrom('c').map((s) => `${s.hostname}@${s.namespace}`),
      ['api.example.com@b', 'open.a.svc.cluster.local@a'],
    );
    assert.equal(ctx.serviceByHostname('private.a.svc.cluster.local', 'c'), undefined);
    assert.equal(ctx.serviceByHostname('private.a.svc.cluster.local', 'a')?.name, 'private');
    assert.equal(ctx.serviceByHostname('private.a.svc.cluster.local')?.name, 'private');
    assert.equal(ctx.serviceByHostname('api.example.com', 'b')?.name, 'ext-b');
  });
});

describe('DestinationRule lookup', () => {
  const ctx = buildPushContext({
    objects: objectsFromYaml(`
apiVersion: v1
kind: Service
metadata: { name: catalog, namespace: shop }
spec: { ports: [{ name: http, port: 80 }] }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: root-wide, namespace: istio-system }
spec: { host: "*.svc.cluster.local" }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: svc-ns, namespace: shop }
spec: { host: catalog }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: svc-ns-dup, namespace: shop }
spec: { host: catalog.shop.svc.cluster.local }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: client-wild, namespace: client }
spec: { host: "*.shop.svc.cluster.local" }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: client-wider, namespace: client }
spec: { host: "*.cluster.local" }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: private, namespace: shop2 }
spec: { host: catalog.shop.svc.cluster.local, exportTo: ["."] }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: selected, namespace: client }
spec: { host: catalog.shop.svc.cluster.local, workloadSelector: { matchLabels: { app: special } } }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: only-for-shop, namespace: shop3 }
spec: { host: catalog.shop.svc.cluster.local, exportTo: [shop] }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: third-party, namespace: other }
spec: { host: catalog.shop.svc.cluster.local }
`, 'dr.yaml'),
  });
  const host = 'catalog.shop.svc.cluster.local';
  const dr = (ns: string, h = host, labels?: Record<string, string>) => ctx.destinationRule(ns, h, labels)?.metadata.name;

  it("prefers the proxy's namespace, most specific host first", () => {
    assert.equal(dr('client'), 'client-wild');
    assert.equal(dr('client', 'web.other.svc.cluster.local'), 'client-wider');
  });

  it("then the service's namespace, then the root namespace; never a third namespace", () => {
    assert.equal(dr('elsewhere'), 'svc-ns');
    assert.equal(dr('shop'), 'svc-ns');
    assert.equal(dr('elsewhere', 'nothing.x.svc.cluster.local'), 'root-wide');
    assert.equal(dr('elsewhere', 'api.example.com'), undefined);
  });

  it('honours exportTo: "." for the own namespace only, a list without it leaves it out', () => {
    assert.equal(dr('shop2'), 'private');
    assert.equal(dr('shop3'), 'svc-ns');
  });

  it('applies a workloadSelector rule only when the labels match', () => {
    assert.equal(dr('client', host, { app: 'special' }), 'selected');
    assert.equal(dr('client', host, { app: 'plain' }), 'client-wild');
  });

  it('reports two rules for the same host in one namespace and applies the first', () => {
    assert.equal(ctx.warnings.length, 1);
    assert.match(ctx.warnings[0]!, /DestinationRule shop\/svc-ns-dup \(dr\.yaml:\d+\): host catalog\.shop\.svc\.cluster\.local already has DestinationRule shop\/svc-ns/);
  });
});

describe('Sidecar selection and gateways', () => {
  const ctx = buildPushContext({
    objects: objectsFromYaml(`
apiVersion: networking.istio.io/v1beta1
kind: Sidecar
metadata: { name: mesh-default, namespace: istio-system }
spec: { egress: [{ hosts: ["./*"] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: Sidecar
metadata: { name: ns-default, namespace: shop }
spec: { egress: [{ hosts: ["./*", "istio-system/*"] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: Sidecar
metadata: { name: for-web, namespace: shop }
spec: { workloadSelector: { labels: { app: web } }, egress: [{ hosts: ["*/*"] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: Sidecar
metadata: { name: second-default, namespace: shop }
spec: { egress: [{ hosts: ["*/*"] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: { name: any, namespace: edge }
spec: { servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }] }
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: { name: ingress, namespace: istio-system }
spec: { selector: { istio: ingressgateway }, servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }] }
---
apiVersion: v1
kind: Secret
metadata: { name: webapp-credential, namespace: istio-system }
type: kubernetes.io/tls
stringData: { tls.crt: CERT, tls.key: KEY }
`, 'sc.yaml'),
  });

  it('picks the selecting Sidecar, then the namespace default, then the root default', () => {
    assert.equal(ctx.sidecarFor('shop', { app: 'web', version: 'v1' })?.metadata.name, 'for-web');
    assert.equal(ctx.sidecarFor('shop', { app: 'db' })?.metadata.name, 'ns-default');
    assert.equal(ctx.sidecarFor('other', { app: 'web' })?.metadata.name, 'mesh-default');
    assert.match(ctx.warnings.join('\n'), /Sidecar shop\/second-default \(sc\.yaml:\d+\): namespace shop already has a Sidecar without workloadSelector/);
  });

  it('matches gateways by selector subset in any namespace; no selector matches every gateway', () => {
    assert.deepEqual(names(ctx.gatewaysForLabels({ istio: 'ingressgateway', app: 'x' })), ['edge/any', 'istio-system/ingress']);
    assert.deepEqual(names(ctx.gatewaysForLabels({ istio: 'egressgateway' })), ['edge/any']);
  });

  it('finds secrets by namespace and name', () => {
    assert.equal(ctx.secret('istio-system', 'webapp-credential')?.spec.data['tls.key']?.toString(), 'KEY');
    assert.equal(ctx.secret('default', 'webapp-credential'), undefined);
  });
});
