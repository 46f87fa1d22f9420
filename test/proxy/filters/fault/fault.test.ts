// envoy.filters.http.fault through a real proxy: aborts (with FI and fault_filter_abort),
// delays (DI, at least the delay), percentages, stats, per-route overrides and gRPC aborts.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { FAULT_TYPE, startUpstream, timedGet, withFaultProxy, type Upstream } from './helpers.js';

describe('fault filter', () => {
  let upstream: Upstream;
  before(async () => {
    upstream = await startUpstream();
  });
  after(async () => {
    await upstream.close();
  });

  it('abort at 100%: the configured status, FI flag, fault_filter_abort, nothing upstream', async () => {
    const before = upstream.requests;
    await withFaultProxy(upstream, { fault: 'abort: { http_status: 503, percentage: { numerator: 100 } }' }, async (p) => {
      const res = await timedGet(p.url());
      assert.equal(res.status, 503);
      assert.equal(res.body, 'fault filter abort');
      assert.deepEqual(await p.logLines(1), ['503 FI fault_filter_abort']);
      assert.equal(upstream.requests, before);
      assert.equal(await p.stat('http.ingress_http.fault.aborts_injected'), 1);
      assert.equal(await p.stat('http.ingress_http.fault.delays_injected'), 0);
      assert.equal(await p.stat('http.ingress_http.fault.active_faults'), 0);
    });
  });

  it('delay: the request reaches the upstream no sooner than the delay, with DI', async () => {
    const before = upstream.requests;
    await withFaultProxy(upstream, { fault: 'delay: { fixed_delay: 0.3s, percentage: { numerator: 100 } }' }, async (p) => {
      const res = await timedGet(p.url());
      assert.equal(res.status, 200);
      assert.equal(res.body, 'upstream ok');
      assert.ok(res.ms >= 300, `took ${res.ms.toFixed(1)} ms, expected at least 300`);
      assert.equal(upstream.requests, before + 1);
      assert.deepEqual(await p.logLines(1), ['200 DI via_upstream']);
      assert.equal(await p.stat('http.ingress_http.fault.delays_injected'), 1);
      assert.equal(await p.stat('http.ingress_http.fault.active_faults'), 0);
    });
  });

  it('a delayed POST keeps its body and then goes upstream', async () => {
    await withFaultProxy(upstream, { fault: 'delay: { fixed_delay: 0.1s, percentage: { numerator: 100 } }' }, async (p) => {
      const res = await fetch(p.url(), { method: 'POST', body: 'x'.repeat(50_000) });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'upstream ok');
    });
  });

  it('delay then abort: the abort comes after the delay', async () => {
    const fault = `delay: { fixed_delay: 0.2s, percentage: { numerator: 100 } }
abort: { http_status: 500, percentage: { numerator: 100 } }`;
    await withFaultProxy(upstream, { fault }, async (p) => {
      const res = await timedGet(p.url());
      assert.equal(res.status, 500);
      assert.ok(res.ms >= 200, `took ${res.ms.toFixed(1)} ms`);
      assert.deepEqual(await p.logLines(1), ['500 DI,FI fault_filter_abort']);
      assert.equal(await p.stat('http.ingress_http.fault.active_faults'), 0);
    });
  });

  it('percentage 0 (or none at all) injects nothing', async () => {
    for (const fault of ['abort: { http_status: 503, percentage: { numerator: 0 } }', 'abort: { http_status: 503 }', 'delay: { fixed_delay: 5s }']) {
      await withFaultProxy(upstream, { fault }, async (p) => {
        for (let i = 0; i < 5; i++) {
          const res = await timedGet(p.url());
          assert.equal(res.status, 200, fault);
          assert.ok(res.ms < 5000);
        }
        assert.equal(await p.stat('http.ingress_http.fault.aborts_injected'), 0);
        assert.equal(await p.stat('http.ingress_http.fault.delays_injected'), 0);
      });
    }
  });

  it('a MILLION-denominator percentage of 100% aborts every request', async () => {
    await withFaultProxy(upstream, { fault: 'abort: { http_status: 502, percentage: { numerator: 1000000, denominator: MILLION } }' }, async (p) => {
      for (let i = 0; i < 5; i++) assert.equal((await timedGet(p.url())).status, 502);
      assert.equal(await p.stat('http.ingress_http.fault.aborts_injected'), 5);
    });
  });

  it('headers matchers: only matching requests get the fault', async () => {
    const fault = `abort: { http_status: 418, percentage: { numerator: 100 } }
headers: [{ name: x-user, string_match: { exact: tester } }]`;
    await withFaultProxy(upstream, { fault }, async (p) => {
      assert.equal((await timedGet(p.url(), { 'x-user': 'tester' })).status, 418);
      assert.equal((await timedGet(p.url(), { 'x-user': 'someone' })).status, 200);
      assert.equal((await timedGet(p.url())).status, 200);
    });
  });

  it('upstream_cluster and downstream_nodes restrict the fault', async () => {
    const other = 'abort: { http_status: 503, percentage: { numerator: 100 } }\nupstream_cluster: elsewhere';
    await withFaultProxy(upstream, { fault: other }, async (p) => {
      assert.equal((await timedGet(p.url())).status, 200);
    });
    const same = 'abort: { http_status: 503, percentage: { numerator: 100 } }\nupstream_cluster: upstream\ndownstream_nodes: [node-a]';
    await withFaultProxy(upstream, { fault: same }, async (p) => {
      assert.equal((await timedGet(p.url())).status, 200, 'no x-envoy-downstream-service-node');
      assert.equal((await timedGet(p.url(), { 'x-envoy-downstream-service-node': 'node-b' })).status, 200);
      assert.equal((await timedGet(p.url(), { 'x-envoy-downstream-service-node': 'node-a' })).status, 503);
    });
  });

  it('counts per downstream cluster (x-envoy-downstream-service-cluster) unless disabled', async () => {
    await withFaultProxy(upstream, { fault: 'abort: { http_status: 503, percentage: { numerator: 100 } }' }, async (p) => {
      await timedGet(p.url(), { 'x-envoy-downstream-service-cluster': 'frontend' });
      await timedGet(p.url(), { 'x-envoy-downstream-service-cluster': 'frontend' });
      assert.equal(await p.stat('http.ingress_http.fault.frontend.aborts_injected'), 2);
      assert.equal(await p.stat('http.ingress_http.fault.aborts_injected'), 2);
    });
    const disabled = 'abort: { http_status: 503, percentage: { numerator: 100 } }\ndisable_downstream_cluster_stats: true';
    await withFaultProxy(upstream, { fault: disabled }, async (p) => {
      await timedGet(p.url(), { 'x-envoy-downstream-service-cluster': 'frontend' });
      assert.equal(await p.stat('http.ingress_http.fault.frontend.aborts_injected'), 0);
      assert.equal(await p.stat('http.ingress_http.fault.aborts_injected'), 1);
    });
  });

  it('per-route typed_per_filter_config replaces the chain config; route beats virtual host', async () => {
    const routeConfig = `
name: local
virtual_hosts:
- name: all
  domains: ["*"]
  typed_per_filter_config:
    envoy.filters.http.fault:
      "@type": ${FAULT_TYPE}
      abort: { http_status: 502, percentage: { numerator: 100 } }
  routes:
  - match: { prefix: "/teapot" }
    route: { cluster: upstream }
    typed_per_filter_config:
      envoy.filters.http.fault:
        "@type": ${FAULT_TYPE}
        abort: { http_status: 418, percentage: { numerator: 100 } }
  - match: { prefix: "/calm" }
    route: { cluster: upstream }
    typed_per_filter_config:
      envoy.filters.http.fault:
        "@type": ${FAULT_TYPE}
        abort: { http_status: 500, percentage: { numerator: 0 } }
  - match: { prefix: "/" }
    route: { cluster: upstream }`;
    // An empty chain config, as Istio writes it: every fault comes from the routes.
    await withFaultProxy(upstream, { fault: '', routeConfig }, async (p) => {
      assert.equal((await timedGet(p.url('/teapot'))).status, 418);
      assert.equal((await timedGet(p.url('/calm'))).status, 200);
      assert.equal((await timedGet(p.url('/other'))).status, 502);
      assert.equal(await p.stat('http.ingress_http.fault.aborts_injected'), 2);
    });
  });

  it('filter_metadata lands in dynamic metadata under the filter name when a fault fires', async () => {
    const fault = `abort: { http_status: 503, percentage: { numerator: 100 } }
filter_metadata: { experiment: chaos-1 }
headers: [{ name: x-chaos, present_match: true }]`;
    const logFormat = '%RESPONSE_CODE% %DYNAMIC_METADATA(envoy.filters.http.fault:experiment)%';
    await withFaultProxy(upstream, { fault, logFormat }, async (p) => {
      await timedGet(p.url(), { 'x-chaos': '1' });
      await timedGet(p.url());
      assert.deepEqual(await p.logLines(2), ['503 chaos-1', '200 -']);
    });
  });

  it('grpc_status abort: a trailers-only response carrying that grpc-status', async () => {
    await withFaultProxy(upstream, { fault: 'abort: { grpc_status: 14, percentage: { numerator: 100 } }' }, async (p) => {
      const session = http2.connect(p.url());
      try {
        const reply = await new Promise<{ headers: http2.IncomingHttpHeaders; data: number; trailers: boolean }>((resolve, reject) => {
          const req = session.request({ ':method': 'POST', ':path': '/pkg.Svc/Call', 'content-type': 'application/grpc', te: 'trailers' });
          let headers: http2.IncomingHttpHeaders = {};
          let data = 0;
          let trailers = false;
          req.on('response', (h) => (headers = h));
          req.on('data', (c: Buffer) => (data += c.length));
          req.on('trailers', () => (trailers = true));
          req.on('end', () => resolve({ headers, data, trailers }));
          req.on('error', reject);
          req.end(Buffer.from([0, 0, 0, 0, 0]));
        });
        assert.equal(reply.headers[':status'], 200);
        assert.equal(reply.headers['grpc-status'], '14');
        assert.equal(reply.headers['grpc-message'], 'fault filter abort');
        assert.equal(reply.data, 0);
        assert.equal(reply.trailers, false, 'trailers-only: the status is in the only HEADERS frame');
      } finally {
        session.close();
      }

      // And a real gRPC client sees the status.
      const client = new grpc.Client(`127.0.0.1:${new URL(p.url()).port}`, grpc.credentials.createInsecure());
      try {
        const err = await new Promise<grpc.ServiceError | null>((resolve) =>
          client.makeUnaryRequest('/pkg.Svc/Call', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e)),
        );
        assert.equal(err?.code, grpc.status.UNAVAILABLE);
      } finally {
        client.close();
      }
      const lines = await p.logLines(2);
      assert.deepEqual(lines, ['200 FI fault_filter_abort', '200 FI fault_filter_abort']);
    });
  });

  it('an HTTP abort on a gRPC request maps the status to grpc-status', async () => {
    await withFaultProxy(upstream, { fault: 'abort: { http_status: 503, percentage: { numerator: 100 } }' }, async (p) => {
      const client = new grpc.Client(`127.0.0.1:${new URL(p.url()).port}`, grpc.credentials.createInsecure());
      try {
        const err = await new Promise<grpc.ServiceError | null>((resolve) =>
          client.makeUnaryRequest('/pkg.Svc/Call', (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e) => resolve(e)),
        );
        assert.equal(err?.code, grpc.status.UNAVAILABLE);
      } finally {
        client.close();
      }
    });
  });
});
