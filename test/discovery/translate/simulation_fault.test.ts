// VirtualService `fault` end to end: translation puts HTTPFault on the rule's route
// (typed_per_filter_config) and the fault filter in the chain before the router; the
// proxy compiles that per-route config; and a proxy running the generated route
// configuration and filter chain aborts what the VirtualService says to abort.
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { serviceViewAddress } from '../../../src/discovery/model/local_addresses.js';
import { FaultSettings } from '../../../src/proxy/filters/fault/fault_settings.js';
import '../../../src/proxy/extensions/builtin.js';
import { compileRdsRouteTable } from '../../../src/proxy/server/route_configs.js';
import { Runtime } from '../../../src/proxy/server/runtime.js';
import { HeaderMap } from '../../../src/proxy/http/header_map.js';
import { bootstrapYaml, startProxy, staticCluster, type RunningProxy } from '../../helpers/proxy.js';
import { loadCase, translate } from './harness.js';
import { Simulation } from './simulate.js';

const CATALOG = 'outbound|80||catalog.istioinaction.svc.cluster.local';
const FAULT = 'envoy.filters.http.fault';

describe('simulation: fault injection', () => {
  const c = loadCase('fault-injection');
  const resources = translate(c, 'webapp');
  const webapp = new Simulation(resources);
  const address = serviceViewAddress(1, c.push.serviceByHostname('catalog.istioinaction.svc.cluster.local')!.localIndex);
  const mesh = (path: string, headers: Record<string, string> = {}) => webapp.http({ port: 80, address, host: 'catalog', path, headers });

  it('translates without warnings, the fault filter first in every HTTP chain', () => {
    assert.deepEqual(resources.warnings, []);
    for (const l of resources.listeners as any[]) {
      for (const chain of l.filter_chains ?? []) {
        const hcm = chain.filters.find((f: any) => f.name === 'envoy.filters.network.http_connection_manager');
        if (!hcm) continue;
        const names = hcm.typed_config.http_filters.map((f: any) => f.name);
        assert.equal(names[0], FAULT, `${l.name}: ${names.join(', ')}`);
        assert.equal(names.at(-1), 'envoy.filters.http.router');
      }
    }
  });

  it('abort httpStatus 500 at 100% becomes the matching route\'s typed_per_filter_config', () => {
    const out = mesh('/items', { 'x-chaos': 'abort' });
    assert.equal(out.cluster, CATALOG);
    assert.deepEqual(out.route!.typed_per_filter_config[FAULT], {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
      abort: { http_status: 500, percentage: { numerator: 1_000_000, denominator: 'MILLION' } },
    });
    assert.equal(mesh('/items').route!.typed_per_filter_config, undefined, 'the catch-all rule has no fault');
  });

  it('grpcStatus by name, delay with abort, and no percentage (Istio leaves it out)', () => {
    assert.deepEqual(mesh('/catalog.Catalog/List').route!.typed_per_filter_config[FAULT].abort, {
      grpc_status: 14,
      percentage: { numerator: 1_000_000, denominator: 'MILLION' },
    });
    const slow = mesh('/slow').route!.typed_per_filter_config[FAULT];
    assert.deepEqual(slow.delay, { fixed_delay: { seconds: 2 }, percentage: { numerator: 100_000, denominator: 'MILLION' } });
    assert.deepEqual(slow.abort, { http_status: 503, percentage: { numerator: 5_000, denominator: 'MILLION' } });
    assert.deepEqual(mesh('/never').route!.typed_per_filter_config[FAULT].abort, { http_status: 503 });
  });

  it('the proxy compiles the per-route config into the fault filter\'s settings', () => {
    const config = (resources.routes as any[]).find((r) => r.name === '80');
    const table = compileRdsRouteTable(webapp.resources.routes.find((r: any) => r.name === '80') as never, config.name, new Runtime());
    const route = table.route(HeaderMap.from({ ':method': 'GET', ':authority': 'catalog', ':path': '/slow', ':scheme': 'http' }), 0);
    assert.ok(route?.perFilterConfig(FAULT) instanceof FaultSettings);
  });

  describe('a proxy running the generated routes and chain', () => {
    let upstream: http.Server;
    let proxy: RunningProxy;
    before(async () => {
      upstream = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => res.end('catalog'));
      });
      await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
      const outbound = (resources.listeners as any[])
        .flatMap((l) => l.filter_chains ?? [])
        .flatMap((fc: any) => fc.filters)
        .find((f: any) => f.typed_config?.rds?.route_config_name === '80').typed_config;
      const routeConfig = (resources.routes as any[]).find((r) => r.name === '80');
      proxy = await startProxy(
        bootstrapYaml({
          routeConfig: JSON.stringify(routeConfig),
          // One flow mapping per block sequence item: the helper places the list at its key's indent.
          httpFilters: outbound.http_filters.map((f: unknown) => `- ${JSON.stringify(f)}`).join('\n'),
          clusters: staticCluster(CATALOG, [(upstream.address() as AddressInfo).port]),
        }),
      );
    });
    after(async () => {
      await proxy?.stop();
      await new Promise((resolve) => upstream.close(resolve));
    });

    // node:http rather than fetch: the virtual host matches on Host, which fetch will not set.
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get(proxy.url('main', path), { headers: { host: 'catalog', ...headers } }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
      });

    it('aborts the flagged requests with 500, passes the others', async () => {
      assert.deepEqual(await get('/items', { 'x-chaos': 'abort' }), { status: 500, body: 'fault filter abort' });
      assert.deepEqual(await get('/items'), { status: 200, body: 'catalog' });
      assert.deepEqual(await get('/never'), { status: 200, body: 'catalog' });
    });

    it('answers the gRPC rule with grpc-status UNAVAILABLE', async () => {
      const session = http2.connect(proxy.url('main'));
      try {
        const headers = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
          const req = session.request({ ':method': 'POST', ':path': '/catalog.Catalog/List', ':authority': 'catalog', 'content-type': 'application/grpc' });
          req.on('response', resolve);
          req.on('error', reject);
          req.resume();
          req.end();
        });
        assert.equal(headers[':status'], 200);
        assert.equal(headers['grpc-status'], '14');
      } finally {
        session.close();
      }
    });
  });
});
