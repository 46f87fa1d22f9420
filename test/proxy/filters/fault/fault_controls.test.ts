// What steers the fault filter besides its config: request headers (only when the config
// enables them), runtime overrides, max_active_faults; a client leaving mid-delay; and
// config the filter refuses.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { bootstrapYaml, routeAllTo, startProxy, staticCluster } from '../../../helpers/proxy.js';
import { waitFor } from '../../../helpers/wait.js';
import { FAULT_TYPE, faultChain, setRuntime, startUpstream, timedGet, withFaultProxy, type Upstream } from './helpers.js';

const HEADER_FAULTS = `abort: { header_abort: {}, percentage: { numerator: 100 } }
delay: { header_delay: {}, percentage: { numerator: 100 } }`;

describe('fault filter controls', () => {
  let upstream: Upstream;
  before(async () => {
    upstream = await startUpstream();
  });
  after(async () => {
    await upstream.close();
  });

  it('header_abort / header_delay: the request headers choose the fault', async () => {
    await withFaultProxy(upstream, { fault: HEADER_FAULTS }, async (p) => {
      assert.equal((await timedGet(p.url())).status, 200, 'no fault headers: no fault');
      assert.equal((await timedGet(p.url(), { 'x-envoy-fault-abort-request': '429' })).status, 429);
      assert.equal((await timedGet(p.url(), { 'x-envoy-fault-abort-request': '700' })).status, 200, 'outside [200, 600): ignored');
      assert.equal((await timedGet(p.url(), { 'x-envoy-fault-abort-request': 'soon' })).status, 200);
      const slow = await timedGet(p.url(), { 'x-envoy-fault-delay-request': '250' });
      assert.equal(slow.status, 200);
      assert.ok(slow.ms >= 250, `took ${slow.ms.toFixed(1)} ms`);
      // The percentage header can only lower the configured percentage.
      assert.equal((await timedGet(p.url(), { 'x-envoy-fault-abort-request': '429', 'x-envoy-fault-abort-request-percentage': '0' })).status, 200);
      assert.equal((await timedGet(p.url(), { 'x-envoy-fault-abort-request': '429', 'x-envoy-fault-abort-request-percentage': '1000' })).status, 429);
      assert.equal(await p.stat('http.ingress_http.fault.aborts_injected'), 2);
      assert.equal(await p.stat('http.ingress_http.fault.delays_injected'), 1);
    });
  });

  it('header_abort with x-envoy-fault-abort-grpc-request aborts gRPC-style (HTTP 200 for non-gRPC clients)', async () => {
    await withFaultProxy(upstream, { fault: HEADER_FAULTS }, async (p) => {
      const res = await timedGet(p.url(), { 'x-envoy-fault-abort-grpc-request': '4' });
      assert.equal(res.status, 200);
      assert.equal(res.body, 'fault filter abort');
    });
  });

  it('fault headers do nothing when the config does not enable them', async () => {
    const fault = 'delay: { fixed_delay: 0.001s, percentage: { numerator: 0 } }';
    await withFaultProxy(upstream, { fault }, async (p) => {
      const res = await timedGet(p.url(), { 'x-envoy-fault-abort-request': '503', 'x-envoy-fault-delay-request': '3000' });
      assert.equal(res.status, 200);
      assert.ok(res.ms < 3000);
    });
  });

  it('runtime overrides the abort percentage and status, and the delay percentage', async () => {
    const fault = `abort: { http_status: 503, percentage: { numerator: 100 } }
delay: { fixed_delay: 0.05s, percentage: { numerator: 0 } }`;
    await withFaultProxy(upstream, { fault }, async (p) => {
      assert.equal((await timedGet(p.url())).status, 503);
      await setRuntime(p.proxy, { 'fault.http.abort.http_status': '502' });
      assert.equal((await timedGet(p.url())).status, 502);
      await setRuntime(p.proxy, { 'fault.http.abort.abort_percent': '0' });
      assert.equal((await timedGet(p.url())).status, 200);
      await setRuntime(p.proxy, { 'fault.http.delay.fixed_delay_percent': '100', 'fault.http.delay.fixed_duration_ms': '200' });
      const res = await timedGet(p.url());
      assert.equal(res.status, 200);
      assert.ok(res.ms >= 200, `took ${res.ms.toFixed(1)} ms`);
      // A downstream cluster's own keys win over the global ones for its requests.
      await setRuntime(p.proxy, { 'fault.http.frontend.abort.abort_percent': '100', 'fault.http.frontend.delay.fixed_delay_percent': '0' });
      assert.equal((await timedGet(p.url(), { 'x-envoy-downstream-service-cluster': 'frontend' })).status, 502);
    });
  });

  it('max_active_faults: past the limit the fault is skipped and counted as overflow', async () => {
    const fault = `delay: { fixed_delay: 0.5s, percentage: { numerator: 100 } }
max_active_faults: 1`;
    await withFaultProxy(upstream, { fault }, async (p) => {
      const first = timedGet(p.url());
      await waitFor(async () => (await p.stat('http.ingress_http.fault.active_faults')) === 1, 'the first fault to be active');
      const second = await timedGet(p.url());
      assert.ok(second.ms < 500, `the second request was not delayed (took ${second.ms.toFixed(1)} ms)`);
      assert.ok((await first).ms >= 500);
      assert.equal(await p.stat('http.ingress_http.fault.faults_overflow'), 1);
      assert.equal(await p.stat('http.ingress_http.fault.delays_injected'), 1);
      assert.equal(await p.stat('http.ingress_http.fault.active_faults'), 0);
    });
  });

  it('a client that leaves during the delay releases the fault and its timer: nothing goes upstream', async () => {
    const before = upstream.requests;
    await withFaultProxy(upstream, { fault: 'delay: { fixed_delay: 0.4s, percentage: { numerator: 100 } }' }, async (p) => {
      const req = http.get(p.url());
      req.on('error', () => undefined);
      await waitFor(async () => (await p.stat('http.ingress_http.fault.active_faults')) === 1, 'the delay to start');
      req.destroy();
      await waitFor(async () => (await p.stat('http.ingress_http.fault.active_faults')) === 0, 'the fault to be released');
      assert.deepEqual(await p.logLines(1), ['0 DI,DC downstream_remote_disconnect']);
      // Past the delay: had the timer survived, the request would have gone upstream now.
      await new Promise((r) => setTimeout(r, 600));
      assert.equal(upstream.requests, before);
    });
  });

  it('response_rate_limit is refused with the field named, in the chain and per route', async () => {
    const limit = 'response_rate_limit: { fixed_limit: { limit_kbps: 10 }, percentage: { numerator: 100 } }';
    await assert.rejects(
      startProxy(bootstrapYaml({ routeConfig: routeAllTo('upstream'), clusters: staticCluster('upstream', [upstream.port]), httpFilters: faultChain(limit) })),
      /http_filters\[0\]\.typed_config\.response_rate_limit: response_rate_limit .*not supported/,
    );
    const routeConfig = `
name: local
virtual_hosts:
- name: all
  domains: ["*"]
  routes:
  - match: { prefix: "/" }
    route: { cluster: upstream }
    typed_per_filter_config:
      envoy.filters.http.fault:
        "@type": ${FAULT_TYPE}
        ${limit}`;
    await assert.rejects(
      startProxy(bootstrapYaml({ routeConfig, clusters: staticCluster('upstream', [upstream.port]), httpFilters: faultChain('') })),
      /typed_per_filter_config\["envoy\.filters\.http\.fault"\]\.response_rate_limit/,
    );
  });

  it('a bad abort status is rejected by the proto rules', async () => {
    await assert.rejects(
      startProxy(bootstrapYaml({ routeConfig: routeAllTo('upstream'), clusters: staticCluster('upstream', [upstream.port]), httpFilters: faultChain('abort: { http_status: 99 }') })),
      /http_status/,
    );
  });
});
