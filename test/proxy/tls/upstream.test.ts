// TLS origination to upstream clusters (UpstreamTlsContext): server verification as
// Envoy does it, client certificates for mTLS, SNI / auto_sni, ALPN, session
// resumption, and cluster.<name>.ssl.* counters. The servers are skein's own
// downstream TLS sockets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { createPki, WEBAPP_SPIFFE, type LeafFiles, type Pki } from '../../helpers/pki.js';
import { cluster, eventually, file, makeDownstream, serveTls, type TlsServer } from './harness.js';
import { StatsStore } from '../../../src/proxy/stats/store.js';
import { certSha256 } from '../../../src/proxy/tls/cert_info.js';
import { createUpstreamTls, upstreamTlsOptions, type UpstreamTls } from '../../../src/proxy/tls/upstream.js';

interface Outcome {
  ok: boolean;
  error?: string;
  body?: string;
  serial?: string;
  alpn?: string | false;
  reused?: boolean;
}

function request(up: UpstreamTls, port: number, host?: string): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...up.connectOptions(host) });
    up.attach(socket, host);
    const out: Outcome = { ok: false };
    let data = '';
    socket.on('secureConnect', () => {
      out.serial = socket.getPeerX509Certificate()?.serialNumber.toLowerCase();
      out.alpn = socket.alpnProtocol ?? false;
      out.reused = socket.isSessionReused();
      socket.write('GET / HTTP/1.1\r\n\r\n');
    });
    socket.on('data', (d) => (data += d));
    socket.on('error', (e: NodeJS.ErrnoException) => (out.error ??= e.code ?? e.message));
    socket.on('close', () => {
      const at = data.indexOf('\r\n\r\n');
      if (at >= 0) Object.assign(out, { ok: true, body: data.slice(at + 4) });
      resolve(out);
    });
  });
}

