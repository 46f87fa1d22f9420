// What skein's HTTP/1 client puts on the wire and how it reads responses, checked
// byte for byte against a raw TCP upstream.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { RawUpstream, delay, makePool, okResponse, send, type PoolFixture } from './helpers.js';

describe('HTTP/1 client: request bytes', () => {
  let upstream: RawUpstream;
  let fx: PoolFixture;
  before(async () => {
    upstream = await new RawUpstream((_req, conn) => conn.socket.write(okResponse())).listen();
    fx = makePool(upstream.port);
  });
  after(async () => {
    await fx.pool.destroy();
    await upstream.close();
  });

  const last = () => upstream.requests.at(-1)!;

  it('writes the request line and headers with host first, no pseudo-headers and no connection header', async () => {
    const r = await send(fx.pool, { path: '/get?x=1', headers: { 'x-a': '1', 'user-agent': 'curl/8' } });
    assert.equal(r.status, 200);
    assert.equal(last().raw, 'GET /get?x=1 HTTP/1.1\r\nhost: backend\r\nx-a: 1\r\nuser-agent: curl/8\r\n\r\n');
  });

  it('adds content-length: 0 to an empty POST, PUT and PATCH but not to an empty GET or DELETE', async () => {
    for (const method of ['POST', 'PUT', 'PATCH']) {
      await send(fx.pool, { method, path: '/m' });
      assert.equal(last().raw, `${method} /m HTTP/1.1\r\nhost: backend\r\ncontent-length: 0\r\n\r\n`);
    }
    for (const method of ['GET', 'DELETE']) {
      await send(fx.pool, { method, path: '/m' });
      assert.equal(last().raw, `${method} /m HTTP/1.1\r\nhost: backend\r\n\r\n`);
    }
  });

  it('sends a Buffer body with a content-length it adds when missing', async () => {
    await send(fx.pool, { method: 'POST', path: '/post', body: Buffer.from('{"a":1}') });
    assert.equal(last().raw, 'POST /post HTTP/1.1\r\nhost: backend\r\ncontent-length: 7\r\n\r\n{"a":1}');
  });

  it('keeps a content-length header given with the request', async () => {
    await send(fx.pool, { method: 'PUT', path: '/p', headers: { 'content-length': '3' }, body: Buffer.from('abc') });
    assert.equal(last().raw, 'PUT /p HTTP/1.1\r\nhost: backend\r\ncontent-length: 3\r\n\r\nabc');
  });

  it('frames a streamed body of unknown length as chunked (and drops a transfer-encoding given)', async () => {
    const body = new Readable({ read() {} });
    const pending = send(fx.pool, { method: 'POST', path: '/up', headers: { 'transfer-encoding': 'chunked' }, body });
    body.push(Buffer.from('hello'));
    await delay(10);
    body.push(Buffer.alloc(0));
    body.push(Buffer.from(' world, and more'));
    body.push(null);
    const r = await pending;
    assert.equal(r.status, 200);
    assert.equal(last().raw, 'POST /up HTTP/1.1\r\nhost: backend\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n10\r\n world, and more\r\n0\r\n\r\n');
  });

  it('streams a body with a known content-length unframed', async () => {
    const body = Readable.from([Buffer.from('ab'), Buffer.from('cd')]);
    await send(fx.pool, { method: 'POST', path: '/s', headers: { 'content-length': '4' }, body });
    assert.equal(last().raw, 'POST /s HTTP/1.1\r\nhost: backend\r\ncontent-length: 4\r\n\r\nabcd');
  });

  it('sends a large Buffer body intact', async () => {
    const big = Buffer.alloc(300_000, 'x');
    await send(fx.pool, { method: 'POST', path: '/big', body: big });
    assert.equal(last().body.length, 300_000);
    assert.match(last().head, /content-length: 300000\r\n/);
  });

  it('adds upgrade and connection: upgrade for an upgrade request when absent', async () => {
    upstream.respond = (_req, conn) => conn.socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n');
    try {
      const r = await send(fx.pool, { path: '/ws', upgrade: 'websocket' });
      assert.equal(r.upgrade?.status, 101);
      r.upgrade?.socket.destroy();
      assert.equal(last().raw, 'GET /ws HTTP/1.1\r\nhost: backend\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n');
    } finally {
      upstream.respond = (_req, conn) => conn.socket.write(okResponse());
    }
  });

  it('refuses header values that would split the request, without touching a socket', async () => {
    const before = upstream.requests.length;
    const r = await send(fx.pool, { path: '/x', headers: { 'x-bad': 'a\r\nx-injected: 1' } });
    assert.equal(r.reset, 'protocol_error');
    assert.equal(upstream.requests.length, before);
  });
});

