// TLS termination on accepted sockets: certificates, SNI selection, ALPN, the
// connection facts the filters see, and the ssl.* counters.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createPki, type Pki } from '../../helpers/pki.js';
import { connectTls, file, inline, makeDownstream, serveTls } from './harness.js';
import { transportSocketRegistry } from '../../../src/proxy/listener/transport_socket.js';
import '../../../src/proxy/tls/register.js';

describe('downstream TLS (envoy.transport_sockets.tls)', () => {
  let pki: Pki;
  before(() => (pki = createPki()));
  after(() => pki.cleanup());

  it('terminates TLS with a certificate from files and reports the facts', async () => {
    const d = makeDownstream({
      common_tls_context: { tls_certificates: [{ certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) }] },
    });
    const server = await serveTls(d.factory);
    try {
      const res = await connectTls(server.port, { ca: pki.read(pki.root.cert), servername: 'webapp.istioinaction.io' });
      assert.equal(res.ok, true, res.error);
      assert.equal(res.serverSerial, pki.webapp.serial);
      assert.equal(res.protocol, 'TLSv1.3');
      const facts = JSON.parse(res.body!);
      assert.equal(facts.sni, 'webapp.istioinaction.io');
      assert.equal(facts.version, 'TLSv1.3');
      assert.equal(facts.cipher, 'TLS_AES_128_GCM_SHA256');
      assert.equal(facts.peerCertificatePresented, false);
      assert.equal(d.counter('handshake'), 1);
      assert.equal(d.counter('no_certificate'), 1);
      assert.equal(d.store.counters.get('listener.test.ssl.versions.TLSv1.3')?.value, 1);
      assert.equal(d.store.counters.get('listener.test.ssl.ciphers.TLS_AES_128_GCM_SHA256')?.value, 1);
      for (const name of ['connection_error', 'fail_verify_error', 'fail_verify_san', 'fail_verify_cert_hash', 'fail_verify_no_cert', 'session_reused']) {
        assert.ok(d.store.counters.has(`listener.test.ssl.${name}`), `${name} is declared`);
      }
    } finally {
      await server.close();
      d.factory.close();
    }
  });

  it('picks the certificate whose SAN matches the SNI, else the first', async () => {
    const d = makeDownstream({
      common_tls_context: {
        tls_certificates: [
          { certificate_chain: inline(pki.webapp.chain), private_key: inline(pki.webapp.key) },
          { certificate_chain: file(pki.catalog.chain), private_key: file(pki.catalog.key) },
        ],
      },
    });
    const server = await serveTls(d.factory);
    try {
      const ca = pki.read(pki.root.cert);
      const catalog = await connectTls(server.port, { ca, servername: 'catalog.istioinaction.io' });
      assert.equal(catalog.serverSerial, pki.catalog.serial);
      const webapp = await connectTls(server.port, { ca, servername: 'webapp.istioinaction.io' });
      assert.equal(webapp.serverSerial, pki.webapp.serial);
      const other = await connectTls(server.port, { ca, servername: 'unknown.example.com', rejectUnauthorized: false });
      assert.equal(other.serverSerial, pki.webapp.serial);
      const none = await connectTls(server.port, { ca, rejectUnauthorized: false });
      assert.equal(none.serverSerial, pki.webapp.serial);
    } finally {
      await server.close();
      d.factory.close();
    }
  });

  it('matches wildcard SANs and holds an RSA and an ECDSA certificate for one name', async () => {
    const wild = pki.issue('wild', { dns: ['*.istioinaction.io'] });
    const rsa = pki.issue('rsa-webapp', { dns: ['webapp.istioinaction.io'], keyType: 'rsa' });
    const d = makeDownstream({
      common_tls_context: {
        tls_certificates: [
          { certificate_chain: file(rsa.chain), private_key: file(rsa.key) },
          { certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) },
          { certificate_chain: file(wild.chain), private_key: file(wild.key) },
        ],
      },
    });
    const server = await serveTls(d.factory);
    try {
      const ca = pki.read(pki.root.cert);
      const viaWildcard = await connectTls(server.port, { ca, servername: 'ratings.istioinaction.io' });
      assert.equal(viaWildcard.serverSerial, wild.serial);
      // An RSA-only client gets the RSA certificate; an ECDSA-only one the EC certificate.
      const rsaOnly = await connectTls(server.port, { ca, servername: 'webapp.istioinaction.io', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' });
      assert.equal(rsaOnly.serverSerial, rsa.serial);
      const ecOnly = await connectTls(server.port, { ca, servername: 'webapp.istioinaction.io', maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      assert.equal(ecOnly.serverSerial, pki.webapp.serial);
    } finally {
      await server.close();
      d.factory.close();
    }
  });

  it('negotiates ALPN in the server preference order', async () => {
    const d = makeDownstream({
      common_tls_context: {
        alpn_protocols: ['h2', 'http/1.1'],
        tls_certificates: [{ certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) }],
      },
    });
    const server = await serveTls(d.factory);
    try {
      const ca = pki.read(pki.root.cert);
      const servername = 'webapp.istioinaction.io';
      const both = await connectTls(server.port, { ca, servername, ALPNProtocols: ['http/1.1', 'h2'] });
      assert.equal(both.alpn, 'h2');
      assert.equal(JSON.parse(both.body!).alpn, 'h2');
      const h1 = await connectTls(server.port, { ca, servername, ALPNProtocols: ['http/1.1'] });
      assert.equal(h1.alpn, 'http/1.1');
      const none = await connectTls(server.port, { ca, servername });
      assert.equal(none.alpn, false);
      assert.equal(JSON.parse(none.body!).alpn, undefined);
    } finally {
      await server.close();
      d.factory.close();
    }
  });

  it('counts a failed handshake as connection_error and closes', async () => {
    const d = makeDownstream({
      common_tls_context: {
        tls_params: { tls_minimum_protocol_version: 'TLSv1_3' },
        tls_certificates: [{ certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) }],
      },
    });
    const server = await serveTls(d.factory);
    try {
      const old = await connectTls(server.port, { ca: pki.read(pki.root.cert), servername: 'webapp.istioinaction.io', maxVersion: 'TLSv1.2' });
      assert.equal(old.ok, false);
      assert.match(old.error ?? '', /PROTOCOL_VERSION|UNSUPPORTED_PROTOCOL/);
      assert.equal(d.counter('connection_error'), 1);
      assert.equal(d.counter('handshake'), 0);
      const current = await connectTls(server.port, { ca: pki.read(pki.root.cert), servername: 'webapp.istioinaction.io' });
      assert.equal(current.ok, true);
    } finally {
      await server.close();
      d.factory.close();
    }
  });

  it('resumes sessions with tickets unless stateless resumption is disabled', async () => {
    for (const disabled of [false, true]) {
      const d = makeDownstream({
        disable_stateless_session_resumption: disabled,
        common_tls_context: {
          tls_params: { tls_maximum_protocol_version: 'TLSv1_2' },
          tls_certificates: [{ certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) }],
        },
      });
      const server = await serveTls(d.factory);
      try {
        const options = { ca: pki.read(pki.root.cert), servername: 'webapp.istioinaction.io' };
        const first = await connectTls(server.port, options);
        const second = await connectTls(server.port, { ...options, session: first.session });
        assert.equal(second.sessionReused, !disabled);
        assert.equal(d.counter('session_reused'), disabled ? 0 : 1);
      } finally {
        await server.close();
        d.factory.close();
      }
    }
  });

  it('answers curl over HTTPS', async () => {
    const d = makeDownstream({
      common_tls_context: { tls_certificates: [{ certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) }] },
    });
    const server = await serveTls(d.factory);
    try {
      const { stdout } = await promisify(execFile)('curl', [
        '-sS', '--http1.1', '--cacert', pki.root.cert,
        '--resolve', `webapp.istioinaction.io:${server.port}:127.0.0.1`,
        `https://webapp.istioinaction.io:${server.port}/`,
      ]);
      assert.equal(JSON.parse(stdout).sni, 'webapp.istioinaction.io');
      assert.equal(JSON.parse(stdout).alpn, undefined);
    } finally {
      await server.close();
      d.factory.close();
    }
  });

  it('names the file, never the key, when a certificate or key cannot be loaded', () => {
    const fakeKey = '-----BEGIN PRIVATE KEY-----\nU0VDUkVUS0VZTUFURVJJQUw=\n-----END PRIVATE KEY-----\n';
    const load = (tc: object) => () => makeDownstream({ common_tls_context: { tls_certificates: [tc] } });
    const noLeak = (pattern: RegExp) => (err: Error) => pattern.test(err.message) && !err.message.includes('U0VDUkVU') && !err.message.includes('BEGIN');
    assert.throws(
      load({ certificate_chain: file(pki.webapp.chain), private_key: { inline_string: fakeKey } }),
      noLeak(/tls_certificates\[0\]\.private_key: Failed to load private key from <inline>: /),
    );
    assert.throws(
      load({ certificate_chain: file(pki.webapp.chain), private_key: file(pki.catalog.key) }),
      noLeak(new RegExp(`private_key: Failed to load private key from ${pki.catalog.key}: .*key values mismatch`)),
    );
    assert.throws(
      load({ certificate_chain: { inline_string: 'not a certificate' }, private_key: file(pki.webapp.key) }),
      /tls_certificates\[0\]\.certificate_chain: Failed to load certificate chain from <inline>: no certificate found in PEM data/,
    );
    assert.throws(load({ certificate_chain: file('/nonexistent/cert.pem'), private_key: file(pki.webapp.key) }), /certificate_chain\.filename: cannot read \/nonexistent\/cert\.pem: ENOENT/);
  });

  it('is registered for DownstreamTlsContext and rejects a context without certificates', () => {
    const found = transportSocketRegistry.findByTypeUrl('type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext');
    assert.ok(found);
    assert.deepEqual(found.names[0], 'envoy.transport_sockets.tls');
    assert.throws(() => makeDownstream({ common_tls_context: {} }), /No TLS certificates found for server context/);
  });
});
