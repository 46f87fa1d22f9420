// Requests through the coolstore's generated config (seed 003, chapter 4): gateway →
// webapp's sidecar → webapp → webapp's sidecar → catalog's sidecar → catalog, each hop
// decided by skein's own listener, filter chain and route matching code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serviceViewAddress } from '../../../src/discovery/model/local_addresses.js';
import { loadCase, translate } from './harness.js';
import { Simulation } from './simulate.js';

describe('simulation: coolstore', () => {
  const c = loadCase('coolstore');
  const gateway = new Simulation(translate(c, 'istio-ingressgateway'));
  const webapp = new Simulation(translate(c, 'webapp'));
  const catalog = new Simulation(translate(c, 'catalog'));

  it('the gateway sends webapp.istioinaction.io to webapp, whose endpoint is the webapp pod', () => {
    const out = gateway.http({ port: 8080, host: 'webapp.istioinaction.io', path: '/api/catalog' });
    assert.equal(out.listener, '0.0.0.0_8080');
    assert.equal(out.routeConfig, 'http.8080');
    assert.equal(out.cluster, 'outbound|80||webapp.istioinaction.svc.cluster.local');
    assert.deepEqual(gateway.endpoints(out.cluster!), ['127.1.0.2:8080']);
  });

  it('the gateway ignores the port in Host (curl to localhost:30000 with -H Host)', () => {
    assert.equal(gateway.http({ port: 8080, host: 'webapp.istioinaction.io:30000', path: '/' }).cluster, 'outbound|80||webapp.istioinaction.svc.cluster.local');
  });

  it('a request without the VirtualService host gets 404 at the gateway', () => {
    const out = gateway.http({ port: 8080, host: 'localhost:30000', path: '/api/catalog' });
    assert.equal(out.status, 404);
    assert.equal(out.cluster, undefined);
  });

  it("webapp's sidecar takes the request on the pod IP and hands it to the app's private address", () => {
    const out = webapp.http({ port: 8080, address: '127.1.0.2', host: 'webapp.istioinaction.io', path: '/api/catalog' });
    assert.equal(out.cluster, 'inbound|8080||');
    assert.deepEqual(webapp.endpoints('inbound|8080||'), ['127.2.0.2:8080']);
  });

  it("webapp's call to catalog through its view address reaches catalog's pod", () => {
    // The address the mesh gives webapp as CATALOG_SERVICE_HOST.
    const address = serviceViewAddress(2, c.push.serviceByHostname('catalog.istioinaction.svc.cluster.local')!.localIndex);
    assert.equal(webapp.listener(80, address).name, `${address}_80`);
    for (const host of [address, `${address}:80`, 'catalog', 'catalog:80', 'catalog.istioinaction', 'catalog.istioinaction.svc.cluster.local:80']) {
      assert.equal(webapp.http({ port: 80, address, host, path: '/items' }).cluster, 'outbound|80||catalog.istioinaction.svc.cluster.local', host);
    }
    const [endpoint] = webapp.endpoints('outbound|80||catalog.istioinaction.svc.cluster.local');
    assert.equal(endpoint, '127.1.0.3:3000');
    // ... which is exactly where catalog's sidecar listens, forwarding to the catalog app.
    const [ip, port] = endpoint!.split(':');
    assert.equal(catalog.http({ port: Number(port), address: ip, host: 'catalog', path: '/items' }).cluster, 'inbound|3000||');
    assert.deepEqual(catalog.endpoints('inbound|3000||'), ['127.2.0.3:3000']);
  });

  it('an unknown Host on a sidecar outbound port finds no route (no passthrough in the local mesh)', () => {
    const address = serviceViewAddress(2, c.push.serviceByHostname('webapp.istioinaction.svc.cluster.local')!.localIndex);
    assert.equal(webapp.http({ port: 80, address, host: 'example.com', path: '/' }).status, 404);
  });
});