describe('HTTP/1 client: responses', () => {
  let upstream: RawUpstream;
  let fx: PoolFixture;
  before(async () => {
    upstream = await new RawUpstream((req, conn) => {
      const path = req.head.split(' ')[1]!;
      const s = conn.socket;
      switch (path) {
        case '/chunked':
          s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-type: text/plain\r\n\r\n5\r\nhello\r\n');
          setTimeout(() => s.write('6\r\n world\r\n0\r\n\r\n'), 5);
          break;
        case '/trailers':
          s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: grpc-status\r\n\r\n2\r\nok\r\n0\r\ngrpc-status: 0\r\nX-Checksum: abc\r\n\r\n');
          break;
        case '/close-delimited':
          s.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil ');
          setTimeout(() => s.end('the end'), 5);
          break;
        case '/head':
          s.write('HTTP/1.1 200 OK\r\ncontent-length: 20\r\n\r\n');
          break;
        case '/informational':
          s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </style.css>\r\n\r\n');
          setTimeout(() => s.write(okResponse('final')), 5);
          break;
        case '/close':
          s.write(okResponse('bye', 'connection: close\r\n'));
          break;
        case '/http10':
          s.write('HTTP/1.0 200 OK\r\ncontent-length: 4\r\n\r\nold!');
          break;
        case '/no-content':
          s.write('HTTP/1.1 204 No Content\r\n\r\n');
          break;
        default:
          s.write(okResponse(`conn ${conn.index}`, 'X-Mixed-Case: Yes\r\n'));
      }
    }).listen();
    fx = makePool(upstream.port);
  });
  after(async () => {
    await fx.pool.destroy();
    await upstream.close();
  });

  it('gives headers with :status and lower-case names', async () => {
    const r = await send(fx.pool, { path: '/plain' });
    assert.equal(r.headers?.get(':status'), '200');
    assert.equal(r.headers?.get('x-mixed-case'), 'Yes');
    assert.equal(r.trailers, undefined);
  });

  it('reads a chunked body', async () => {
    const r = await send(fx.pool, { path: '/chunked' });
    assert.equal(r.body, 'hello world');
    assert.equal(r.complete, true);
  });

  it('hands trailers to onComplete', async () => {
    const r = await send(fx.pool, { path: '/trailers' });
    assert.equal(r.body, 'ok');
    assert.equal(r.trailers?.get('grpc-status'), '0');
    assert.equal(r.trailers?.get('x-checksum'), 'abc');
  });

  it('completes a close-delimited body at EOF and does not reuse that connection', async () => {
    const r = await send(fx.pool, { path: '/close-delimited' });
    assert.equal(r.body, 'until the end');
    assert.equal(r.complete, true);
    const next = await send(fx.pool, { path: '/plain' });
    assert.notEqual(next.body, `conn ${upstream.requests.at(-2)!.conn}`);
  });

  it('reads no body for HEAD even with a content-length, and reuses the connection', async () => {
    const r = await send(fx.pool, { method: 'HEAD', path: '/head' });
    assert.equal(r.status, 200);
    assert.equal(r.headers?.get('content-length'), '20');
    assert.equal(r.body, '');
    const conn = upstream.requests.at(-1)!.conn;
    const next = await send(fx.pool, { path: '/plain' });
    assert.equal(next.body, `conn ${conn}`);
  });

  it('skips 1xx informational responses', async () => {
    const seen: number[] = [];
    const r = await send(fx.pool, { path: '/informational', onHeaders: (status) => (seen.push(status), true) });
    assert.deepEqual(seen, [200]);
    assert.equal(r.body, 'final');
  });

  it('completes 204 without a body', async () => {
    const r = await send(fx.pool, { path: '/no-content' });
    assert.equal(r.status, 204);
    assert.equal(r.complete, true);
  });

  it('does not reuse a connection after connection: close or an HTTP/1.0 response', async () => {
    for (const path of ['/close', '/http10']) {
      const r = await send(fx.pool, { path });
      assert.equal(r.complete, true);
      const used = upstream.requests.at(-1)!.conn;
      await delay(5);
      assert.equal(upstream.conns[used]!.closed, true, `${path}: connection closed`);
      const next = await send(fx.pool, { path: '/plain' });
      assert.notEqual(next.body, `conn ${used}`);
    }
    assert.ok(fx.stat('upstream_cx_close_notify') >= 2);
  });
});

describe('HTTP/1 client: 101 Switching Protocols', () => {
  it('hands over the raw socket with the bytes that followed the head', async () => {
    const upstream = await new RawUpstream((_req, conn) => {
      const s = conn.socket;
      s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nfirst-frame');
      s.on('data', (d) => s.write(`echo:${d.toString()}`));
    }).listen();
    const fx = makePool(upstream.port);
    try {
      const r = await send(fx.pool, { path: '/ws', upgrade: 'websocket', headers: { upgrade: 'websocket', connection: 'upgrade' } });
      assert.equal(r.upgrade?.status, 101);
      assert.equal(r.upgrade?.headers.get('upgrade'), 'websocket');
      const socket = r.upgrade!.socket;
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString()));
      await delay(20);
      assert.equal(received, 'first-frame');
      socket.write('ping');
      await delay(20);
      assert.equal(received, 'first-frameecho:ping');
      assert.equal(fx.pool.activeStreams, 0);
      assert.equal(fx.stat('upstream_cx_active'), 1, 'an upgraded connection counts until it closes');
      socket.destroy();
      await delay(20);
      assert.equal(fx.stat('upstream_cx_active'), 0);
      assert.equal(upstream.requests[0]!.raw, 'GET /ws HTTP/1.1\r\nhost: backend\r\nupgrade: websocket\r\nconnection: upgrade\r\n\r\n');
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });

  it('finds the end of a 101 head split across reads', async () => {
    const upstream = await new RawUpstream((_req, conn) => {
      const s = conn.socket;
      s.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r');
      setTimeout(() => s.write('\nafter'), 20);
    }).listen();
    const fx = makePool(upstream.port);
    try {
      const r = await send(fx.pool, { path: '/u', upgrade: 'x' });
      const socket = r.upgrade!.socket;
      let received = '';
      socket.on('data', (d: Buffer) => (received += d.toString()));
      await delay(20);
      assert.equal(received, 'after');
      socket.destroy();
    } finally {
      await fx.pool.destroy();
      await upstream.close();
    }
  });
});
