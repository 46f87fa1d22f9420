// admin /certs data (Envoy's envoy.admin.v3.Certificates in proto3 JSON), and the
// SecretManager feeds other than files: static secrets and xDS-style updates.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { createPki, WEBAPP_SPIFFE, type Pki } from '../../helpers/pki.js';
import { cluster, connectTls, file, inline, makeDownstream, serveTls } from './harness.js';
import { certsReport } from '../../../src/proxy/tls/certs_report.js';
import { certificateDetails, subjectAltNames } from '../../../src/proxy/tls/cert_info.js';
import { SecretManager } from '../../../src/proxy/tls/secret_manager.js';
import { createUpstreamTls } from '../../../src/proxy/tls/upstream.js';

describe('/certs and secrets', () => {
  let pki: Pki;
  before(() => (pki = createPki()));
  after(() => pki.cleanup());

  it('lists the CA and certificate chain of every live TLS context in Envoy format', () => {
    const before = certsReport().certificates.length;
    const d = makeDownstream({
      common_tls_context: {
        tls_certificates: [
          { certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) },
          { certificate_chain: inline(pki.catalog.chain), private_key: inline(pki.catalog.key) },
        ],
        validation_context: { trusted_ca: file(pki.root.cert) },
      },
    });
    const up = createUpstreamTls(
      cluster({
        name: 'catalog',
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
            common_tls_context: { tls_certificates: [{ certificate_chain: file(pki.client.chain), private_key: file(pki.client.key) }] },
          },
        },
      }),
      'clusters[0]',
    )!;
    try {
      const report = certsReport(Date.parse('2020-01-01T00:00:00Z'));
      const ours = report.certificates.slice(before);
      assert.equal(ours.length, 2);
      const [listener, upstream] = ours;
      assert.deepEqual(listener!.ca_cert.map((c) => c.path), [pki.root.cert]);
      assert.deepEqual(listener!.cert_chain.map((c) => [c.path, c.serial_number]), [
        [pki.webapp.chain, pki.webapp.serial],
        ['<inline>', pki.catalog.serial],
      ]);
      assert.deepEqual(listener!.cert_chain[0]!.subject_alt_names, [{ dns: 'webapp.istioinaction.io' }]);
      assert.deepEqual(upstream!.ca_cert, []);
      assert.deepEqual(upstream!.cert_chain[0]!.subject_alt_names, [{ uri: WEBAPP_SPIFFE }]);
      const details = listener!.cert_chain[0]!;
      assert.match(details.valid_from, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.match(details.expiration_time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert.match(details.days_until_expiration, /^\d+$/);
      assert.deepEqual(Object.keys(details), ['path', 'serial_number', 'subject_alt_names', 'days_until_expiration', 'valid_from', 'expiration_time']);
    } finally {
      d.factory.close();
      up.close();
    }
    assert.equal(certsReport().certificates.length, before, 'closed contexts leave the report');
  });

  it('prints days until expiration and times like Envoy', () => {
    const cert = new X509Certificate(pki.read(pki.webapp.cert));
    const expires = Date.parse(cert.validTo);
    const d = certificateDetails(cert, '/x', expires - 10.5 * 86_400_000);
    assert.equal(d.days_until_expiration, '10');
    assert.equal(d.expiration_time, new Date(expires).toISOString().replace('.000Z', 'Z'));
    assert.equal(certificateDetails(cert, '/x', expires + 86_400_000).days_until_expiration, '0');
  });

  it('reads every SAN type, compressing IPv6 as Envoy does', () => {
    const leaf = pki.issue('many-sans', { dns: ['a.example', 'b.example'], uris: ['spiffe://td/ns/x/sa/y'], ips: ['10.0.0.1', '::1'], emails: ['ops@example.com'] });
    assert.deepEqual(subjectAltNames(new X509Certificate(pki.read(leaf.cert))), {
      dns: ['a.example', 'b.example'],
      uri: ['spiffe://td/ns/x/sa/y'],
      ip: ['10.0.0.1', '::1'],
      email: ['ops@example.com'],
    });
  });

  it('serves static secrets and picks up xDS-style updates', async () => {
    const secrets = new SecretManager();
    secrets.addStatic([{ name: 'server', tls_certificate: { certificate_chain: file(pki.webapp.chain), private_key: file(pki.webapp.key) } }]);
    assert.throws(() => secrets.addStatic([{ name: 'server' }]), /Duplicate static TlsCertificate secret name server/);
    const d = makeDownstream(
      {
        common_tls_context: {
          tls_certificate_sds_secret_configs: [{ name: 'server' }],
          validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: { ads: {} } },
        },
      },
      secrets,
    );
    const server = await serveTls(d.factory);
    try {
      const options = { ca: pki.read(pki.root.cert), servername: 'webapp.istioinaction.io' };
      // The validation context has not arrived over ADS: the listener refuses connections.
      assert.equal((await connectTls(server.port, options)).ok, false);
      assert.equal(d.counter('connection_error'), 1);
      secrets.update('ROOTCA', { name: 'ROOTCA', validation_context: { trusted_ca: { inline_string: pki.read(pki.root.cert) } } }, 'ads', 'v1');
      const res = await connectTls(server.port, { ...options, cert: pki.read(pki.client.chain), key: pki.read(pki.client.key) });
      assert.equal(res.ok, true, res.error);
      assert.deepEqual(JSON.parse(res.body!).peerUriSans, [WEBAPP_SPIFFE]);
      assert.deepEqual(
        secrets.entries().map((e) => [e.name, e.source, e.versionInfo]),
        [
          ['server', 'static', undefined],
          ['ROOTCA', 'ads', 'v1'],
        ],
      );
    } finally {
      await server.close();
      d.factory.close();
    }
  });
});
