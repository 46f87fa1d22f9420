// Seed 003's chapter 3 lab, as a user runs it: the example configs, a real httpbin,
// real HTTP requests; the headers, timeouts and retry counters the book shows.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../helpers/paths.js';
import { startProxy, type RunningProxy } from '../../helpers/proxy.js';
import { startHttpbin } from '../../../src/testing/httpbin/index.js';

type Httpbin = Awaited<ReturnType<typeof startHttpbin>>;

function example(name: string, httpbinPort: number): string {
  return fs
    .readFileSync(path.join(repoRoot, 'examples', 'envoy-ch3', name), 'utf8')
    .replace('port_value: 15000', 'port_value: 0')
    .replace('port_value: 15001', 'port_value: 0')
    .replace('port_value: 8000', `port_value: ${httpbinPort}`);
}

async function stat(proxy: RunningProxy, name: string): Promise<number> {
  const text = await (await fetch(`${proxy.adminUrl}/stats?filter=${encodeURIComponent(`^${name}$`)}`)).text();
  const m = new RegExp(`^${name.replace(/[.|]/g, '\\$&')}: (\\d+)$`, 'm').exec(text);
  assert.ok(m, `stat ${name} not found in:\n${text}`);
  return Number(m[1]);
}

describe('chapter 3 lab (simple.yaml family)', () => {
  let httpbin: Httpbin;
  before(async () => {
    httpbin = await startHttpbin({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await httpbin.close();
  });

  it('simple.yaml: /headers shows the headers Envoy adds, and Host: httpbin', async () => {
    const proxy = await startProxy(example('simple.yaml', httpbin.port));
    try {
      const res = await fetch(proxy.url('httpbin-demo', '/headers'));
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('server'), 'envoy');
      assert.match(res.headers.get('x-envoy-upstream-service-time') ?? '', /^\d+$/);
      const body = (await res.json()) as { headers: Record<string, string[]> };
      assert.deepEqual(body.headers['Host'], ['httpbin']);
      assert.deepEqual(body.headers['X-Envoy-Expected-Rq-Timeout-Ms'], ['15000']);
      assert.deepEqual(body.headers['X-Forwarded-Proto'], ['http']);
      assert.match(body.headers['X-Request-Id']?.[0] ?? '', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    } finally {
      await proxy.stop();
    }
  });

  it('simple_change_timeout.yaml: 1s timeout header, /delay/0.5 passes, /delay/2 gets 504', async () => {
    const proxy = await startProxy(example('simple_change_timeout.yaml', httpbin.port));
    try {
      const headers = (await (await fetch(proxy.url('httpbin-demo', '/headers'))).json()) as { headers: Record<string, string[]> };
      assert.deepEqual(headers.headers['X-Envoy-Expected-Rq-Timeout-Ms'], ['1000']);
      assert.equal((await fetch(proxy.url('httpbin-demo', '/delay/0.5'))).status, 200);
      const slow = await fetch(proxy.url('httpbin-demo', '/delay/2'));
      assert.equal(slow.status, 504);
      assert.equal(await slow.text(), 'upstream request timeout');
      assert.equal(await stat(proxy, 'cluster.httpbin_service.upstream_rq_timeout'), 1);
    } finally {
      await proxy.stop();
    }
  });

  it('simple_retry.yaml: /status/500 is retried 3 times and the last 500 returned', async () => {
    const proxy = await startProxy(example('simple_retry.yaml', httpbin.port));
    try {
      const res = await fetch(proxy.url('httpbin-demo', '/status/500'));
      assert.equal(res.status, 500);
      await res.arrayBuffer();
      assert.equal(await stat(proxy, 'cluster.httpbin_service.upstream_rq_retry'), 3);
      assert.equal(await stat(proxy, 'cluster.httpbin_service.upstream_rq_retry_limit_exceeded'), 1);
      assert.equal(await stat(proxy, 'cluster.httpbin_service.upstream_rq_retry_success'), 0);
      assert.equal(await stat(proxy, 'cluster.httpbin_service.upstream_rq_500'), 4);
      const prom = await (await fetch(`${proxy.adminUrl}/stats/prometheus`)).text();
      assert.match(prom, /^envoy_cluster_upstream_rq_retry\{envoy_cluster_name="httpbin_service"\} 3$/m);
    } finally {
      await proxy.stop();
    }
  });
});
