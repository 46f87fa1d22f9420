// TlsParameters: protocol versions, Envoy/BoringSSL cipher names, curves, defaults.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPki, type Pki } from '../../helpers/pki.js';
import { connectTls, file, makeDownstream, serveTls } from './harness.js';
import { protocolOptions, translateCipherList } from '../../../src/proxy/tls/tls_params.js';

describe('TLS parameters', () => {
  let pki: Pki;
  before(() => (pki = createPki()));
  after(() => pki.cleanup());

  it("uses Envoy's defaults: TLS 1.2–1.3 for servers, TLS 1.2 only for clients", () => {
    const server = protocolOptions(undefined, 'p', false);
    assert.equal(server.minVersion, 'TLSv1.2');
    assert.equal(server.maxVersion, 'TLSv1.3');
    assert.equal(server.ecdhCurve, 'X25519:P-256');
    assert.equal(
      server.ciphers,
      'TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:' +
        'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305:' +
        'ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384',
    );
    const client = protocolOptions({ tls_minimum_protocol_version: 'TLS_AUTO' }, 'p', true);
    assert.equal(client.maxVersion, 'TLSv1.2');
    assert.equal(client.minVersion, 'TLSv1.2');
  });

  it('translates BoringSSL names and equal-preference groups to OpenSSL names', () => {
    assert.deepEqual(translateCipherList(['[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]', 'AEAD-AES128-GCM-SHA256', 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256']), [
      'ECDHE-ECDSA-AES128-GCM-SHA256',
      'ECDHE-ECDSA-CHACHA20-POLY1305',
      'TLS_AES_128_GCM_SHA256',
      'ECDHE-RSA-AES128-GCM-SHA256',
    ]);
  });

  it('rejects unknown ciphers, curves and an inverted version range, naming the field', () => {
    assert.throws(
      () => protocolOptions({ cipher_suites: ['ECDHE-RSA-AES128-GCM-SHA256', 'NOT-A-CIPHER'] }, 'common_tls_context.tls_params', false),
      /common_tls_context\.tls_params\.cipher_suites: Failed to initialize cipher suites ECDHE-RSA-AES128-GCM-SHA256:NOT-A-CIPHER\. The following ciphers were rejected when tried individually: NOT-A-CIPHER/,
    );
    assert.throws(() => protocolOptions({ ecdh_curves: ['P-999'] }, 'x', false), /x\.ecdh_curves: Failed to initialize ECDH curves P-999/);
    assert.throws(
      () => protocolOptions({ tls_minimum_protocol_version: 'TLSv1_3', tls_maximum_protocol_version: 'TLSv1_2' }, 'x', false),
      /x\.tls_minimum_protocol_version: minimum protocol version TLSv1\.3 is above the maximum TLSv1\.2/,
    );
  });

  it('limits the TLS 1.2 ciphers a listener accepts and counts the cipher and version used', async () => {
    const d = makeDownstream({
      common_tls_context: {
        tls_params: { tls_maximum_protocol_version: 'TLSv1_2', cipher_suites: ['ECDHE-ECDSA-AES256-GCM-SHA384'], ecdh_curves: ['P-256'] },
        tls_certificates: [{ certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) }],
      },
    });
    const server = await serveTls(d.factory);
    try {
      const ca = pki.read(pki.root.cert);
      const ok = await connectTls(server.port, { ca, servername: 'webapp.istioinaction.io' });
      assert.equal(ok.protocol, 'TLSv1.2');
      assert.equal(JSON.parse(ok.body!).cipher, 'ECDHE-ECDSA-AES256-GCM-SHA384');
      assert.equal(d.store.counters.get('listener.test.ssl.ciphers.ECDHE-ECDSA-AES256-GCM-SHA384')?.value, 1);
      assert.equal(d.store.counters.get('listener.test.ssl.versions.TLSv1.2')?.value, 1);
      const refused = await connectTls(server.port, { ca, servername: 'webapp.istioinaction.io', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
      assert.equal(refused.ok, false);
      assert.equal(d.counter('connection_error'), 1);
    } finally {
      await server.close();
      d.factory.close();
    }
  });
});
