// VirtualService corsPolicy end to end: translation puts a CorsPolicy on the rule's route
// and envoy.filters.http.cors in the chain, and a real skein proxy running the gateway's
// generated connection manager and routes answers the browser's preflight itself.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import '../../../src/proxy/extensions/builtin.js';
import { startEcho } from '../../../src/testing/echo/index.js';
import type { ProxyResources } from '../../../src/discovery/model/types.js';
import { corsConfig } from '../../../src/discovery/translate/route_policies.js';
import { startProxy, type RunningProxy } from '../../helpers/proxy.js';
import { loadCase, translate } from './harness.js';
import { Simulation } from './simulate.js';

type Msg = Record<string, any>;

/**
 * A bootstrap running one translated listener's connection manager on an ephemeral port:
 * RDS becomes the inline route configuration it names, and every translated cluster a
 * STATIC one pointing at `upstreamPort`.
 */
function bootstrapFrom(resources: ProxyResources, listenerPort: number, upstreamPort: number): string {
  const listener = (resources.listeners as Msg[]).find((l) => l.address?.socket_address?.port_value === listenerPort)!;
  const hcm = listener.filter_chains[0].filters.find((f: Msg) => f.name === 'envoy.filters.network.http_connection_manager');
  const { rds, ...typed } = hcm.typed_config;
  const routeConfig = (resources.routes as Msg[]).find((r) => r.name === rds.route_config_name)!;
  const clusters = (resources.clusters as Msg[]).map((c) => ({
    name: c.name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: c.name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } } } }] }] },
  }));
  return JSON.stringify({
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      listeners: [
        {
          name: 'main',
          address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
          filter_chains: [{ filters: [{ name: hcm.name, typed_config: { ...typed, route_config: routeConfig } }] }],
        },
      ],
      clusters,
    },
  });
}

function send(port: number, method: string, path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { host: 'catalog.istioinaction.io', ...headers }, agent: false }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('VirtualService corsPolicy', () => {
  const resources = translate(loadCase('http-rules'), 'istio-ingressgateway');

  it('becomes the rule route\'s CorsPolicy, with the cors filter in the chain', () => {
    assert.ok(!resources.warnings.some((w) => w.includes('corsPolicy')), resources.warnings.join('\n'));
    const route = new Simulation(resources).http({ port: 8080, host: 'catalog.istioinaction.io', path: '/items/7' }).route!;
    assert.deepEqual(route.typed_per_filter_config['envoy.filters.http.cors'], {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
      filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
      // As the proxy reads it (Simulation decodes through Envoy's protos): a BoolValue.
      forward_not_matching_preflights: { value: true },
      allow_origin_string_match: [{ exact: 'https://example.com' }],
      allow_methods: 'GET',
    });
    const listener = (resources.listeners as Msg[]).find((l) => l.address.socket_address.port_value === 8080)!;
    const chain = listener.filter_chains[0].filters[0].typed_config.http_filters.map((f: Msg) => f.name);
    assert.ok(chain.includes('envoy.filters.http.cors'));
    assert.equal(chain.at(-1), 'envoy.filters.http.router');
  });

  it('translates every field as Istio does; unmatchedPreflights IGNORE stops forwarding', () => {
    const policy = corsConfig({
      allowOrigins: [{ exact: 'https://a.example' }, { prefix: 'https://dev.' }, { regex: 'https://.*\\.corp' }],
      allowMethods: ['GET', 'POST'],
      allowHeaders: ['content-type', 'x-user'],
      exposeHeaders: ['x-trace'],
      maxAge: '90.5s',
      allowCredentials: false,
      unmatchedPreflights: 'IGNORE',
    });
    assert.deepEqual(policy, {
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
      filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
      forward_not_matching_preflights: false,
      allow_origin_string_match: [{ exact: 'https://a.example' }, { prefix: 'https://dev.' }, { safe_regex: { regex: 'https://.*\\.corp' } }],
      allow_methods: 'GET,POST',
      allow_headers: 'content-type,x-user',
      expose_headers: 'x-trace',
      max_age: '90',
      allow_credentials: false,
    });
  });

  describe('through a proxy running the generated config', () => {
    let echo: Awaited<ReturnType<typeof startEcho>>;
    let proxy: RunningProxy;
    let port: number;
    before(async () => {
      echo = await startEcho({ port: 0, host: '127.0.0.1' });
      proxy = await startProxy(bootstrapFrom(resources, 8080, echo.port));
      port = proxy.port('main');
    });
    after(async () => {
      await proxy.stop();
      await echo.close();
    });

    it('answers the preflight from an allowed origin at the proxy', async () => {
      const reply = await send(port, 'OPTIONS', '/items/7', { origin: 'https://example.com', 'access-control-request-method': 'GET' });
      assert.equal(reply.status, 200);
      assert.equal(reply.body, '');
      assert.equal(reply.headers['access-control-allow-origin'], 'https://example.com');
      assert.equal(reply.headers['access-control-allow-methods'], 'GET');
    });

    it('marks the actual request as allowed, and forwards other origins\' preflights untouched', async () => {
      const get = await send(port, 'GET', '/items/7', { origin: 'https://example.com' });
      assert.equal(get.status, 200);
      assert.equal(JSON.parse(get.body).method, 'GET');
      assert.equal(get.headers['access-control-allow-origin'], 'https://example.com');
      const other = await send(port, 'OPTIONS', '/items/7', { origin: 'https://evil.example', 'access-control-request-method': 'GET' });
      assert.equal(JSON.parse(other.body).method, 'OPTIONS');
      assert.equal(other.headers['access-control-allow-origin'], undefined);
    });

    it('leaves routes without a corsPolicy alone', async () => {
      const reply = await send(port, 'OPTIONS', '/edge-only', { origin: 'https://example.com', 'access-control-request-method': 'GET' });
      assert.equal(reply.headers['access-control-allow-origin'], undefined);
    });
  });
});
