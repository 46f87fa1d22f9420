// How the HTTP/1 pool fails: Envoy's reset reasons and the counters that go with them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { RawUpstream, delay, makePool, okResponse, send } from './helpers.js';

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A listener whose accept queue is full: a child process listens with backlog 1 and
 * blocks its event loop, and two connections fill the queue, so the kernel drops
 * further SYNs and a connect hangs. (A non-routable address such as 10.255.255.1 is
 * no use here: this sandbox answers every outbound connect at once.)
 */
async function blackhole(): Promise<{ port: number; close(): void }> {
  const script = `const net=require('net');const s=net.createServer().listen({port:0,host:'127.0.0.1',backlog:1},()=>{process.stdout.write(s.address().port+'\\n');setTimeout(()=>Atomics.wait(new Int32Array(new SharedArrayBuffer(4)),0,0,30000),20)})`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((resolve) => child.stdout.once('data', (d: Buffer) => resolve(Number(String(d).trim()))));
  await delay(50);
  const fillers: net.Socket[] = [];
  for (let i = 0; i < 4; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => undefined);
    fillers.push(s);
    const connected = await new Promise<boolean>((resolve) => {
      s.once('connect', () => resolve(true));
      setTimeout(() => resolve(false), 200);
    });
    if (!connected) break;
  }
  return {
    port,
    close: () => {
      for (const s of fillers) s.destroy();
      child.kill('SIGKILL');
    },
  };
}

describe('HTTP/1 pool: connect failures', () => {
  it('connection refused: connection_failure with delayed connect error: 111, and counters', async () => {
    const fx = makePool(await closedPort());
    try {
      const r = await send(fx.pool);
      assert.equal(r.reset, 'connection_failure');
      assert.equal(r.detail, 'delayed connect error: 111');
      assert.equal(fx.stat('upstream_cx_connect_fail'), 1);
      assert.equal(fx.stat('upstream_cx_total'), 1);
      assert.equal(fx.stat('upstream_cx_active'), 0);
      assert.equal(fx.stat('upstream_rq_total'), 0, 'no request was written');
      assert.equal(fx.stat('upstream_rq_pending_failure_eject'), 1);
      assert.equal(fx.host.counters.cx_connect_fail, 1);
      assert.equal(fx.host.activeConnections, 0);
      assert.equal(fx.pool.activeStreams, 0);
    } finally {
      await fx.pool.destroy();
    }
  });

  it('fails every request queued behind the failed connect', async () => {
    const fx = makePool(await closedPort(), { circuit_breakers: { thresholds: [{ max_connections: { value: 1 } }] } });
    try {
      const results = await Promise.all([send(fx.pool), send(fx.pool), send(fx.pool)]);
      assert.deepEqual(results.map((r) => r.reset), ['connection_failure', 'connection_failure', 'connection_failure']);
      assert.equal(fx.info.pendingRequests, 0);
      assert.equal(fx.stat('upstream_rq_pending_active'), 0);
    } finally {
      await fx.pool.destroy();
    }
  });

  it('connect timeout: connection_failure and upstream_cx_connect_timeout', async () => {
    const hole = await blackhole();
    const fx = makePool(hole.port, { connect_timeout: { nanos: 100_000_000 } });
    try {
      const r = await send(fx.pool);
      assert.equal(r.reset, 'connection_failure');
      assert.equal(r.detail, 'connect timeout');
      assert.equal(fx.stat('upstream_cx_connect_timeout'), 1);
      assert.equal(fx.stat('upstream_cx_connect_fail'), 1);
      assert.equal(fx.stat('upstream_cx_destroy_local'), 1);
    } finally {
      hole.close();
      await fx.pool.destroy();
    }
  });
});

describe('HTTP/1 pool: failures on a connection', () => {
  it('server closing mid-body: connection_termination after headers', async () => {
    const upstream = await new RawUpstream((_req, conn) => {
      conn.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial');
      setTimeout(() => conn.socket.destroy(), 10);
    }).listen();
    const fx = makePool(upstream.port);
    try {
      const r = await send(fx.pool);
      assert.equal(r.status, 200);
      assert.equal(r.body, 'partial');
      assert.equal(r.reset, 'connection_termination');
      assert.equal(fx.stat('upstream_rq_rx_reset'), 1);
      assert.equal(fx.stat('upstream_cx_destroy_remote_with_active_rq'), 1);
      assert.equal(fx.pool.activeStreams, 0);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('server closing mid-chunked-body: connection_termination', async () => {
    const upstream = await new RawUpstream((_req, conn) => {
      conn.socket.end('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhel');
    }).listen();
    const fx = makePool(upstream.port);
    try {
      const r = await send(fx.pool);
      assert.equal(r.reset, 'connection_termination');
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('a malformed response: protocol_error and upstream_cx_protocol_error', async () => {
    const upstream = await new RawUpstream((_req, conn) => conn.socket.write('HTTP/1.1 abc\r\n\r\n')).listen();
    const fx = makePool(upstream.port);
    try {
      const r = await send(fx.pool);
      assert.equal(r.reset, 'protocol_error');
      assert.match(r.detail ?? '', /^HPE_/);
      assert.equal(fx.stat('upstream_cx_protocol_error'), 1);
      await delay(10);
      assert.equal(upstream.conns[0]!.closed, true);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('conflicting content-length and transfer-encoding is a protocol error (no smuggling)', async () => {
    const upstream = await new RawUpstream((_req, conn) =>
      conn.socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\ncontent-length: 6\r\n\r\nhello!'),
    ).listen();
    const fx = makePool(upstream.port);
    try {
      const r = await send(fx.pool);
      assert.equal(r.reset, 'protocol_error');
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('bytes after a complete response close the connection instead of answering the next request', async () => {
    const upstream = await new RawUpstream((_req, conn) => conn.socket.write(okResponse('one') + okResponse('smuggled'))).listen();
    const fx = makePool(upstream.port);
    try {
      const r = await send(fx.pool);
      assert.equal(r.body, 'one');
      await delay(10);
      assert.equal(upstream.conns[0]!.closed, true);
      assert.equal(fx.stat('upstream_cx_protocol_error'), 1);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });
});

describe('HTTP/1 pool: heads llhttp delivers in pieces', () => {
  it('reads a response with more than 32 header fields', async () => {
    let extra = '';
    for (let i = 0; i < 40; i++) extra += `x-h${i}: v${i}\r\n`;
    const upstream = await new RawUpstream((_req, conn) => conn.socket.write(okResponse('many', extra))).listen();
    const fx = makePool(upstream.port);
    try {
      const r = await send(fx.pool);
      assert.equal(r.body, 'many');
      assert.equal(r.headers?.get('x-h0'), 'v0');
      assert.equal(r.headers?.get('x-h39'), 'v39');
      assert.equal(r.headers?.get('content-length'), '4');
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('reads the next response on a connection after one with trailers', async () => {
    const upstream = await new RawUpstream((req, conn) => {
      if (req.head.startsWith('GET /trailers')) conn.socket.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n1\r\na\r\n0\r\nx-t: 1\r\n\r\n');
      else conn.socket.write(okResponse(`conn ${conn.index}`, 'x-after: yes\r\n'));
    }).listen();
    const fx = makePool(upstream.port);
    try {
      const t = await send(fx.pool, { path: '/trailers' });
      assert.equal(t.trailers?.get('x-t'), '1');
      const r = await send(fx.pool);
      assert.equal(r.body, 'conn 0');
      assert.equal(r.headers?.get('x-after'), 'yes');
      assert.equal(r.trailers, undefined);
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });
});
