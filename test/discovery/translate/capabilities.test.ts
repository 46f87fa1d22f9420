// translate/capabilities.ts says which Envoy features skein's proxy has; it must agree
// with the proxy's own registries, so a new filter or cluster type is noticed here.
// With a capability switched on, translation emits Istio's config for it, and that
// config is well-formed Envoy (checked through the proto3-JSON reader).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import '../../../src/proxy/extensions/builtin.js';
import { httpFilterRegistry } from '../../../src/proxy/http/http_filter_registry.js';
import { createDiscovery } from '../../../src/proxy/upstream/discovery/index.js';
import { CLUSTER_STATS } from '../../../src/proxy/upstream/cluster_stats.js';
import { StatsStore } from '../../../src/proxy/stats/store.js';
import { endpointsOf } from '../../../src/proxy/upstream/discovery/endpoints.js';
import { buildProxyResources, decodeProxyResources, SKEIN_PROXY_CAPABILITIES } from '../../../src/discovery/translate/index.js';
import { loadCase } from './harness.js';

const T = 'type.googleapis.com/';

function proxySupportsOriginalDst(): boolean {
  try {
    createDiscovery({ name: 'x', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED' } as never, 'x', CLUSTER_STATS.create(new StatsStore().scope('')));
    return true;
  } catch {
    return false;
  }
}

function proxySupportsPipeEndpoints(): boolean {
  try {
    endpointsOf({ cluster_name: 'x', endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: '/tmp/x.sock' } } } }] }] } as never, 'x');
    return true;
  } catch {
    return false;
  }
}

describe('proxy capabilities', () => {
  it('match what skein\'s proxy registers', () => {
    assert.deepEqual(
      {
        faultFilter: httpFilterRegistry.findByTypeUrl(`${T}envoy.extensions.filters.http.fault.v3.HTTPFault`) !== undefined,
        corsFilter: httpFilterRegistry.findByTypeUrl(`${T}envoy.extensions.filters.http.cors.v3.Cors`) !== undefined,
        originalDstCluster: proxySupportsOriginalDst(),
        unixDomainSockets: proxySupportsPipeEndpoints(),
      },
      { ...SKEIN_PROXY_CAPABILITIES },
      'update src/discovery/translate/capabilities.ts (and regenerate the goldens) when the proxy gains a feature',
    );
  });

  it('with fault and CORS available, rules carry per-route filter config and the chain has the filters', () => {
    const c = loadCase('http-rules');
    const proxy = c.proxies.find((p) => p.name === 'webapp')!.proxy;
    const r = buildProxyResources(c.push, proxy, { capabilities: { faultFilter: true, corsFilter: true } });
    assert.deepEqual(r.warnings, []);
    assert.doesNotThrow(() => decodeProxyResources(r));
    const routes = (r.routes.find((x) => x.name === '80') as any).virtual_hosts.find((v: any) => v.name.startsWith('catalog.')).routes;
    const cohort = routes.find((x: any) => x.name === 'cohort.internal');
    assert.deepEqual(cohort.typed_per_filter_config['envoy.filters.http.fault'].delay, {
      fixed_delay: '1s',
      percentage: { numerator: 500000, denominator: 'MILLION' },
    });
    const items = routes.find((x: any) => x.match.safe_regex);
    assert.deepEqual(items.typed_per_filter_config['envoy.filters.http.cors'].allow_origin_string_match, [{ exact: 'https://example.com' }]);
    const outbound = (r.listeners as any[]).find((l) => l.filter_chains[0].filters[0].typed_config.rds);
    const hcm = outbound.filter_chains[0].filters[0].typed_config;
    assert.deepEqual(hcm.http_filters.map((f: any) => f.name), ['envoy.filters.http.fault', 'envoy.filters.http.cors', 'envoy.filters.http.router']);
  });

  it('with ORIGINAL_DST available, sidecars get PassthroughCluster and resolution NONE gets a cluster', () => {
    const c = loadCase('service-entries');
    const r = buildProxyResources(c.push, c.proxies[0]!.proxy, { capabilities: { originalDstCluster: true } });
    assert.deepEqual(r.warnings, []);
    assert.doesNotThrow(() => decodeProxyResources(r));
    const names = r.clusters.map((x) => x.name);
    assert.ok(names.includes('PassthroughCluster'));
    const none = r.clusters.find((x) => x.name === 'outbound|443||*.wikipedia.org') as any;
    assert.equal(none.type, 'ORIGINAL_DST');
    assert.equal(none.lb_policy, 'CLUSTER_PROVIDED');
  });
});
