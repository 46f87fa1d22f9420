// Requests and connections through generated gateway config (seed 003's TLS, mTLS, TCP
// and SNI passthrough scenarios), decided by skein's own listener and route code.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadCase, translate } from './harness.js';
import { Simulation } from './simulate.js';

const WEBAPP = 'outbound|80||webapp.istioinaction.svc.cluster.local';
const CATALOG = 'outbound|80||catalog.istioinaction.svc.cluster.local';

describe('simulation: gateway without a VirtualService', () => {
  const gw = new Simulation(translate(loadCase('gateway-no-virtualservice'), 'istio-ingressgateway'));
  it('answers every request with 404', () => {
    for (const host of ['webapp.istioinaction.io', 'anything', 'localhost:30000']) {
      assert.equal(gw.http({ port: 8080, host, path: '/api/catalog' }).status, 404, host);
    }
  });
});

describe('simulation: HTTPS gateway (SIMPLE per host, httpsRedirect, MUTUAL)', () => {
  const gw = new Simulation(translate(loadCase('gateway-tls'), 'istio-ingressgateway'));

  it('plain HTTP on 8080 is redirected to https with the same host and path', () => {
    const out = gw.http({ port: 8080, host: 'webapp.istioinaction.io', path: '/api/catalog' });
    assert.equal(out.status, 301);
    assert.equal(out.location, 'https://webapp.istioinaction.io/api/catalog');
    assert.equal(gw.http({ port: 8080, host: 'catalog.istioinaction.io', path: '/items' }).location, 'https://catalog.istioinaction.io/items');
  });

  it('8443 picks the certificate and routes by SNI', () => {
    const webapp = gw.http({ port: 8443, sni: 'webapp.istioinaction.io', host: 'webapp.istioinaction.io', path: '/api/catalog' });
    assert.equal(webapp.routeConfig, 'https.443.https-webapp.coolstore-gateway.istioinaction');
    assert.equal(webapp.cluster, WEBAPP);
    const catalog = gw.http({ port: 8443, sni: 'catalog.istioinaction.io', host: 'catalog.istioinaction.io', path: '/items' });
    assert.equal(catalog.routeConfig, 'https.443.https-catalog.coolstore-gateway.istioinaction');
    assert.equal(catalog.cluster, CATALOG);
    const chain = (gw.listener(8443).filter_chains as any[]).find((c) => c.filter_chain_match.server_names.includes('catalog.istioinaction.io'));
    assert.equal(chain.transport_socket.typed_config.common_tls_context.tls_certificate_sds_secret_configs[0].name, 'kubernetes://catalog-credential');
  });

  it('a host served over TLS under another host\'s SNI finds no virtual host', () => {
    assert.equal(gw.http({ port: 8443, sni: 'webapp.istioinaction.io', host: 'catalog.istioinaction.io', path: '/' }).status, 404);
  });

  it('the MUTUAL server requires client certificates checked against the Secret\'s CA', () => {
    const out = gw.http({ port: 9443, sni: 'webapp.istioinaction.io', host: 'webapp.istioinaction.io', path: '/' });
    assert.equal(out.cluster, WEBAPP);
    const tls = gw.listener(9443).filter_chains[0].transport_socket.typed_config;
    assert.equal(tls.require_client_certificate.value ?? tls.require_client_certificate, true);
    const ca = gw.resources.secrets.find((s: any) => s.name === 'kubernetes://webapp-credential-mtls-cacert') as any;
    assert.match(Buffer.from(ca.validation_context.trusted_ca.inline_bytes).toString(), /BEGIN CERTIFICATE/);
  });

  it('a server whose Secret is missing gets no listener, and the gateway says why', () => {
    assert.throws(() => gw.listener(9444), /0 listeners/);
  });
});

describe('simulation: TCP and SNI passthrough gateway', () => {
  const gw = new Simulation(translate(loadCase('gateway-tcp-sni'), 'istio-ingressgateway'));

  it('31400 forwards TCP to tcp-echo-service:2701, whose endpoint is the tcp-echo pod', () => {
    const cluster = gw.tcp(31400);
    assert.equal(cluster, 'outbound|2701||tcp-echo-service.istioinaction.svc.cluster.local');
    assert.deepEqual(gw.endpoints(cluster as string), ['127.1.0.2:2701']);
  });

  it('31443 sends each SNI name to its own TLS service without terminating TLS', () => {
    assert.equal(gw.tcp(31443, 'simple-sni-1.istioinaction.io'), 'outbound|80||simple-tls-service-1.istioinaction.svc.cluster.local');
    assert.equal(gw.tcp(31443, 'simple-sni-2.istioinaction.io'), 'outbound|80||simple-tls-service-2.istioinaction.svc.cluster.local');
    assert.equal(gw.listener(31443).filter_chains.some((c: any) => c.transport_socket), false);
  });

  it('an unknown SNI name matches no filter chain', () => {
    assert.throws(() => gw.tcp(31443, 'other.istioinaction.io'), /no filter chain/);
  });
});
