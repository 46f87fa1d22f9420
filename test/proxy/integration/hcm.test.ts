// HTTP connection manager behaviour a client and an upstream can observe: request
// ids, x-forwarded-*, trust of x-envoy-* headers, server header, header checks,
// timeouts, connection limits and the buffer filter's 413.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { bootstrapYaml, routeAllTo, startProxy, staticCluster, type RunningProxy } from '../../helpers/proxy.js';
import { startEcho } from '../../../src/testing/echo/index.js';

type Echo = Awaited<ReturnType<typeof startEcho>>;
interface Echoed {
  path: string;
  host: string;
  headers: Record<string, string[]>;
}

const ROUTES = routeAllTo('echo');

async function withProxy(echo: Echo, hcmExtra: string, fn: (p: RunningProxy) => Promise<void>, httpFilters?: string): Promise<void> {
  const proxy = await startProxy(bootstrapYaml({ routeConfig: ROUTES, clusters: staticCluster('echo', [echo.port]), hcmExtra, httpFilters }));
  try {
    await fn(proxy);
  } finally {
    await proxy.stop();
  }
}

async function echoed(proxy: RunningProxy, path = '/', headers: Record<string, string> = {}): Promise<{ res: Response; body: Echoed }> {
  const res = await fetch(proxy.url('main', path), { headers });
  return { res, body: (await res.json()) as Echoed };
}

function rawExchange(port: number, payload: string | Buffer, holdOpenMs = 0): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(payload);
      if (holdOpenMs) setTimeout(() => socket.end(), holdOpenMs);
    });
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

