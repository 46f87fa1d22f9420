// Client certificates on listeners: require_client_certificate, the trusted CA,
// SAN matchers (SPIFFE IDs), certificate and SPKI pins, and their ssl.* counters.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createPki, WEBAPP_SPIFFE, type LeafFiles, type Pki } from '../../helpers/pki.js';
import { connectTls, file, makeDownstream, serveTls, type ClientResult, type Downstream } from './harness.js';
import { certSha256, spkiSha256 } from '../../../src/proxy/tls/cert_info.js';

describe('downstream TLS client authentication', () => {
  let pki: Pki;
  before(() => (pki = createPki()));
  after(() => pki.cleanup());

  const serverCert = () => [{ certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) }];

  /** Serves `context`, runs one connection per client, and returns the results. */
  async function run(context: object, clients: Array<'none' | 'client' | 'other' | LeafFiles>): Promise<{ d: Downstream; results: ClientResult[]; refused: string[] }> {
    const d = makeDownstream(context);
    const server = await serveTls(d.factory);
    try {
      const results: ClientResult[] = [];
      for (const c of clients) {
        const creds =
          c === 'none' ? {} : c === 'client' ? { cert: pki.read(pki.client.chain), key: pki.read(pki.client.key) } : c === 'other' ? { cert: pki.read(pki.otherClient.chain), key: pki.read(pki.otherClient.key) } : { cert: pki.read(c.chain), key: pki.read(c.key) };
        results.push(await connectTls(server.port, { ca: pki.read(pki.root.cert), servername: 'webapp.istioinaction.io', ...creds }));
      }
      return { d, results, refused: server.refused };
    } finally {
      await server.close();
      d.factory.close();
    }
  }

  it('require_client_certificate refuses a client without a certificate and one from another CA', async () => {
    const { d, results } = await run(
      { require_client_certificate: true, common_tls_context: { tls_certificates: serverCert(), validation_context: { trusted_ca: file(pki.root.cert) } } },
      ['none', 'other', 'client'],
    );
    const [none, other, good] = results;
    assert.equal(none!.ok, false);
    assert.equal(none!.error, 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    assert.equal(other!.ok, false);
    assert.equal(good!.ok, true, good!.error);
    const facts = JSON.parse(good!.body!);
    assert.equal(facts.peerCertificatePresented, true);
    assert.deepEqual(facts.peerUriSans, [WEBAPP_SPIFFE]);
    assert.deepEqual(facts.peerDnsSans, []);
    assert.equal(facts.peerSubject, 'CN=client,O=skein test');
    assert.deepEqual(facts.localUriSans, []);
    assert.equal(d.counter('fail_verify_no_cert'), 1);
    assert.equal(d.counter('fail_verify_error'), 1);
    assert.equal(d.counter('connection_error'), 0);
    assert.equal(d.counter('handshake'), 1);
    assert.equal(d.counter('no_certificate'), 0);
  });

  it('with a trusted CA but no requirement, asks for a certificate and accepts clients without one', async () => {
    const { d, results } = await run(
      { common_tls_context: { tls_certificates: serverCert(), validation_context: { trusted_ca: file(pki.root.cert) } } },
      ['none', 'client', 'other'],
    );
    assert.deepEqual(results.map((r) => r.ok), [true, true, false]);
    assert.equal(JSON.parse(results[0]!.body!).peerCertificatePresented, false);
    assert.equal(d.counter('no_certificate'), 1);
    assert.equal(d.counter('fail_verify_error'), 1);
  });

  it('matches typed SANs: the exact SPIFFE ID passes, another identity fails', async () => {
    const ratings = pki.issue('ratings-client', { uris: ['spiffe://cluster.local/ns/istioinaction/sa/ratings'], client: true });
    const { d, results, refused } = await run(
      {
        require_client_certificate: true,
        common_tls_context: {
          tls_certificates: serverCert(),
          validation_context: {
            trusted_ca: file(pki.root.cert),
            match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { exact: WEBAPP_SPIFFE } }],
          },
        },
      },
      ['client', ratings],
    );
    assert.deepEqual(results.map((r) => r.ok), [true, false]);
    assert.equal(d.counter('fail_verify_san'), 1);
    assert.deepEqual(refused, ['client certificate rejected: subject alt name mismatch']);
    assert.equal(d.counter('handshake'), 1);
  });

  it('matches SANs by type: a URI matcher does not match a DNS SAN; prefix and deprecated matchers work', async () => {
    const dnsClient = pki.issue('dns-client', { dns: ['spiffe.example'], client: true });
    const typedOnUri = await run(
      {
        common_tls_context: {
          tls_certificates: serverCert(),
          validation_context: { trusted_ca: file(pki.root.cert), match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe' } }] },
        },
      },
      ['client', dnsClient],
    );
    assert.deepEqual(typedOnUri.results.map((r) => r.ok), [true, false]);
    const deprecated = await run(
      {
        common_tls_context: {
          tls_certificates: serverCert(),
          validation_context: { trusted_ca: file(pki.root.cert), match_subject_alt_names: [{ prefix: 'spiffe' }] },
        },
      },
      ['client', dnsClient],
    );
    assert.deepEqual(deprecated.results.map((r) => r.ok), [true, true]);
  });

  it('pins certificates by SHA-256 hash (colons allowed) or SPKI', async () => {
    const clientCert = new X509Certificate(pki.read(pki.client.cert));
    const hash = certSha256(clientCert).toUpperCase().match(/../g)!.join(':');
    const byHash = await run(
      { common_tls_context: { tls_certificates: serverCert(), validation_context: { trusted_ca: file(pki.root.cert), verify_certificate_hash: [hash] } } },
      ['client', pki.webapp],
    );
    assert.deepEqual(byHash.results.map((r) => r.ok), [true, false]);
    assert.equal(byHash.d.counter('fail_verify_cert_hash'), 1);

    // Either list passing is enough; without a trusted CA the chain is not checked, only the pins.
    const bySpki = await run(
      {
        common_tls_context: {
          tls_certificates: serverCert(),
          validation_context: { verify_certificate_spki: [spkiSha256(clientCert)], verify_certificate_hash: ['00'.repeat(32)] },
        },
      },
      ['client', 'other', 'none'],
    );
    assert.deepEqual(bySpki.results.map((r) => r.ok), [true, false, true]);
    assert.equal(bySpki.d.counter('fail_verify_cert_hash'), 1);
    assert.equal(bySpki.d.counter('fail_verify_error'), 0);
  });

  it('trust_chain_verification ACCEPT_UNTRUSTED counts the failure and lets the client in', async () => {
    const { d, results } = await run(
      {
        common_tls_context: {
          tls_certificates: serverCert(),
          validation_context: { trusted_ca: file(pki.root.cert), trust_chain_verification: 'ACCEPT_UNTRUSTED' },
        },
      },
      ['other'],
    );
    assert.equal(results[0]!.ok, true);
    assert.equal(d.counter('fail_verify_error'), 1);
  });

  it('refuses a revoked client certificate listed in the CRL', async () => {
    const revoked = pki.issue('revoked-client', { uris: [WEBAPP_SPIFFE], client: true });
    const crl = pki.crl([revoked]);
    const { d, results, refused } = await run(
      { common_tls_context: { tls_certificates: serverCert(), validation_context: { trusted_ca: file(pki.root.cert), crl: file(crl) } } },
      ['client', revoked],
    );
    assert.deepEqual(results.map((r) => r.ok), [true, false], JSON.stringify(refused));
    assert.deepEqual(refused, ['client certificate rejected: CERT_REVOKED']);
    assert.equal(d.counter('fail_verify_error'), 1);
  });

  it('rejects bad validation config with the field path', () => {
    const ctx = (validation_context: object) => ({ common_tls_context: { tls_certificates: serverCert(), validation_context } });
    assert.throws(() => makeDownstream(ctx({ verify_certificate_hash: ['abc'] })), /verify_certificate_hash\[0\]: value length must be at least 64 characters/);
    assert.throws(() => makeDownstream(ctx({ verify_certificate_hash: ['zz'.repeat(32)] })), /validation_context\.verify_certificate_hash\[0\]: Invalid hex-encoded SHA-256 z+/);
    assert.throws(() => makeDownstream(ctx({ verify_certificate_spki: ['!'.repeat(44)] })), /verify_certificate_spki\[0\]: Invalid base64-encoded SHA-256/);
    assert.throws(
      () => makeDownstream(ctx({ match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: 'x' } }] })),
      /SAN-based verification of peer certificates without trusted CA is insecure and not allowed/,
    );
    const spiffeValidator = {
      name: 'envoy.tls.cert_validator.spiffe',
      typed_config: { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.SPIFFECertValidatorConfig', trust_domains: [{ name: 'cluster.local', trust_bundle: file(pki.root.cert) }] },
    };
    assert.throws(() => makeDownstream(ctx({ custom_validator_config: spiffeValidator })), /validation_context\.custom_validator_config: custom_validator_config is not supported by skein/);
  });
});
