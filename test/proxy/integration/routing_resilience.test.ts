// Route timeouts and retries through a real proxy: the trusted x-envoy-* request headers,
// retry_on conditions, previous_hosts, per-try timeouts, retriable status codes, back-off.
// Upstreams are scripted node:http servers that answer each request as told.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { closeServer } from '../../../src/testing/httpbin/listen.js';
import { bootstrapYaml, startProxy, staticCluster, type RunningProxy } from '../../helpers/proxy.js';

type Step = { status: number; body?: string; delayMs?: number };

/** An upstream that answers its n-th request with script[n] (the last step repeats). */
class Scripted {
  readonly server: http.Server;
  hits = 0;
  private readonly timers = new Set<NodeJS.Timeout>();
  constructor(private script: Step[]) {
    this.server = http.createServer((req, res) => {
      const step = this.script[Math.min(this.hits++, this.script.length - 1)]!;
      req.resume();
      const reply = () => res.writeHead(step.status, { 'content-type': 'text/plain' }).end(step.body ?? `status ${step.status}`);
      if (!step.delayMs) return reply();
      const t = setTimeout(() => {
        this.timers.delete(t);
        if (!res.destroyed) reply();
      }, step.delayMs);
      this.timers.add(t);
    });
  }
  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }
  reset(script: Step[]): void {
    this.script = script;
    this.hits = 0;
  }
  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
  }
  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    await closeServer(this.server);
  }
}

