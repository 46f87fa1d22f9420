// The HTTP/2 upstream pool against a real h2c server: responses and trailers,
// request bodies, multiplexing on one connection, refused streams, GOAWAY, failures.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { Http2ConnectionPool } from '../../../src/proxy/upstream/conn_pool/http2_pool.js';
import { ClusterInfo } from '../../../src/proxy/upstream/cluster_info.js';
import { Host } from '../../../src/proxy/upstream/host.js';
import { HeaderMap } from '../../../src/proxy/http/header_map.js';
import { StatsStore } from '../../../src/proxy/stats/store.js';
import type { ResetReason, UpstreamRequest } from '../../../src/proxy/upstream/conn_pool/types.js';

interface Result {
  status?: number;
  headers?: HeaderMap;
  body: string;
  trailers?: HeaderMap;
  reset?: ResetReason;
}

function send(pool: Http2ConnectionPool, request: Partial<UpstreamRequest> & { path: string }): Promise<Result> {
  const headers = request.headers ?? HeaderMap.from({ ':authority': 'backend' });
  return new Promise((resolve) => {
    const result: Result = { body: '' };
    pool.newStream({ method: 'GET', body: null, ...request, headers }, {
      onHeaders: (status, h) => {
        result.status = status;
        result.headers = h;
        return true;
      },
      onData: (chunk) => {
        result.body += chunk.toString();
        return true;
      },
      onComplete: (trailers) => {
        result.trailers = trailers;
        resolve(result);
      },
      onReset: (reason) => {
        result.reset = reason;
        resolve(result);
      },
    });
  });
}

function makePool(port: number, stats = new StatsStore()): { pool: Http2ConnectionPool; info: ClusterInfo } {
  const info = new ClusterInfo({ name: 'h2', connect_timeout: { seconds: 1 }, http2_protocol_options: {} }, stats.scope(''), 'c');
  const host = new Host({ ip: '127.0.0.1', port, hostname: '', weight: 1, priority: 0 });
  return { pool: new Http2ConnectionPool(host, info), info };
}

describe('HTTP/2 upstream pool', () => {
  let server: http2.Http2Server;
  let port = 0;
  let sessions = 0;
  const open = new Set<http2.ServerHttp2Session>();
  before(async () => {
    server = http2.createServer();
    server.on('session', (s) => {
      sessions++;
      open.add(s);
      s.on('close', () => open.delete(s));
    });
    server.on('stream', (stream, headers) => {
      stream.on('error', () => undefined); // the refused stream errors on this side too
      const path = headers[':path'] ?? '/';
      if (path === '/refuse') {
        stream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return;
      }
      if (path === '/goaway') {
        stream.respond({ ':status': 200 });
        stream.end('bye');
        stream.session?.goaway();
        stream.session?.close(); // as real servers do after GOAWAY
        return;
      }
      if (path.startsWith('/slow')) {
        setTimeout(() => {
          if (stream.destroyed) return;
          stream.respond({ ':status': 200 });
          stream.end('slow');
        }, 50);
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        stream.respond({ ':status': 200, 'content-type': 'text/plain', 'x-method': String(headers[':method']) }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'x-echo-len': String(Buffer.concat(chunks).length) }));
        stream.end(`path=${path} authority=${headers[':authority']} body=${Buffer.concat(chunks).toString()}`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });
  after(async () => {
    // Every pool was destroyed, so every server-side session must have closed too.
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(open.size, 0, 'sessions left open by the pools');
    await new Promise((r) => server.close(r));
  });

  it('sends a request and gets headers, body and trailers', async () => {
    const { pool } = makePool(port);
    try {
      const r = await send(pool, { path: '/hello' });
      assert.equal(r.status, 200);
      assert.equal(r.headers?.get('x-method'), 'GET');
      assert.equal(r.body, 'path=/hello authority=backend body=');
      assert.equal(r.trailers?.get('grpc-status'), '0');
    } finally {
      await pool.destroy();
    }
  });

  it('sends request bodies', async () => {
    const { pool } = makePool(port);
    try {
      const r = await send(pool, { path: '/post', method: 'POST', body: Buffer.from('payload') });
      assert.equal(r.body, 'path=/post authority=backend body=payload');
      assert.equal(r.trailers?.get('x-echo-len'), '7');
    } finally {
      await pool.destroy();
    }
  });

  it('multiplexes concurrent requests over one connection', async () => {
    const stats = new StatsStore();
    const { pool } = makePool(port, stats);
    const before = sessions;
    try {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => send(pool, { path: `/slow?i=${i}` })));
      assert.deepEqual(results.filter((r) => !(r.status === 200 && r.body === 'slow')), []);
      assert.equal(sessions - before, 1);
      assert.equal(stats.counters.get('cluster.h2.upstream_cx_http2_total')?.value, 1);
      assert.equal(stats.counters.get('cluster.h2.upstream_rq_total')?.value, 20);
    } finally {
      await pool.destroy();
    }
  });

  it('reports a refused stream as remote_refused_stream_reset (retriable by refused-stream)', async () => {
    const { pool } = makePool(port);
    try {
      const r = await send(pool, { path: '/refuse' });
      assert.equal(r.reset, 'remote_refused_stream_reset');
    } finally {
      await pool.destroy();
    }
  });

  it('after GOAWAY, new streams go to a new connection', async () => {
    const { pool } = makePool(port);
    const before = sessions;
    try {
      assert.equal((await send(pool, { path: '/goaway' })).body, 'bye');
      await new Promise((r) => setTimeout(r, 20));
      assert.equal((await send(pool, { path: '/after' })).status, 200);
      assert.equal(sessions - before, 2);
    } finally {
      await pool.destroy();
    }
  });

  it('a closed port is a connection failure', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const dead = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const stats = new StatsStore();
    const { pool } = makePool(dead, stats);
    try {
      assert.equal((await send(pool, { path: '/' })).reset, 'connection_failure');
      assert.equal(stats.counters.get('cluster.h2.upstream_cx_connect_fail')?.value, 1);
    } finally {
      await pool.destroy();
    }
  });
});
