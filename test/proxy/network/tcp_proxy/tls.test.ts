// tcp_proxy with TLS on either side: a listener that terminates TLS hands the proxy a
// TLSSocket (echo and half-close must work over it), and a cluster with an
// UpstreamTlsContext is reached over TLS.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import { createPki, type Pki } from '../../../helpers/pki.js';
import { startProxy, staticCluster } from '../../../helpers/proxy.js';
import { startTcpEcho } from '../../../../src/testing/echo/index.js';
import { TCP_PROXY_URL, exchange, startServer, stats, withTcpProxy } from './helpers.js';

type Echo = Awaited<ReturnType<typeof startTcpEcho>>;

function tlsListenerYaml(pki: Pki, echoPort: number): string {
  return `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
static_resources:
  listeners:
  - name: tcp
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          common_tls_context:
            tls_certificates:
            - certificate_chain: { filename: ${pki.webapp.chain} }
              private_key: { filename: ${pki.webapp.key} }
      filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": ${TCP_PROXY_URL}
          stat_prefix: tls_in
          cluster: echo
  clusters:
${staticCluster('echo', [echoPort]).replace(/^/gm, '  ')}
`;
}

/** A TLS client that sends `payload`, then closes its write side, and collects the reply until close. */
function tlsExchange(port: number, pki: Pki, payload: string): Promise<{ text: string; gotEnd: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let gotEnd = false;
    // allowHalfOpen is honoured by tls.connect though @types/node leaves it out.
    const options = { port, host: '127.0.0.1', servername: 'webapp.istioinaction.io', ca: fs.readFileSync(pki.root.cert), allowHalfOpen: true };
    const socket = tls.connect(options as tls.ConnectionOptions, () => socket.end(payload));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      gotEnd = true;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ text: Buffer.concat(chunks).toString(), gotEnd }));
  });
}

describe('tcp_proxy with TLS', () => {
  let pki: Pki;
  let echo: Echo;
  before(async () => {
    pki = createPki();
    echo = await startTcpEcho({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await echo.close();
    pki.cleanup();
  });

  it('relays from a TLS-terminating listener, half-close included', async () => {
    const proxy = await startProxy(tlsListenerYaml(pki, echo.port));
    try {
      const got = await tlsExchange(proxy.port('tcp'), pki, 'over tls\nthe last line has no newline');
      assert.equal(got.text, 'over tls\nthe last line has no newline');
      assert.equal(got.gotEnd, true);
      const s = await stats(proxy, '^tcp\\.tls_in\\.downstream_cx_rx_bytes_total$');
      assert.equal(s.get('tcp.tls_in.downstream_cx_rx_bytes_total'), 37);
    } finally {
      await proxy.stop();
    }
  });

  it('originates TLS to the upstream when the cluster has an UpstreamTlsContext', async () => {
    const server = tls.createServer({ cert: fs.readFileSync(pki.catalog.chain), key: fs.readFileSync(pki.catalog.key), allowHalfOpen: true }, (s) => {
      s.on('error', () => {});
      s.on('data', (c: Buffer) => s.write(`tls:${c.toString()}`));
      s.on('end', () => s.end());
    });
    // Half-open sockets of failed handshakes would keep server.close() waiting.
    const raw = new Set<net.Socket>();
    server.on('connection', (s: net.Socket) => raw.add(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as net.AddressInfo).port;
    const cluster = (ca: string) =>
      staticCluster('secure', [port], `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
    sni: catalog.istioinaction.io
    common_tls_context:
      validation_context: { trusted_ca: { filename: ${ca} } }`);
    const send = (listenerPort: number) =>
      new Promise<string>((resolve) => {
        const chunks: Buffer[] = [];
        const c = net.connect({ port: listenerPort, host: '127.0.0.1', allowHalfOpen: true }, () => c.end('hello'));
        c.on('data', (d: Buffer) => chunks.push(d));
        c.on('error', () => {});
        c.on('close', () => resolve(Buffer.concat(chunks).toString()));
      });
    try {
      await withTcpProxy('stat_prefix: tls_out\ncluster: secure', cluster(pki.root.cert), async (proxy, listenerPort) => {
        assert.equal(await send(listenerPort), 'tls:hello');
        assert.equal((await stats(proxy, '^cluster\\.secure\\.ssl\\.handshake$')).get('cluster.secure.ssl.handshake'), 1);
      });
      // A server certificate the cluster does not trust fails the connect, like a refused one.
      await withTcpProxy('stat_prefix: tls_bad\ncluster: secure', cluster(pki.other.cert), async (proxy, listenerPort) => {
        assert.equal(await send(listenerPort), '');
        const s = await stats(proxy, '^cluster\\.secure\\.upstream_cx_(connect_fail|active)$');
        assert.equal(s.get('cluster.secure.upstream_cx_connect_fail'), 1);
        assert.equal(s.get('cluster.secure.upstream_cx_active'), 0);
      });
    } finally {
      for (const s of raw) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('counts connect_timeout when the TLS handshake never completes within connect_timeout', async () => {
    // Accepts TCP and never answers the ClientHello: only connect_timeout ends the attempt.
    const silent = await startServer(() => {});
    try {
      const cluster = staticCluster('stuck', [silent.port], `transport_socket:
  name: envoy.transport_sockets.tls
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext
    common_tls_context:
      validation_context: { trusted_ca: { filename: ${pki.root.cert} } }`);
      await withTcpProxy('stat_prefix: stuck\ncluster: stuck', cluster, async (proxy, port) => {
        const got = await exchange(port, 'x', { keepOpen: true });
        assert.equal(got.data.length, 0);
        const s = await stats(proxy, '^cluster\\.stuck\\.upstream_cx_');
        assert.equal(s.get('cluster.stuck.upstream_cx_connect_timeout'), 1);
        assert.equal(s.get('cluster.stuck.upstream_cx_connect_fail'), 1);
        assert.equal(s.get('cluster.stuck.upstream_cx_connect_attempts_exceeded'), 1);
      });
    } finally {
      await silent.close();
    }
  });
});
