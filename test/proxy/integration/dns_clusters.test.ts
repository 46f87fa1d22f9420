// STRICT_DNS and LOGICAL_DNS clusters resolve through the system resolver
// (/etc/hosts), feed auto_host_rewrite, and survive names that do not resolve.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bootstrapYaml, routeAllTo, startProxy } from '../../helpers/proxy.js';
import { startEcho } from '../../../src/testing/echo/index.js';

const ROUTES = routeAllTo('dns', 'auto_host_rewrite: true');

function dnsCluster(type: string, address: string, port: number, extra = ''): string {
  return `- name: dns
  connect_timeout: 1s
  type: ${type}
  dns_lookup_family: V4_ONLY
  dns_refresh_rate: 0.1s
${extra}
  load_assignment:
    cluster_name: dns
    endpoints:
    - lb_endpoints:
      - endpoint: { address: { socket_address: { address: ${address}, port_value: ${port} } } }`;
}

describe('DNS clusters', () => {
  let echo: Awaited<ReturnType<typeof startEcho>>;
  before(async () => {
    echo = await startEcho({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await echo.close();
  });

  for (const type of ['STRICT_DNS', 'LOGICAL_DNS']) {
    it(`${type}: "localhost" resolves; auto_host_rewrite sends Host: localhost; /clusters names the host`, async () => {
      const proxy = await startProxy(bootstrapYaml({ routeConfig: ROUTES, clusters: dnsCluster(type, 'localhost', echo.port) }));
      try {
        const res = await fetch(proxy.url('main', '/hello'));
        assert.equal(res.status, 200);
        const body = (await res.json()) as { host: string };
        assert.equal(body.host, 'localhost');
        const clusters = await (await fetch(`${proxy.adminUrl}/clusters`)).text();
        assert.match(clusters, new RegExp(`^dns::127\\.0\\.0\\.1:${echo.port}::hostname::localhost$`, 'm'));
        const stats = await (await fetch(`${proxy.adminUrl}/stats?filter=^cluster\\.dns\\.(update_success|membership_total)$`)).text();
        assert.match(stats, /^cluster\.dns\.membership_total: 1$/m);
        assert.match(stats, /^cluster\.dns\.update_success: [1-9]\d*$/m);
      } finally {
        await proxy.stop();
      }
    });
  }

  it('a name that does not resolve: 503 "no healthy upstream", failures counted, proxy keeps running', async () => {
    const proxy = await startProxy(bootstrapYaml({ routeConfig: ROUTES, clusters: dnsCluster('STRICT_DNS', 'no-such-host.invalid', 80) }));
    try {
      const res = await fetch(proxy.url('main', '/'));
      assert.equal(res.status, 503);
      assert.equal(await res.text(), 'no healthy upstream');
      const stats = await (await fetch(`${proxy.adminUrl}/stats?filter=^cluster\\.dns\\.update_failure$`)).text();
      assert.match(stats, /^cluster\.dns\.update_failure: [1-9]\d*$/m);
      assert.equal((await fetch(`${proxy.adminUrl}/ready`)).status, 200);
    } finally {
      await proxy.stop();
    }
  });

  it('endpoint.hostname overrides the name used by auto_host_rewrite (the ch3 examples rely on it)', async () => {
    const cluster = dnsCluster('LOGICAL_DNS', '127.0.0.1', echo.port).replace('- endpoint: {', '- endpoint: { hostname: httpbin,');
    const proxy = await startProxy(bootstrapYaml({ routeConfig: ROUTES, clusters: cluster }));
    try {
      const body = (await (await fetch(proxy.url('main', '/'))).json()) as { host: string };
      assert.equal(body.host, 'httpbin');
    } finally {
      await proxy.stop();
    }
  });
});