/** A port nothing listens on: bound once, then released. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', () => resolve()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function get(proxy: RunningProxy, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(proxy.url('main', path), { headers });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

async function counter(proxy: RunningProxy, name: string): Promise<number> {
  const text = await (await fetch(`${proxy.adminUrl}/stats?filter=${encodeURIComponent(`^${name}$`)}`)).text();
  const m = new RegExp(`^${name.replace(/[.|]/g, '\\$&')}: (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

const route = (action: string) => `
virtual_hosts:
- name: vh
  domains: ["*"]
  routes:
  - match: { prefix: "/" }
    route: { cluster: svc ${action} }`;

describe('timeouts and retries through a real proxy', () => {
  const upstream = new Scripted([{ status: 200 }]);
  before(() => upstream.listen());
  after(() => upstream.close());

  async function withProxy(action: string, fn: (p: RunningProxy) => Promise<void>, cluster = staticCluster('svc', [upstream.port])): Promise<void> {
    const proxy = await startProxy(bootstrapYaml({ routeConfig: route(action), clusters: cluster }));
    try {
      await fn(proxy);
    } finally {
      await proxy.stop();
    }
  }

  it('x-envoy-upstream-rq-timeout-ms from a trusted client overrides the route timeout', async () => {
    upstream.reset([{ status: 200, delayMs: 3000 }]);
    await withProxy(', timeout: 30s', async (p) => {
      const res = await get(p, '/slow', { 'x-envoy-upstream-rq-timeout-ms': '100' });
      assert.equal(res.status, 504);
      assert.equal(res.body, 'upstream request timeout');
      assert.equal(await counter(p, 'cluster.svc.upstream_rq_timeout'), 1);
    });
  });

  it('the route timeout answers 504 "upstream request timeout"', async () => {
    upstream.reset([{ status: 200, delayMs: 3000 }]);
    await withProxy(', timeout: 0.1s', async (p) => {
      const res = await get(p, '/slow');
      assert.equal(res.status, 504);
      assert.equal(res.body, 'upstream request timeout');
    });
  });

  it('x-envoy-retry-on and x-envoy-max-retries ask for retries on a route without a policy', async () => {
    upstream.reset([{ status: 503 }]);
    await withProxy('', async (p) => {
      const res = await get(p, '/', { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '2' });
      assert.equal(res.status, 503);
      assert.equal(upstream.hits, 3);
      assert.equal(await counter(p, 'cluster.svc.upstream_rq_retry'), 2);
      assert.equal(await counter(p, 'cluster.svc.upstream_rq_retry_limit_exceeded'), 1);
      // without the headers nothing is retried
      upstream.reset([{ status: 503 }]);
      assert.equal((await get(p, '/')).status, 503);
      assert.equal(upstream.hits, 1);
    });
  });

  it('x-envoy-max-retries overrides the policy count, and a retried request can succeed', async () => {
    upstream.reset([{ status: 503 }, { status: 503 }, { status: 200, body: 'third time' }]);
    await withProxy(', retry_policy: { retry_on: 5xx, num_retries: 1 }', async (p) => {
      const res = await get(p, '/', { 'x-envoy-max-retries': '3' });
      assert.equal(res.status, 200);
      assert.equal(res.body, 'third time');
      assert.equal(await counter(p, 'cluster.svc.upstream_rq_retry_success'), 1);
    });
  });

  it('retry_on connect-failure with previous_hosts moves to the healthy host', async () => {
    upstream.reset([{ status: 200, body: 'healthy' }]);
    const dead = await closedPort();
    const cluster = staticCluster('svc', [dead, upstream.port], 'lb_policy: ROUND_ROBIN');
    await withProxy(
      `, retry_policy: { retry_on: connect-failure, num_retries: 1, retry_host_predicate: [{ name: envoy.retry_host_predicates.previous_hosts }], host_selection_retry_max_attempts: 5 }`,
      async (p) => {
        for (let i = 0; i < 6; i++) {
          const res = await get(p, '/');
          assert.equal(res.status, 200, `request ${i}: ${res.body}`);
          assert.equal(res.body, 'healthy');
        }
        assert.ok((await counter(p, 'cluster.svc.upstream_rq_retry')) >= 3);
      },
      cluster,
    );
  });

  it('without a retry a connect failure is a 503 with the reset reason', async () => {
    const dead = await closedPort();
    await withProxy(
      '',
      async (p) => {
        const res = await get(p, '/');
        assert.equal(res.status, 503);
        assert.match(res.body, /^upstream connect error or disconnect\/reset before headers\. reset reason: connection (failure|termination)/);
      },
      staticCluster('svc', [dead]),
    );
  });

  it('per_try_timeout abandons a slow try and retries it', async () => {
    upstream.reset([{ status: 200, body: 'too late', delayMs: 3000 }, { status: 200, body: 'second try' }]);
    await withProxy(', timeout: 10s, retry_policy: { retry_on: 5xx, num_retries: 2, per_try_timeout: 0.2s }', async (p) => {
      const res = await get(p, '/');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'second try');
      assert.equal(await counter(p, 'cluster.svc.upstream_rq_per_try_timeout'), 1);
      assert.equal(await counter(p, 'cluster.svc.upstream_rq_retry'), 1);
    });
  });

  it('per_try_timeout on every try ends in 504 once retries run out', async () => {
    upstream.reset([{ status: 200, delayMs: 3000 }]);
    await withProxy(', timeout: 10s, retry_policy: { retry_on: 5xx, num_retries: 1, per_try_timeout: 0.1s }', async (p) => {
      const res = await get(p, '/');
      assert.equal(res.status, 504);
      assert.equal(res.body, 'upstream request timeout');
      assert.equal(upstream.hits, 2);
    });
  });

  it('retriable_status_codes retries only the listed codes', async () => {
    upstream.reset([{ status: 409 }, { status: 200, body: 'resolved' }]);
    await withProxy(', retry_policy: { retry_on: retriable-status-codes, num_retries: 2, retriable_status_codes: [409] }', async (p) => {
      const res = await get(p, '/');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'resolved');
      upstream.reset([{ status: 418 }, { status: 200 }]);
      assert.equal((await get(p, '/')).status, 418);
      assert.equal(upstream.hits, 1);
    });
  });

  it('retries with a configured back-off until one succeeds', async () => {
    upstream.reset([{ status: 502 }, { status: 502 }, { status: 502 }, { status: 200, body: 'finally' }]);
    await withProxy(', retry_policy: { retry_on: gateway-error, num_retries: 5, retry_back_off: { base_interval: 0.005s, max_interval: 0.02s } }', async (p) => {
      const res = await get(p, '/');
      assert.equal(res.status, 200);
      assert.equal(res.body, 'finally');
      assert.equal(await counter(p, 'cluster.svc.upstream_rq_retry'), 3);
      assert.equal(await counter(p, 'cluster.svc.upstream_rq_retry_backoff_exponential'), 3);
    });
  });

  it('include_attempt_count_in_response reports the tries, also on a local reply', async () => {
    upstream.reset([{ status: 503 }, { status: 200 }]);
    const config = `
virtual_hosts:
- name: vh
  domains: ["*"]
  include_attempt_count_in_response: true
  routes:
  - { match: { prefix: "/" }, route: { cluster: svc, timeout: 10s, retry_policy: { retry_on: 5xx, num_retries: 1, per_try_timeout: 0.1s } } }`;
    const proxy = await startProxy(bootstrapYaml({ routeConfig: config, clusters: staticCluster('svc', [upstream.port]) }));
    try {
      assert.equal((await get(proxy, '/')).headers.get('x-envoy-attempt-count'), '2');
      upstream.reset([{ status: 200, delayMs: 3000 }]);
      const timedOut = await get(proxy, '/');
      assert.equal(timedOut.status, 504);
      assert.equal(timedOut.headers.get('x-envoy-attempt-count'), '2');
    } finally {
      await proxy.stop();
    }
  });
});
