// The downstream HTTP/1 codec's connection handling: pipelining in order, malformed
// input, header and idle timeouts, clients that go away, back-pressure, draining.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { byPath, count, eventually, headers, rawClient, sleep, startCodecServer, type CodecServer, type Exchange } from './harness.js';

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: h\r\n${extra}\r\n`;
const ok = (body: string): string => `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n\r\n${body}`;

describe('HTTP/1 codec: pipelining', () => {
  let server: CodecServer;
  before(async () => {
    server = await startCodecServer();
  });
  after(() => server.close());

  it('answers pipelined requests in order, handing each over only after the previous response', async () => {
    server.log.length = 0;
    const c = await rawClient(server.port);
    // The first answer is the slowest: order must still hold.
    c.write(get('/slow/80/one') + get('/slow/10/two') + get('/slow/0/three'));
    const all = await c.until((t) => t.endsWith('three'));
    assert.equal(all, ok('one') + ok('two') + ok('three'));
    assert.deepEqual(server.log, ['stream /slow/80/one', 'stream /slow/10/two', 'stream /slow/0/three']);
    c.destroy();
  });

  it('keeps pipelined request bodies with their request', async () => {
    const c = await rawClient(server.port);
    const post = (body: string): string => `POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    c.write(get('/slow/30/first') + post('alpha') + `POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nbeta\r\n0\r\n\r\n`);
    assert.equal(await c.until((t) => t.endsWith('beta')), ok('first') + ok('alpha') + ok('beta'));
    c.destroy();
  });

  it('a malformed request behind good ones is answered (400) after them, then the connection closes', async () => {
    const c = await rawClient(server.port);
    c.write(get('/slow/30/good') + 'GARBAGE\r\n\r\n');
    const all = await c.closed;
    assert.equal(all, `${ok('good')}HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
  });
});

describe('HTTP/1 codec: malformed requests', () => {
  let server: CodecServer;
  before(async () => {
    server = await startCodecServer(byPath, { maxRequestHeadersKb: 8 });
  });
  after(() => server.close());

  it('garbage: protocol_error (400) and close', async () => {
    const c = await rawClient(server.port);
    c.write('GARBAGE\r\n\r\n');
    assert.match(await c.closed, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal(server.errors.at(-1)?.kind, 'protocol_error');
  });

  it('Content-Length with Transfer-Encoding (smuggling): protocol_error (400)', async () => {
    const c = await rawClient(server.port);
    c.write('POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    assert.match(await c.closed, /^HTTP\/1\.1 400 Bad Request\r\n/);
    assert.equal(server.errors.at(-1)?.kind, 'protocol_error');
  });

  it('headers over the limit: headers_too_large (431)', async () => {
    const c = await rawClient(server.port);
    c.write(`GET /cl HTTP/1.1\r\nHost: h\r\nx-big: ${'a'.repeat(10_000)}\r\n\r\n`);
    assert.match(await c.closed, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    assert.equal(server.errors.at(-1)?.kind, 'headers_too_large');
  });

  it('a bad chunk in the body of the request being served: the stream is reset and a 400 goes out', async () => {
    const before = server.exchanges.length;
    const c = await rawClient(server.port);
    c.write('POST /echo HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\nzz\r\n');
    assert.match(await c.closed, /^HTTP\/1\.1 400 Bad Request\r\n/);
    const ex = server.exchanges[before]!;
    assert.deepEqual(ex.resets, ['protocol_error']);
  });
});

describe('HTTP/1 codec: timeouts', () => {
  it('request head not complete within headersTimeoutMs: header_timeout (408)', async () => {
    const server = await startCodecServer(byPath, { headersTimeoutMs: 150 });
    try {
      const c = await rawClient(server.port);
      c.write('GET /cl HTTP/1.1\r\nHost: h\r\n');
      assert.match(await c.closed, /^HTTP\/1\.1 408 Request Timeout\r\n/);
      assert.equal(server.errors.at(-1)?.kind, 'header_timeout');
      // A complete, prompt request is not affected.
      const d = await rawClient(server.port);
      d.write(get('/cl'));
      await d.until((t) => t.endsWith('hello'));
      await sleep(250);
      d.write(get('/cl'));
      await d.until((t) => count(t, 'hello') === 2, 'second response');
      d.destroy();
    } finally {
      await server.close();
    }
  });

  it('idle keep-alive connections close after idleTimeoutMs, busy ones do not', async () => {
    const server = await startCodecServer(byPath, { idleTimeoutMs: 150 });
    try {
      const c = await rawClient(server.port);
      c.write(get('/cl'));
      await c.until((t) => t.endsWith('hello'));
      assert.equal(await c.closed, ok('hello'));
      assert.equal(server.idleTimeouts, 1);
      // A response slower than the idle timeout still completes.
      const d = await rawClient(server.port);
      d.write(get('/slow/300/late'));
      assert.equal(await d.until((t) => t.endsWith('late')), ok('late'));
      d.destroy();
    } finally {
      await server.close();
    }
  });
});

describe('HTTP/1 codec: clients that go away', () => {
  let server: CodecServer;
  const held: Exchange[] = [];
  before(async () => {
    // /hold never answers on its own; anything else goes to byPath.
    server = await startCodecServer((ex) => {
      if (ex.stream.requestHeaders.get(':path') === '/hold') held.push(ex);
      else byPath(ex);
    });
  });
  after(() => server.close());

  it('mid-body: onReset(remote_reset)', async () => {
    const c = await rawClient(server.port);
    c.write('POST /hold HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\npartial');
    await eventually(() => held.length === 1 && held[0]!.body.length > 0, 'body delivered');
    c.destroy();
    await eventually(() => held[0]!.resets.length > 0, 'reset');
    assert.deepEqual(held[0]!.resets, ['remote_reset']);
  });

  it('request complete, response in progress: onReset(connection_termination)', async () => {
    const c = await rawClient(server.port);
    c.write(get('/hold'));
    await eventually(() => held.length === 2, 'stream');
    held[1]!.stream.writeHeaders(headers(200), false);
    held[1]!.stream.writeData(Buffer.from('part'), false);
    await c.until((t) => t.includes('part'));
    c.destroy();
    await eventually(() => held[1]!.resets.length > 0, 'reset');
    assert.deepEqual(held[1]!.resets, ['connection_termination']);
  });

  it('a stream reset by the server closes the connection without an onReset back', async () => {
    const c = await rawClient(server.port);
    c.write(get('/hold'));
    await eventually(() => held.length === 3, 'stream');
    held[2]!.stream.reset();
    await c.closed;
    await sleep(20);
    assert.deepEqual(held[2]!.resets, []);
  });
});

describe('HTTP/1 codec: flow control', () => {
  it('writeData returns false on a slow reader and onWritable follows the drain; bytes arrive intact', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let falses = 0;
    let written = 0;
    const total = 256;
    const server = await startCodecServer((ex) => {
      const s = ex.stream;
      s.writeHeaders(headers(200, { 'content-length': String(chunk.length * total) }), false);
      const pump = (): void => {
        while (written < total) {
          written++;
          if (!s.writeData(chunk, written === total)) {
            falses++;
            return;
          }
        }
      };
      ex.stream.events!.onWritable = () => {
        ex.writable++;
        pump();
      };
      pump();
    });
    try {
      const socket = net.connect(server.port, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(get('/big'));
      let received = 0;
      socket.pause();
      await sleep(100); // let the server's socket buffer fill
      socket.on('data', (c: Buffer) => (received += c.length));
      socket.resume();
      await eventually(() => received >= chunk.length * total, 'whole body');
      const ex = server.exchanges[0]!;
      assert.ok(falses >= 1, 'writeData said the socket is full');
      assert.ok(ex.writable >= 1, 'onWritable fired');
      assert.equal(written, total);
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  it('pauseReading holds request body events until resumeReading', async () => {
    let resume: () => void = () => undefined;
    const server = await startCodecServer((ex) => {
      ex.stream.pauseReading();
      resume = () => ex.stream.resumeReading();
      byPath(ex);
    });
    try {
      const c = await rawClient(server.port);
      c.write('POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello');
      await sleep(60);
      assert.equal(server.exchanges[0]!.body.length, 0);
      resume();
      assert.equal(await c.until((t) => t.endsWith('hello')), ok('hello'));
      c.destroy();
    } finally {
      await server.close();
    }
  });
});

describe('HTTP/1 codec: draining', () => {
  it('closeIdle closes idle connections now and busy ones after their response (connection: close)', async () => {
    const server = await startCodecServer();
    try {
      const idle = await rawClient(server.port);
      idle.write(get('/cl'));
      await idle.until((t) => t.endsWith('hello'));
      const busy = await rawClient(server.port);
      busy.write(get('/slow/100/done'));
      await eventually(() => server.exchanges.length === 2, 'busy stream');
      server.codec.closeIdle();
      assert.equal(await idle.closed, ok('hello'));
      assert.equal(await busy.closed, 'HTTP/1.1 200 OK\r\ncontent-length: 4\r\nconnection: close\r\n\r\ndone');
      await eventually(() => server.codec.connectionCount === 0, 'connections released');
    } finally {
      await server.close();
    }
  });
});
