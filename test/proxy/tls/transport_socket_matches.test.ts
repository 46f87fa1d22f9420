// transport_socket_matches as Istio's auto mTLS uses them: an endpoint labelled
// tlsMode=istio in its envoy.transport_socket_match metadata is reached over TLS, an
// endpoint without it in plaintext, both within one cluster.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createPki, type Pki } from '../../helpers/pki.js';
import { bootstrapYaml, routeAllTo, startProxy, type RunningProxy } from '../../helpers/proxy.js';

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('cluster transport_socket_matches', () => {
  let pki: Pki;
  let tlsServer: https.Server;
  let plainServer: http.Server;
  let proxy: RunningProxy;

  before(async () => {
    pki = createPki();
    tlsServer = https.createServer({ cert: fs.readFileSync(pki.webapp.chain), key: fs.readFileSync(pki.webapp.key) }, (_req, res) => res.end('tls'));
    plainServer = http.createServer((_req, res) => res.end('plain'));
    const tlsPort = await listen(tlsServer);
    const plainPort = await listen(plainServer);
    const clusters = `
- name: mixed
  type: STATIC
  connect_timeout: 1s
  load_assignment:
    cluster_name: mixed
    endpoints:
    - lb_endpoints:
      - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${tlsPort} } } }
        metadata: { filter_metadata: { envoy.transport_socket_match: { tlsMode: istio } } }
      - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${plainPort} } } }
  transport_socket_matches:
  - name: tlsMode-istio
    match: { tlsMode: istio }
    transport_socket:
      name: envoy.transport_sockets.tls
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
        sni: webapp.istioinaction.io
        common_tls_context:
          validation_context: { trusted_ca: { filename: ${pki.root.cert} } }
  - name: tlsMode-disabled
    match: {}
    transport_socket:
      name: envoy.transport_sockets.raw_buffer
      typed_config:
        "@type": type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer`;
    proxy = await startProxy(bootstrapYaml({ routeConfig: routeAllTo('mixed'), clusters }));
  });

  after(async () => {
    await proxy?.stop();
    tlsServer?.close();
    plainServer?.close();
    pki?.cleanup();
  });

  it('reaches the tlsMode=istio endpoint over TLS and the other one in plaintext', async () => {
    const bodies = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await get(proxy.port('main'), `/r${i}`);
      assert.equal(res.status, 200, `request ${i}: ${res.body}`);
      bodies.add(res.body);
    }
    assert.deepEqual([...bodies].sort(), ['plain', 'tls']);
  });

  it('rejects a match whose transport socket is invalid, naming the field', async () => {
    const bad = `
- name: bad
  type: STATIC
  load_assignment: { cluster_name: bad, endpoints: [] }
  transport_socket_matches:
  - name: broken
    match: {}
    transport_socket:
      name: envoy.transport_sockets.alts
      typed_config: { "@type": type.googleapis.com/google.protobuf.Struct }`;
    await assert.rejects(startProxy(bootstrapYaml({ routeConfig: routeAllTo('bad'), clusters: bad })), /transport_socket_matches\[0\]\.transport_socket/);
  });
});