describe('HTTP connection manager', () => {
  let echo: Echo;
  before(async () => {
    echo = await startEcho({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await echo.close();
  });

  it('generates x-request-id, keeps a client-supplied one, and can echo it in the response', async () => {
    await withProxy(echo, 'always_set_request_id_in_response: true', async (proxy) => {
      const generated = await echoed(proxy);
      const id = generated.body.headers['X-Request-Id']?.[0];
      assert.match(id ?? '', /^[0-9a-f-]{36}$/);
      assert.equal(generated.res.headers.get('x-request-id'), id);
      const kept = await echoed(proxy, '/', { 'x-request-id': 'abc-123' });
      assert.deepEqual(kept.body.headers['X-Request-Id'], ['abc-123']);
    });
  });

  it('trusted peers (default: use_remote_address false) keep x-envoy-* and x-forwarded-for untouched', async () => {
    await withProxy(echo, '', async (proxy) => {
      const { body } = await echoed(proxy, '/', { 'x-envoy-foo': 'bar', 'x-forwarded-for': '1.2.3.4' });
      assert.deepEqual(body.headers['X-Envoy-Foo'], ['bar']);
      assert.deepEqual(body.headers['X-Forwarded-For'], ['1.2.3.4']);
      assert.deepEqual(body.headers['X-Forwarded-Proto'], ['http']);
    });
  });

  it('use_remote_address with an external client: XFF appended, x-envoy-* stripped, fresh request id', async () => {
    const hcm = `use_remote_address: true
internal_address_config:
  cidr_ranges: [{ address_prefix: 10.0.0.0, prefix_len: 8 }]`;
    await withProxy(echo, hcm, async (proxy) => {
      const { body } = await echoed(proxy, '/', { 'x-envoy-upstream-rq-timeout-ms': '1', 'x-forwarded-for': '1.2.3.4', 'x-request-id': 'client-chosen', 'x-forwarded-proto': 'https' });
      assert.deepEqual(body.headers['X-Forwarded-For'], ['1.2.3.4,127.0.0.1']);
      assert.equal(body.headers['X-Envoy-Upstream-Rq-Timeout-Ms'], undefined);
      assert.deepEqual(body.headers['X-Envoy-External-Address'], ['127.0.0.1']);
      assert.deepEqual(body.headers['X-Forwarded-Proto'], ['http']);
      assert.notEqual(body.headers['X-Request-Id']?.[0], 'client-chosen');
      assert.equal(body.headers['X-Envoy-Internal'], undefined);
    });
  });

  it('use_remote_address with an internal (loopback) client sets x-envoy-internal', async () => {
    await withProxy(echo, 'use_remote_address: true', async (proxy) => {
      const { body } = await echoed(proxy);
      assert.deepEqual(body.headers['X-Envoy-Internal'], ['true']);
      assert.deepEqual(body.headers['X-Forwarded-For'], ['127.0.0.1']);
    });
  });

  it('server header: overwritten by default, server_name, PASS_THROUGH keeps the upstream\'s', async () => {
    const upstream = http.createServer((_req, res) => res.writeHead(200, { server: 'upstream-server', 'content-length': 0 }).end());
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as net.AddressInfo).port;
    try {
      for (const [extra, expected] of [
        ['', 'envoy'],
        ['server_name: edge-proxy', 'edge-proxy'],
        ['server_header_transformation: PASS_THROUGH', 'upstream-server'],
        ['server_header_transformation: APPEND_IF_ABSENT', 'upstream-server'],
      ] as const) {
        const proxy = await startProxy(bootstrapYaml({ routeConfig: routeAllTo('up'), clusters: staticCluster('up', [port]), hcmExtra: extra }));
        try {
          const res = await fetch(proxy.url('main'));
          assert.equal(res.headers.get('server'), expected, extra || 'default');
          assert.match(res.headers.get('date') ?? '', /GMT$/);
        } finally {
          await proxy.stop();
        }
      }
    } finally {
      await new Promise((r) => upstream.close(r));
    }
  });

  it('headers_with_underscores_action: REJECT_REQUEST answers 400, DROP_HEADER removes them', async () => {
    await withProxy(echo, 'common_http_protocol_options: { headers_with_underscores_action: REJECT_REQUEST }', async (proxy) => {
      const res = await fetch(proxy.url('main'), { headers: { x_bad: '1' } });
      assert.equal(res.status, 400);
    });
    await withProxy(echo, 'common_http_protocol_options: { headers_with_underscores_action: DROP_HEADER }', async (proxy) => {
      const { body } = await echoed(proxy, '/', { x_bad: '1', 'x-good': '2' });
      assert.equal(body.headers['X_bad'], undefined);
      assert.deepEqual(body.headers['X-Good'], ['2']);
    });
  });

  it('strip_any_host_port removes the port before routing and forwarding', async () => {
    await withProxy(echo, 'strip_any_host_port: true', async (proxy) => {
      const { body } = await echoed(proxy);
      assert.equal(body.host, '127.0.0.1');
    });
  });

  it('stream_idle_timeout answers 408 "stream timeout" when the upstream goes quiet', async () => {
    await withProxy(echo, 'stream_idle_timeout: 0.2s', async (proxy) => {
      const res = await fetch(proxy.url('main', '/?delay=2s'));
      assert.equal(res.status, 408);
      assert.equal(await res.text(), 'stream timeout');
    });
  });

  it('request_timeout answers 408 "request timeout" to a client that never finishes its body', async () => {
    await withProxy(echo, 'request_timeout: 0.2s', async (proxy) => {
      const answer = await rawExchange(proxy.port('main'), 'POST /?delay=5s HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\npartial', 3000);
      assert.match(answer, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.match(answer, /\r\n\r\nrequest timeout$/);
    });
  });

  it('max_requests_per_connection closes the connection after the Nth response', async () => {
    await withProxy(echo, 'common_http_protocol_options: { max_requests_per_connection: 2 }', async (proxy) => {
      const req = (n: number) => `GET /${n} HTTP/1.1\r\nHost: x\r\n\r\n`;
      const answer = await rawExchange(proxy.port('main'), req(1) + req(2) + req(3), 2000);
      const statuses = answer.match(/HTTP\/1\.1 \d{3} /g) ?? [];
      assert.equal(statuses.length, 2);
      assert.match(answer, /connection: close/i);
    });
  });

  it('buffer filter: bodies over max_request_bytes get 413, smaller ones arrive with a content-length', async () => {
    const filters = `- name: envoy.filters.http.buffer
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.filters.http.buffer.v3.Buffer
    max_request_bytes: 1024
- name: envoy.filters.http.router`;
    await withProxy(
      echo,
      '',
      async (proxy) => {
        const big = await fetch(proxy.url('main'), { method: 'POST', body: 'x'.repeat(5000) });
        assert.equal(big.status, 413);
        assert.equal(await big.text(), 'Payload Too Large');
        const small = await new Promise<Echoed>((resolve, reject) => {
          const req = http.request({ port: proxy.port('main'), host: '127.0.0.1', method: 'POST', path: '/' }, (res) => {
            let data = '';
            res.on('data', (d) => (data += d));
            res.on('end', () => resolve(JSON.parse(data) as Echoed));
          });
          req.on('error', reject);
          req.write('hello ');
          req.end('world');
        });
        assert.deepEqual(small.headers['Content-Length'], ['11']);
        const stats = await (await fetch(`${proxy.adminUrl}/stats?filter=downstream_rq_too_large`)).text();
        assert.equal(stats, 'http.ingress_http.downstream_rq_too_large: 1\n');
      },
      filters,
    );
  });
});
