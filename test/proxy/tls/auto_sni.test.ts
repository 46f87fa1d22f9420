// auto_sni through the router: a cluster with upstream_http_protocol_options.auto_sni
// opens its TLS connections with the request's host as SNI (one pool per name, since
// a connection's SNI is fixed at the handshake), and auto_san_validation rejects an
// upstream whose certificate does not match that name.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { createPki, type Pki } from '../../helpers/pki.js';
import { bootstrapYaml, startProxy, type RunningProxy } from '../../helpers/proxy.js';

const HTTP_OPTIONS_URL = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const UPSTREAM_TLS_URL = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

function tlsCluster(name: string, port: number, pki: Pki, opts: { autoSanValidation: boolean; overrideHeader?: string }): string {
  return `
- name: ${name}
  type: STATIC
  connect_timeout: 1s
  load_assignment:
    cluster_name: ${name}
    endpoints:
    - lb_endpoints:
      - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } }
  typed_extension_protocol_options:
    envoy.extensions.upstreams.http.v3.HttpProtocolOptions:
      "@type": ${HTTP_OPTIONS_URL}
      upstream_http_protocol_options:
        auto_sni: true
        auto_san_validation: ${opts.autoSanValidation}${opts.overrideHeader ? `\n        override_auto_sni_header: ${opts.overrideHeader}` : ''}
      explicit_http_config: { http_protocol_options: {} }
  transport_socket:
    name: envoy.transport_sockets.tls
    typed_config:
      "@type": ${UPSTREAM_TLS_URL}
      common_tls_context:
        validation_context: { trusted_ca: { filename: ${pki.root.cert} } }`;
}

describe('upstream auto_sni through the router', () => {
  let pki: Pki;
  let upstream: https.Server;
  let proxy: RunningProxy;
  const handshakes: string[] = [];

  before(async () => {
    pki = createPki();
    const contexts = new Map([
      ['webapp.istioinaction.io', tls.createSecureContext({ cert: fs.readFileSync(pki.webapp.chain), key: fs.readFileSync(pki.webapp.key) })],
      ['catalog.istioinaction.io', tls.createSecureContext({ cert: fs.readFileSync(pki.catalog.chain), key: fs.readFileSync(pki.catalog.key) })],
    ]);
    upstream = https.createServer(
      {
        cert: fs.readFileSync(pki.webapp.chain),
        key: fs.readFileSync(pki.webapp.key),
        SNICallback: (name, cb) => cb(null, contexts.get(name) ?? contexts.get('webapp.istioinaction.io')),
      },
      (req, res) => res.end(JSON.stringify({ sni: (req.socket as tls.TLSSocket).servername || null, host: req.headers.host })),
    );
    upstream.on('secureConnection', (s: tls.TLSSocket) => handshakes.push(String(s.servername)));
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const port = (upstream.address() as AddressInfo).port;
    const routeConfig = `
virtual_hosts:
- name: all
  domains: ["*"]
  routes:
  - match: { prefix: /strict/ }
    route: { cluster: strict }
  - match: { prefix: /override/ }
    route: { cluster: override }
  - match: { prefix: / }
    route: { cluster: lenient }`;
    const clusters = [
      tlsCluster('strict', port, pki, { autoSanValidation: true }),
      tlsCluster('lenient', port, pki, { autoSanValidation: false }),
      tlsCluster('override', port, pki, { autoSanValidation: true, overrideHeader: 'x-sni' }),
    ].join('\n');
    proxy = await startProxy(bootstrapYaml({ routeConfig, clusters }));
  });

  after(async () => {
    await proxy?.stop();
    upstream?.close();
    pki?.cleanup();
  });

  // node:http, not fetch: fetch does not let a caller set Host
  function get(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port: proxy.port('main'), path, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
    });
  }

  it('uses each request\'s host (without port) as SNI, one connection per name', async () => {
    const webapp = await get('/a', { host: 'webapp.istioinaction.io:8443' });
    assert.equal(webapp.status, 200);
    assert.equal(JSON.parse(webapp.body).sni, 'webapp.istioinaction.io');
    const catalog = await get('/b', { host: 'catalog.istioinaction.io' });
    assert.equal(JSON.parse(catalog.body).sni, 'catalog.istioinaction.io');
    const again = await get('/c', { host: 'webapp.istioinaction.io' });
    assert.equal(JSON.parse(again.body).sni, 'webapp.istioinaction.io');
    // the second webapp request reused the first connection
    assert.equal(handshakes.filter((n) => n === 'webapp.istioinaction.io').length, 1);
  });

  it('auto_san_validation fails a name the upstream certificate does not cover', async () => {
    assert.equal((await get('/strict/x', { host: 'catalog.istioinaction.io' })).status, 200);
    const unknown = await get('/strict/y', { host: 'ratings.istioinaction.io' });
    assert.equal(unknown.status, 503);
    // without SAN validation the same name is accepted (the chain is still verified)
    assert.equal((await get('/z', { host: 'ratings.istioinaction.io' })).status, 200);
  });

  it('override_auto_sni_header picks the SNI from a header when present', async () => {
    const res = await get('/override/x', { host: 'webapp.istioinaction.io', 'x-sni': 'catalog.istioinaction.io' });
    assert.equal(JSON.parse(res.body).sni, 'catalog.istioinaction.io');
    const fallback = await get('/override/y', { host: 'webapp.istioinaction.io' });
    assert.equal(JSON.parse(fallback.body).sni, 'webapp.istioinaction.io');
  });
});
