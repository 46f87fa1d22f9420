// Connection management of the HTTP/1 pool: keep-alive reuse (LIFO), limits, idle
// timeout, pending queue, cancellation, stale keep-alive retries, back-pressure.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { HeaderMap } from '../../../../src/proxy/http/header_map.js';
import { RawUpstream, delay, makePool, okResponse, send, until } from './helpers.js';

const echoConn = () => new RawUpstream((_req, conn) => conn.socket.write(okResponse(`conn ${conn.index}`))).listen();

describe('HTTP/1 pool: keep-alive', () => {
  it('reuses one connection for sequential requests and counts them', async () => {
    const upstream = await echoConn();
    const fx = makePool(upstream.port);
    try {
      for (let i = 0; i < 5; i++) assert.equal((await send(fx.pool)).body, 'conn 0');
      assert.equal(upstream.conns.length, 1);
      assert.equal(fx.stat('upstream_cx_total'), 1);
      assert.equal(fx.stat('upstream_cx_http1_total'), 1);
      assert.equal(fx.stat('upstream_rq_total'), 5);
      assert.equal(fx.stat('upstream_rq_pending_total'), 1, 'only the first request waited for a connection');
      assert.equal(fx.stat('upstream_rq_active'), 0);
      assert.equal(fx.stat('upstream_cx_active'), 1);
      assert.equal(fx.host.counters.cx_total, 1);
      assert.equal(fx.host.counters.rq_total, 5);
      assert.equal(fx.host.activeConnections, 1);
      assert.equal(fx.host.activeRequests, 0);
      assert.ok(fx.stat('upstream_cx_tx_bytes_total') > 0);
      assert.ok(fx.stat('upstream_cx_rx_bytes_total') > 0);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
    assert.equal(fx.stat('upstream_cx_active'), 0);
    assert.equal(fx.host.activeConnections, 0);
  });

  it('one request per connection at a time, and the most recently used connection first', async () => {
    // /slow answers after the next /fast on another connection has been answered.
    const held: Array<() => void> = [];
    const upstream = await new RawUpstream((req, conn) => {
      const reply = () => conn.socket.write(okResponse(`conn ${conn.index}`));
      if (req.head.startsWith('GET /slow')) held.push(reply);
      else reply();
    }).listen();
    const fx = makePool(upstream.port);
    try {
      const slow = send(fx.pool, { path: '/slow' });
      const fast = await send(fx.pool, { path: '/fast' });
      assert.equal(upstream.conns.length, 2, 'no pipelining behind the slow request');
      await until(() => held.length === 1);
      held.shift()!();
      const slowConn = (await slow).body;
      assert.notEqual(slowConn, fast.body);
      // Both idle now; the slow one's connection was released last.
      assert.equal((await send(fx.pool)).body, slowConn);
      assert.equal(fx.stat('upstream_rq_total'), 3);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('closes a connection after max_requests_per_connection responses', async () => {
    const upstream = await echoConn();
    const fx = makePool(upstream.port, { max_requests_per_connection: { value: 2 } });
    try {
      const bodies = [];
      for (let i = 0; i < 5; i++) bodies.push((await send(fx.pool)).body);
      assert.deepEqual(bodies, ['conn 0', 'conn 0', 'conn 1', 'conn 1', 'conn 2']);
      await until(() => upstream.conns[1]!.closed);
      assert.equal(upstream.conns[0]!.closed, true);
      assert.equal(fx.stat('upstream_cx_max_requests'), 2);
      assert.equal(fx.stat('upstream_cx_destroy_local'), 2);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('closes idle connections after the cluster idle_timeout', async () => {
    const upstream = await echoConn();
    const fx = makePool(upstream.port, {
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          common_http_protocol_options: { idle_timeout: { nanos: 100_000_000 } },
          explicit_http_config: { http_protocol_options: {} },
        },
      } as never,
    });
    try {
      assert.equal(fx.info.idleTimeoutMs, 100);
      await send(fx.pool);
      await until(() => upstream.conns[0]!.closed, 3000, 'idle connection closed');
      assert.equal(fx.stat('upstream_cx_idle_timeout'), 1);
      assert.equal(fx.stat('upstream_cx_active'), 0);
      assert.equal(fx.stat('upstream_cx_destroy_local'), 1);
      // The pool connects again when needed.
      assert.equal((await send(fx.pool)).body, 'conn 1');
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('forgets idle connections the server closed', async () => {
    const upstream = await echoConn();
    const fx = makePool(upstream.port);
    try {
      await send(fx.pool);
      upstream.conns[0]!.socket.end();
      await until(() => fx.stat('upstream_cx_active') === 0);
      assert.equal(fx.stat('upstream_cx_destroy_remote'), 1);
      assert.equal(fx.stat('upstream_cx_destroy_with_active_rq'), 0);
      assert.equal((await send(fx.pool)).body, 'conn 1');
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });
});

describe('HTTP/1 pool: circuit breakers and queueing', () => {
  it('queues requests at max_connections and serves them in order on the free connection', async () => {
    const upstream = await new RawUpstream((req, conn) => {
      setTimeout(() => conn.socket.write(okResponse(`${req.head.split(' ')[1]} on ${conn.index}`)), 5);
    }).listen();
    const fx = makePool(upstream.port, { circuit_breakers: { thresholds: [{ max_connections: { value: 1 } }] } });
    try {
      const results = await Promise.all([1, 2, 3, 4].map((i) => send(fx.pool, { path: `/${i}` })));
      assert.deepEqual(results.map((r) => r.body), ['/1 on 0', '/2 on 0', '/3 on 0', '/4 on 0']);
      assert.equal(upstream.conns.length, 1);
      assert.equal(fx.stat('upstream_rq_pending_total'), 4);
      assert.equal(fx.stat('upstream_rq_pending_active'), 0);
      assert.ok(fx.stat('upstream_cx_overflow') >= 1);
      assert.equal(fx.info.pendingRequests, 0);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('rejects with overflow when the pending queue is full', async () => {
    const upstream = await echoConn();
    const fx = makePool(upstream.port, { circuit_breakers: { thresholds: [{ max_connections: { value: 1 }, max_pending_requests: { value: 1 } }] } });
    try {
      const first = send(fx.pool, { path: '/1' });
      const second = await send(fx.pool, { path: '/2' });
      assert.equal(second.reset, 'overflow');
      assert.equal(fx.stat('upstream_rq_pending_overflow'), 1);
      assert.equal((await first).status, 200);
      assert.equal(fx.pool.activeStreams, 0);
      assert.equal(fx.host.activeRequests, 0);
      assert.equal(fx.info.circuitBreakerStats.rq_pending_open.value, 0);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });
});

describe('HTTP/1 pool: cancel', () => {
  it('a request cancelled while queued never reaches a socket and gets no callbacks', async () => {
    const upstream = await echoConn();
    const fx = makePool(upstream.port);
    try {
      let called = false;
      const stream = fx.pool.newStream(
        { method: 'POST', path: '/never', headers: HeaderMap.from({ ':authority': 'b' }), body: Buffer.from('x') },
        { onHeaders: () => ((called = true), true), onData: () => true, onComplete: () => (called = true), onReset: () => (called = true) },
      );
      stream.cancel();
      await delay(50);
      assert.equal(called, false);
      assert.equal(upstream.requests.length, 0);
      assert.equal(fx.stat('upstream_rq_cancelled'), 1);
      assert.equal(fx.stat('upstream_rq_pending_active'), 0);
      assert.equal(fx.pool.activeStreams, 0);
      // The connection it asked for is parked and serves the next request.
      assert.equal((await send(fx.pool)).body, 'conn 0');
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('cancel after headers closes that connection and stops callbacks', async () => {
    const upstream = await new RawUpstream((req, conn) => {
      if (req.head.startsWith('GET /partial')) conn.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nfirst');
      else conn.socket.write(okResponse(`conn ${conn.index}`));
    }).listen();
    const fx = makePool(upstream.port);
    try {
      let after = 0;
      let cancelled = false;
      const pending = send(fx.pool, {
        path: '/partial',
        onData: (_c, stream) => {
          if (cancelled) after++;
          else {
            cancelled = true;
            stream.cancel();
          }
          return true;
        },
      });
      await until(() => cancelled);
      upstream.conns[0]!.socket.write('more bytes that nobody reads');
      await until(() => upstream.conns[0]!.closed);
      let settled = false;
      void pending.then(() => (settled = true));
      await delay(20);
      assert.equal(settled, false, 'no onComplete/onReset after cancel');
      assert.equal(after, 0);
      assert.equal(fx.stat('upstream_rq_tx_reset'), 1);
      assert.equal(fx.stat('upstream_cx_destroy_local_with_active_rq'), 1);
      assert.equal(fx.pool.activeStreams, 0);
      assert.equal((await send(fx.pool)).body, 'conn 1');
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });
});

describe('HTTP/1 pool: stale keep-alive connections', () => {
  // The server answers the first request on each connection, then closes the
  // connection when the next request arrives, without answering (a keep-alive timeout
  // racing the request).
  const racing = () =>
    new RawUpstream((req, conn) => {
      if (conn.requests.length === 1) conn.socket.write(okResponse(`conn ${conn.index} ${req.body}`));
      else conn.socket.destroy();
    }).listen();

  it('sends the request again on a fresh connection when nothing came back', async () => {
    const upstream = await racing();
    const fx = makePool(upstream.port);
    try {
      assert.equal((await send(fx.pool)).body, 'conn 0 ');
      const r = await send(fx.pool, { method: 'POST', body: Buffer.from('payload') });
      assert.equal(r.status, 200);
      assert.equal(r.body, 'conn 1 payload');
      assert.equal(fx.stat('upstream_rq_rx_reset'), 0);
      assert.equal(fx.stat('upstream_cx_connect_fail'), 0);
      assert.equal(fx.stat('upstream_rq_total'), 2);
      assert.equal(fx.pool.activeStreams, 0);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('does not resend a streamed body: connection_termination', async () => {
    const upstream = await racing();
    const fx = makePool(upstream.port);
    try {
      await send(fx.pool);
      const r = await send(fx.pool, { method: 'POST', body: Readable.from([Buffer.from('streamed')]) });
      assert.equal(r.reset, 'connection_termination');
      assert.equal(fx.stat('upstream_rq_rx_reset'), 1);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('does not retry on a connection used for the first time', async () => {
    const upstream = await new RawUpstream((_req, conn) => conn.socket.destroy()).listen();
    const fx = makePool(upstream.port);
    try {
      const r = await send(fx.pool);
      assert.equal(r.reset, 'connection_termination');
      assert.equal(upstream.conns.length, 1);
      assert.equal(fx.stat('upstream_cx_destroy_remote_with_active_rq'), 1);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });
});

describe('HTTP/1 pool: back-pressure', () => {
  it('stops reading the socket while the consumer is paused and resumes on demand', async () => {
    const size = 32 * 1024 * 1024;
    let serverSocket: import('node:net').Socket | undefined;
    const upstream = await new RawUpstream((_req, conn) => {
      serverSocket = conn.socket;
      conn.socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${size}\r\n\r\n`);
      conn.socket.write(Buffer.alloc(size, 'a'));
    }).listen();
    const fx = makePool(upstream.port);
    try {
      let received = 0;
      let paused = false;
      let pausedOnce = false;
      let callsWhilePaused = 0;
      let stream!: import('../../../../src/proxy/upstream/conn_pool/types.js').UpstreamStream;
      const pending = send(fx.pool, {
        onData: (chunk, s) => {
          stream = s;
          if (paused) callsWhilePaused++;
          received += chunk.length;
          if (received > 1024 * 1024 && !pausedOnce) {
            paused = pausedOnce = true;
            return false;
          }
          return true;
        },
      });
      await until(() => paused);
      const atPause = received;
      await delay(100);
      assert.equal(callsWhilePaused, 0, 'no onData while paused');
      assert.equal(received, atPause);
      assert.ok(serverSocket!.writableLength > 0, 'the server is blocked by TCP flow control');
      paused = false;
      stream.resume();
      const r = await pending;
      assert.equal(r.complete, true);
      assert.equal(received, size);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('paces a streamed request body by the socket', async () => {
    let got = 0;
    const upstream = await new RawUpstream((req, conn) => {
      got = req.body.length;
      conn.socket.write(okResponse());
    }).listen();
    const fx = makePool(upstream.port);
    try {
      let produced = 0;
      const chunk = Buffer.alloc(64 * 1024, 'b');
      const body = new Readable({
        read() {
          if (produced >= 8 * 1024 * 1024) this.push(null);
          else {
            produced += chunk.length;
            this.push(chunk);
          }
        },
      });
      const r = await send(fx.pool, { method: 'POST', headers: { 'content-length': String(8 * 1024 * 1024) }, body });
      assert.equal(r.status, 200);
      assert.equal(got, 8 * 1024 * 1024);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('stops sending the body when the response completes first, and does not reuse the connection', async () => {
    const upstream = await new RawUpstream(() => undefined).listen();
    upstream.server.removeAllListeners('connection');
    upstream.server.on('connection', (socket) => {
      upstream.conns.push({ index: upstream.conns.length, socket, requests: [], closed: false });
      const conn = upstream.conns.at(-1)!;
      socket.on('close', () => (conn.closed = true));
      socket.once('data', () => socket.write('HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n'));
      socket.on('error', () => undefined);
    });
    const fx = makePool(upstream.port);
    try {
      const body = new Readable({ read() {} });
      body.push(Buffer.from('start'));
      const r = await send(fx.pool, { method: 'POST', body });
      assert.equal(r.status, 413);
      assert.equal(r.complete, true);
      await until(() => upstream.conns[0]!.closed);
      assert.equal(body.listenerCount('data'), 0);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });
});

describe('HTTP/1 pool: drain', () => {
  it('lets the active request finish, closes idle connections, then resolves', async () => {
    const held: Array<() => void> = [];
    const upstream = await new RawUpstream((req, conn) => {
      const reply = () => conn.socket.write(okResponse('done'));
      if (req.head.startsWith('GET /hold')) held.push(reply);
      else reply();
    }).listen();
    const fx = makePool(upstream.port);
    const active = send(fx.pool, { path: '/hold' });
    await send(fx.pool, { path: '/quick' });
    let drained = false;
    const draining = fx.pool.drain().then(() => (drained = true));
    await until(() => held.length === 1);
    await delay(20);
    assert.equal(drained, false);
    held[0]!();
    assert.equal((await active).body, 'done');
    await draining;
    assert.equal(fx.stat('upstream_cx_active'), 0);
    const late = await send(fx.pool);
    assert.equal(late.reset, 'connection_failure');
    await upstream.close();
  });
});