describe('upstream TLS (UpstreamTlsContext)', () => {
  let pki: Pki;
  let server: TlsServer;
  let closeServer: () => void;
  const store = new StatsStore();
  let n = 0;
  const stat = (c: string, name: string) => store.counters.get(`cluster.${c}.ssl.${name}`)?.value ?? 0;

  before(async () => {
    pki = createPki();
    const d = makeDownstream({
      common_tls_context: {
        alpn_protocols: ['h2', 'http/1.1'],
        tls_certificates: [
          { certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) },
          { certificate_chain: file(pki.catalog.chain), private_key: file(pki.catalog.key) },
        ],
        validation_context: { trusted_ca: file(pki.root.cert) },
      },
    });
    server = await serveTls(d.factory);
    closeServer = () => d.factory.close();
  });
  after(async () => {
    await server.close();
    closeServer();
    pki.cleanup();
  });

  /** A cluster named c<N> with the given UpstreamTlsContext. */
  function upstream(context: object, extra: object = {}): { up: UpstreamTls; name: string } {
    const name = `c${n++}`;
    const c = cluster({
      name,
      transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', ...context } },
      ...extra,
    });
    const up = createUpstreamTls(c, `static_resources.clusters[0]`, { stats: store.scope(`cluster.${name}.`) })!;
    return { up, name };
  }

  it('verifies the server against the trusted CA and a SAN matcher, and presents a client certificate', async () => {
    const { up, name } = upstream({
      sni: 'webapp.istioinaction.io',
      common_tls_context: {
        tls_certificates: [{ certificate_chain: file(pki.client.chain), private_key: file(pki.client.key) }],
        validation_context: { trusted_ca: file(pki.root.cert), match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'webapp.istioinaction.io' } }] },
      },
    });
    const res = await request(up, server.port);
    assert.equal(res.ok, true, res.error);
    assert.equal(res.serial, pki.webapp.serial);
    const facts = JSON.parse(res.body!);
    assert.equal(facts.sni, 'webapp.istioinaction.io');
    assert.deepEqual(facts.peerUriSans, [WEBAPP_SPIFFE]);
    assert.equal(facts.version, 'TLSv1.2', "Envoy's client default maximum is TLS 1.2");
    assert.equal(stat(name, 'handshake'), 1);
    assert.equal(stat(name, 'curves.X25519'), 1);
    assert.equal(stat(name, 'versions.TLSv1.2'), 1);
    up.close();
  });

  it('fails the connection on a SAN mismatch (fail_verify_san) and an unknown CA (fail_verify_error)', async () => {
    const san = upstream({
      sni: 'webapp.istioinaction.io',
      common_tls_context: { validation_context: { trusted_ca: file(pki.root.cert), match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'catalog.istioinaction.io' } }] } },
    });
    const bySan = await request(san.up, server.port);
    assert.equal(bySan.ok, false);
    assert.equal(stat(san.name, 'fail_verify_san'), 1);
    assert.equal(stat(san.name, 'connection_error'), 0);
    assert.equal(stat(san.name, 'handshake'), 0);
    const ca = upstream({ common_tls_context: { validation_context: { trusted_ca: file(pki.other.cert) } } });
    const byCa = await request(ca.up, server.port);
    assert.equal(byCa.ok, false);
    assert.equal(stat(ca.name, 'fail_verify_error'), 1);
    assert.equal(stat(ca.name, 'connection_error'), 0);
  });

  it('does not verify the server without a validation context, and never checks the hostname unasked', async () => {
    const { up } = upstream({ sni: 'not-the-cert-name.example' });
    assert.equal((await request(up, server.port)).ok, true);
    const withCa = upstream({ sni: 'not-the-cert-name.example', common_tls_context: { validation_context: { trusted_ca: file(pki.root.cert) } } });
    assert.equal((await request(withCa.up, server.port)).ok, true);
  });

  it('auto_sni sends the request host as SNI; auto_san_validation checks the certificate against it', async () => {
    const protocolOptions = (auto_san_validation: boolean) => ({
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          upstream_http_protocol_options: { auto_sni: true, auto_san_validation },
          explicit_http_config: { http_protocol_options: {} },
        },
      },
    });
    const { up } = upstream({ sni: 'webapp.istioinaction.io', common_tls_context: { validation_context: { trusted_ca: file(pki.root.cert) } } }, protocolOptions(true));
    assert.equal(up.autoSni, true);
    const catalog = await request(up, server.port, 'catalog.istioinaction.io');
    assert.equal(catalog.serial, pki.catalog.serial);
    assert.equal(JSON.parse(catalog.body!).sni, 'catalog.istioinaction.io');
    // The server has no certificate for this name and answers with its first one: rejected.
    const unknown = await request(up, server.port, 'ratings.istioinaction.io');
    assert.equal(unknown.ok, false);
    const noValidation = upstream({ common_tls_context: { validation_context: { trusted_ca: file(pki.root.cert) } } }, protocolOptions(false));
    assert.equal((await request(noValidation.up, server.port, 'ratings.istioinaction.io')).ok, true);
  });

  it('pins the server certificate without a trusted CA (checked after the handshake)', async () => {
    const hash = certSha256(new X509Certificate(pki.read(pki.webapp.cert)));
    const good = upstream({ sni: 'webapp.istioinaction.io', common_tls_context: { validation_context: { verify_certificate_hash: [hash] } } });
    assert.equal((await request(good.up, server.port)).ok, true);
    const bad = upstream({ sni: 'webapp.istioinaction.io', common_tls_context: { validation_context: { verify_certificate_hash: ['ab'.repeat(32)] } } });
    assert.equal((await request(bad.up, server.port)).ok, false);
    assert.equal(stat(bad.name, 'fail_verify_cert_hash'), 1);
    assert.equal(stat(bad.name, 'handshake'), 0);
  });

  it('offers ALPN and resumes the previous session', async () => {
    const { up, name } = upstream({ sni: 'webapp.istioinaction.io', common_tls_context: { alpn_protocols: ['h2'] } });
    const first = await request(up, server.port);
    assert.equal(first.alpn, 'h2');
    const second = await request(up, server.port);
    assert.equal(second.reused, true, second.error);
    assert.equal(stat(name, 'session_reused'), 1);
  });

  it('liveOptions() picks up a rotated client certificate on the next connection', async () => {
    const dir = fs.mkdtempSync(path.join(pki.dir, 'client-'));
    const install = (leaf: LeafFiles) => {
      fs.writeFileSync(path.join(dir, 'cert.pem'), pki.read(leaf.chain));
      fs.writeFileSync(path.join(dir, 'key.pem'), pki.read(leaf.key));
    };
    install(pki.client);
    const { up } = upstream({
      sni: 'webapp.istioinaction.io',
      common_tls_context: { tls_certificates: [{ certificate_chain: file(path.join(dir, 'cert.pem')), private_key: file(path.join(dir, 'key.pem')) }] },
    });
    const options = up.liveOptions();
    const identity = () =>
      new Promise<string[]>((resolve) => {
        let data = '';
        const s = tls.connect({ ...options, host: '127.0.0.1', port: server.port }, () => s.write('GET / HTTP/1.1\r\n\r\n'));
        s.on('data', (d) => (data += d));
        s.on('error', () => undefined);
        s.on('close', () => resolve(JSON.parse(data.slice(data.indexOf('\r\n\r\n') + 4) || '{}').peerUriSans ?? []));
      });
    try {
      assert.deepEqual(await identity(), [WEBAPP_SPIFFE]);
      const next = pki.issue('client-rotated', { uris: ['spiffe://cluster.local/ns/istioinaction/sa/webapp-v2'], client: true });
      install(next);
      await eventually(async () => ((await identity())[0]?.endsWith('webapp-v2') ? true : undefined), 'the rotated client certificate');
    } finally {
      up.close();
    }
  });

  it('is plaintext for raw_buffer, and rejects what it cannot originate', () => {
    assert.equal(createUpstreamTls(cluster({ name: 'p' }), 'c'), undefined);
    const raw = cluster({ name: 'r', transport_socket: { name: 'raw', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer' } } });
    assert.equal(upstreamTlsOptions(raw, 'c'), undefined);
    assert.throws(
      () =>
        upstream({
          common_tls_context: {
            tls_certificates: [
              { certificate_chain: file(pki.client.chain), private_key: file(pki.client.key) },
              { certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) },
            ],
          },
        }),
      /static_resources\.clusters\[0\]\.transport_socket\.typed_config\.common_tls_context: Multiple TLS certificates are not supported for client contexts/,
    );
  });
});
