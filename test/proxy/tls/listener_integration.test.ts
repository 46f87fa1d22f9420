// A whole proxy with a TLS listener in front of the HTTP connection manager: curl
// with a client certificate gets through to httpbin, one without is refused, and
// the listener's ssl.* counters show in /stats.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { createPki, type Pki } from '../../helpers/pki.js';
import { routeAllTo, startProxy, staticCluster, indent, type RunningProxy } from '../../helpers/proxy.js';
import { startHttpbin } from '../../../src/testing/httpbin/index.js';
import '../../../src/proxy/tls/register.js';

const run = promisify(execFile);

describe('TLS listener in a running proxy', () => {
  let pki: Pki;
  let httpbin: Awaited<ReturnType<typeof startHttpbin>>;
  let proxy: RunningProxy;

  before(async () => {
    pki = createPki();
    httpbin = await startHttpbin({ port: 0, host: '127.0.0.1' });
    proxy = await startProxy(`
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
static_resources:
  listeners:
  - name: https
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - transport_socket:
        name: envoy.transport_sockets.tls
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext
          require_client_certificate: true
          common_tls_context:
            alpn_protocols: [http/1.1]
            tls_certificates:
            - certificate_chain: { filename: ${pki.webapp.chain} }
              private_key: { filename: ${pki.webapp.key} }
            validation_context:
              trusted_ca: { filename: ${pki.root.cert} }
              match_typed_subject_alt_names:
              - san_type: URI
                matcher: { exact: spiffe://cluster.local/ns/istioinaction/sa/webapp }
      filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_https
          http_filters: [{ name: envoy.filters.http.router }]
          route_config:
${indent(routeAllTo('httpbin'), 12)}
  clusters:
${indent(staticCluster('httpbin', [httpbin.port]), 2)}
`);
  });
  after(async () => {
    await proxy.stop();
    await httpbin.close();
    pki.cleanup();
  });

  const curl = (port: number, ...extra: string[]) =>
    run('curl', ['-sS', '--cacert', pki.root.cert, '--resolve', `webapp.istioinaction.io:${port}:127.0.0.1`, ...extra, `https://webapp.istioinaction.io:${port}/headers`]);

  it('proxies HTTPS from a client with the right certificate', async () => {
    const port = proxy.port('https');
    const { stdout } = await curl(port, '--cert', pki.client.chain, '--key', pki.client.key);
    const headers = JSON.parse(stdout).headers as Record<string, string[]>;
    assert.deepEqual(headers['X-Forwarded-Proto'], ['https']);
    await assert.rejects(curl(port), /curl/);
    await assert.rejects(curl(port, '--cert', pki.otherClient.chain, '--key', pki.otherClient.key), /curl/);
    const stats = await (await fetch(`${proxy.adminUrl}/stats?filter=ssl`)).text();
    // The listener's stat prefix comes from its configured address (port 0 here).
    for (const line of ['handshake: 1', 'fail_verify_no_cert: 1', 'fail_verify_error: 1', 'versions.TLSv1.3: 1']) {
      assert.ok(stats.includes(`listener.127.0.0.1_0.ssl.${line}\n`), `${line} in\n${stats}`);
    }
  });
});
