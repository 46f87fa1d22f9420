// Nothing a client or upstream sends may crash the proxy or leak connections:
// malformed requests, oversized headers, smuggling attempts, abrupt disconnects.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { bootstrapYaml, routeAllTo, startProxy, staticCluster, type RunningProxy } from '../../helpers/proxy.js';
import { startHttpbin } from '../../../src/testing/httpbin/index.js';

/** Sends raw bytes and returns everything the proxy answers until it closes. */
function rawExchange(port: number, payload: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(payload));
    const chunks: Buffer[] = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

function statusLine(response: string): string {
  return response.split('\r\n')[0] ?? '';
}

async function stats(proxy: RunningProxy, filter: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${proxy.adminUrl}/stats?filter=${encodeURIComponent(filter)}`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(\S+): (\d+)$/.exec(line);
    if (m) out[m[1]!] = Number(m[2]);
  }
  return out;
}

async function eventually(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`never happened: ${what}`);
}

describe('downstream robustness', () => {
  let httpbin: Awaited<ReturnType<typeof startHttpbin>>;
  let proxy: RunningProxy;
  before(async () => {
    httpbin = await startHttpbin({ port: 0, host: '127.0.0.1' });
    proxy = await startProxy(
      bootstrapYaml({
        routeConfig: routeAllTo('httpbin'),
        clusters: staticCluster('httpbin', [httpbin.port]),
      }),
    );
  });
  after(async () => {
    await proxy.stop();
    await httpbin.close();
  });

  it('answers garbage with 400 Bad Request and closes', async () => {
    const res = await rawExchange(proxy.port('main'), 'GARBAGE\r\n\r\n');
    assert.equal(statusLine(res), 'HTTP/1.1 400 Bad Request');
  });

  it('rejects Content-Length together with Transfer-Encoding (smuggling) with 400', async () => {
    const res = await rawExchange(proxy.port('main'), 'POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    assert.equal(statusLine(res), 'HTTP/1.1 400 Bad Request');
  });

  it('rejects two different Content-Length values with 400', async () => {
    const res = await rawExchange(proxy.port('main'), 'POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!');
    assert.equal(statusLine(res), 'HTTP/1.1 400 Bad Request');
  });

  it('answers headers over max_request_headers_kb (60 KiB) with 431', async () => {
    const res = await rawExchange(proxy.port('main'), `GET /get HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(70_000)}\r\n\r\n`);
    assert.equal(statusLine(res), 'HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('answers more than max_headers_count (100) headers with 431', async () => {
    const many = Array.from({ length: 120 }, (_, i) => `x-h${i}: v\r\n`).join('');
    const res = await rawExchange(proxy.port('main'), `GET /get HTTP/1.1\r\nHost: x\r\n${many}Connection: close\r\n\r\n`);
    assert.equal(statusLine(res), 'HTTP/1.1 431 Request Header Fields Too Large');
  });

  it('answers HTTP/1.0 with 426 (accept_http_10 is off by default)', async () => {
    const res = await rawExchange(proxy.port('main'), 'GET /get HTTP/1.0\r\nHost: x\r\n\r\n');
    assert.equal(statusLine(res), 'HTTP/1.1 426 Upgrade Required');
  });

  it('streams large request bodies, fixed-length and chunked, intact', async () => {
    const body = Buffer.alloc(400_000, 'x');
    for (const chunked of [false, true]) {
      const res = await new Promise<{ status: number; json: { data: string } }>((resolve, reject) => {
        const req = http.request(
          { port: proxy.port('main'), host: '127.0.0.1', method: 'POST', path: '/anything', headers: { 'content-type': 'text/plain', ...(chunked ? {} : { 'content-length': body.length }) } },
          (r) => {
            const parts: Buffer[] = [];
            r.on('data', (c) => parts.push(c));
            r.on('end', () => resolve({ status: r.statusCode ?? 0, json: JSON.parse(Buffer.concat(parts).toString()) }));
          },
        );
        req.on('error', reject);
        if (chunked) {
          req.write(body.subarray(0, 100_000));
          req.write(body.subarray(100_000));
          req.end();
        } else req.end(body);
      });
      assert.equal(res.status, 200);
      assert.equal(res.json.data.length, body.length, `chunked=${chunked}`);
    }
  });

  it('cleans up when the client disconnects mid-request, and keeps serving', async () => {
    const socket = net.connect(proxy.port('main'), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write('GET /delay/3 HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(async () => (await stats(proxy, 'downstream_rq_active$'))['http.ingress_http.downstream_rq_active'] === 1, 'request in flight');
    socket.destroy();
    // (Other tests' keep-alive connections may still be open, so connections are not counted here.)
    await eventually(async () => {
      const s = await stats(proxy, '(downstream_rq_active|upstream_rq_active)$');
      return s['http.ingress_http.downstream_rq_active'] === 0 && s['cluster.httpbin.upstream_rq_active'] === 0;
    }, 'stream and upstream request released');
    const s = await stats(proxy, 'downstream_rq_rx_reset$');
    assert.ok(s['http.ingress_http.downstream_rq_rx_reset']! >= 1);
    assert.equal((await fetch(proxy.url('main', '/get'))).status, 200);
  });
});

describe('upstream failures', () => {
  it('connection refused: 503 with Envoy\'s body and UF details; counters show the failure', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const proxy = await startProxy(
      bootstrapYaml({
        routeConfig: routeAllTo('dead'),
        clusters: staticCluster('dead', [port]),
      }),
    );
    try {
      const res = await fetch(proxy.url('main', '/x'));
      assert.equal(res.status, 503);
      assert.equal(await res.text(), 'upstream connect error or disconnect/reset before headers. reset reason: connection failure');
      const s = await stats(proxy, 'cluster.dead.upstream_cx_connect_fail$');
      assert.equal(s['cluster.dead.upstream_cx_connect_fail'], 1);
    } finally {
      await proxy.stop();
    }
  });

  it('upstream closes mid-body: the downstream response is reset, the proxy survives', async () => {
    const upstream = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const port = (upstream.address() as net.AddressInfo).port;
    const proxy = await startProxy(
      bootstrapYaml({
        routeConfig: routeAllTo('flaky'),
        clusters: staticCluster('flaky', [port]),
      }),
    );
    try {
      const outcome = await new Promise<string>((resolve) => {
        http
          .get({ port: proxy.port('main'), host: '127.0.0.1', path: '/' }, (res) => {
            res.on('data', () => undefined);
            res.on('end', () => resolve('complete'));
            res.on('aborted', () => resolve('aborted'));
            res.on('error', () => resolve('aborted'));
          })
          .on('error', () => resolve('aborted'));
      });
      assert.equal(outcome, 'aborted');
      const s = await stats(proxy, 'rq_reset_after_downstream_response_started$');
      assert.equal(s['http.ingress_http.rq_reset_after_downstream_response_started'], 1);
      assert.equal((await fetch(`${proxy.adminUrl}/ready`)).status, 200);
    } finally {
      await proxy.stop();
      await new Promise((r) => upstream.close(r));
    }
  });

  it('cluster with no endpoints: 503 "no healthy upstream"', async () => {
    const proxy = await startProxy(
      bootstrapYaml({
        routeConfig: routeAllTo('empty'),
        clusters: `- name: empty
  connect_timeout: 1s
  type: STATIC
  load_assignment: { cluster_name: empty }`,
      }),
    );
    try {
      const res = await fetch(proxy.url('main', '/'));
      assert.equal(res.status, 503);
      assert.equal(await res.text(), 'no healthy upstream');
    } finally {
      await proxy.stop();
    }
  });
});
