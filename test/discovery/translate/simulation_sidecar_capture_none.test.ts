// Requests through the listeners a Sidecar resource with captureMode NONE asks for
// (testdata/sidecar-capture-none): the app calls its egress listeners explicitly — at
// 127.0.0.1 in Istio, which is the pod's app address in the local mesh — and inbound
// traffic arrives on the ingress listener, which hands it to the defaultEndpoint.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { appAddress, podIp, serviceViewAddress } from '../../../src/discovery/model/local_addresses.js';
import { loadCase, translate } from './harness.js';
import { Simulation } from './simulate.js';

describe('simulation: Sidecar ingress and egress listeners (captureMode NONE)', () => {
  const c = loadCase('sidecar-capture-none');
  const webapp = new Simulation(translate(c, 'webapp'));
  const reviews = new Simulation(translate(c, 'reviews'));
  const WEBAPP_POD = 2;
  const loopback = appAddress(WEBAPP_POD); // what "127.0.0.1" means for webapp's pod
  const localIndex = (host: string) => c.push.serviceByHostname(host)!.localIndex;

  it('the egress listener bound to 127.0.0.1:80 is at the app address, named <address>_<port>', () => {
    const l = webapp.listener(80, loopback);
    assert.equal(l.name, `${loopback}_80`);
    assert.equal(l.traffic_direction, 'OUTBOUND');
  });

  it('a request on the egress listener with Host catalog.istioinaction goes to catalog', () => {
    const out = webapp.http({ port: 80, address: loopback, host: 'catalog.istioinaction', path: '/items' });
    assert.equal(out.routeConfig, '80');
    assert.equal(out.cluster, 'outbound|80||catalog.istioinaction.svc.cluster.local');
    assert.deepEqual(webapp.endpoints(out.cluster!), ['127.1.0.3:3000']);
    // ... and the VirtualService for catalog applies there, as on any sidecar route.
    assert.equal(out.route?.route?.timeout?.seconds, 5);
  });

  it('every name of an imported service works on it, and other hosts get 404', () => {
    for (const host of ['catalog', 'catalog:80', 'catalog.istioinaction.svc.cluster.local']) {
      assert.equal(webapp.http({ port: 80, address: loopback, host }).cluster, 'outbound|80||catalog.istioinaction.svc.cluster.local', host);
    }
    assert.equal(webapp.http({ port: 80, address: loopback, host: 'webapp.istioinaction' }).cluster, 'outbound|80||webapp.istioinaction.svc.cluster.local');
    // billing is in a namespace the Sidecar does not import.
    assert.equal(webapp.http({ port: 80, address: loopback, host: 'billing.other' }).status, 404);
  });

  it('an egress listener on 9080 routes only services with port 9080, as in Istio', () => {
    assert.equal(webapp.http({ port: 9080, address: loopback, host: 'reviews.istioinaction' }).cluster, 'outbound|9080||reviews.istioinaction.svc.cluster.local');
    assert.equal(webapp.http({ port: 9080, address: loopback, host: 'catalog.istioinaction' }).status, 404);
  });

  it('a TCP egress listener forwards to its service', () => {
    assert.equal(webapp.tcp(6379, undefined, loopback), 'outbound|6379||redis.istioinaction.svc.cluster.local');
  });

  it('services of the catch-all egress listener keep their view-address listeners; the others have none', () => {
    const prometheus = serviceViewAddress(WEBAPP_POD, localIndex('prometheus.istio-system.svc.cluster.local'));
    assert.equal(webapp.http({ port: 9090, address: prometheus, host: prometheus }).cluster, 'outbound|9090||prometheus.istio-system.svc.cluster.local');
    const catalog = serviceViewAddress(WEBAPP_POD, localIndex('catalog.istioinaction.svc.cluster.local'));
    assert.throws(() => webapp.listener(80, catalog), /0 listeners/);
  });

  it('the ingress listener on the pod IP hands requests to defaultEndpoint 127.0.0.1:8080, the app address', () => {
    const out = webapp.http({ port: 8080, address: podIp(WEBAPP_POD), host: 'webapp.istioinaction.io', path: '/api/catalog' });
    assert.equal(out.listener, `${podIp(WEBAPP_POD)}_8080`);
    assert.equal(out.cluster, 'inbound|8080||');
    assert.deepEqual(webapp.endpoints('inbound|8080||'), [`${loopback}:8080`]);
  });

  it('a TCP ingress port without a Service forwards 0.0.0.0:9901 to the app address too', () => {
    assert.equal(webapp.tcp(9901, undefined, podIp(WEBAPP_POD)), 'inbound|9901||');
    assert.deepEqual(webapp.endpoints('inbound|9901||'), [`${loopback}:9901`]);
  });

  it("Istio's own no-iptables example (reviews): its 9080 egress listener reaches reviews, not catalog", () => {
    const l = appAddress(4);
    assert.equal(reviews.http({ port: 9080, address: l, host: 'reviews.istioinaction' }).cluster, 'outbound|9080||reviews.istioinaction.svc.cluster.local');
    assert.equal(reviews.http({ port: 9080, address: l, host: 'catalog.istioinaction' }).status, 404);
    // A listener with a port imports only services with that port: no cluster for catalog at all.
    assert.equal(reviews.cluster('outbound|80||catalog.istioinaction.svc.cluster.local'), undefined);
  });

  it('no warnings for a well-formed Sidecar', () => {
    assert.deepEqual(webapp.resources.warnings, []);
    assert.deepEqual(reviews.resources.warnings, []);
  });
});
