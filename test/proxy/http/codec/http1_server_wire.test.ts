// The downstream HTTP/1 codec on the wire: exact response bytes for each framing,
// HEAD / 204 / 304, HTTP/1.0, Connection headers, 100-continue, and the request
// HeaderMap the connection manager sees.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rawClient, startCodecServer, type CodecServer } from './harness.js';

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: h\r\n${extra}\r\n`;

describe('HTTP/1 codec: response framing', () => {
  let server: CodecServer;
  before(async () => {
    server = await startCodecServer();
  });
  after(() => server.close());

  it('writes a Content-Length response as is, with no Connection header, and keeps the connection', async () => {
    const c = await rawClient(server.port);
    c.write(get('/cl'));
    assert.equal(await c.until((t) => t.endsWith('hello')), 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
    c.write(get('/cl'));
    await c.until((t) => t.length === 2 * 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello'.length, 'second response');
    c.destroy();
  });

  it('chunk-encodes a streamed response without Content-Length', async () => {
    const c = await rawClient(server.port);
    c.write(get('/chunked'));
    const expected = 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n2\r\ncd\r\n0\r\n\r\n';
    assert.equal(await c.until((t) => t.endsWith('0\r\n\r\n')), expected);
    c.destroy();
  });

  it('adds content-length: 0 to a headers-only response', async () => {
    const c = await rawClient(server.port);
    c.write(get('/empty'));
    assert.equal(await c.until((t) => t.endsWith('\r\n\r\n')), 'HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n');
    c.destroy();
  });

  it('HEAD: headers only (Content-Length kept, chunked only as information), and the next request parses cleanly', async () => {
    const c = await rawClient(server.port);
    c.write(`HEAD /cl HTTP/1.1\r\nHost: h\r\n\r\nHEAD /chunked HTTP/1.1\r\nHost: h\r\n\r\n${get('/cl')}`);
    const all = await c.until((t) => t.endsWith('hello'));
    assert.equal(
      all,
      'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n' +
        'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n' +
        'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello',
    );
    c.destroy();
  });

  it('204 and 304 carry no body and no framing headers, even when data is written', async () => {
    const c = await rawClient(server.port);
    c.write(get('/204') + get('/304') + get('/cl'));
    const all = await c.until((t) => t.endsWith('hello'));
    assert.equal(all, 'HTTP/1.1 204 No Content\r\n\r\nHTTP/1.1 304 Not Modified\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello');
    c.destroy();
  });

  it('strips hop-by-hop response headers: framing and connection management are the codec\'s', async () => {
    const c = await rawClient(server.port);
    c.write(get('/hop'));
    assert.equal(await c.until((t) => t.endsWith('ok')), 'HTTP/1.1 200 OK\r\nx-kept: 1\r\ncontent-length: 2\r\n\r\nok');
    c.destroy();
  });

  it('never writes a header value with CR/LF: the connection is closed instead', async () => {
    const c = await rawClient(server.port);
    c.write(get('/inject'));
    assert.equal(await c.closed, '');
  });

  it('drops response trailers by default (Envoy without enable_trailers)', async () => {
    const c = await rawClient(server.port);
    c.write(get('/trailers'));
    assert.equal(await c.until((t) => t.endsWith('0\r\n\r\n')), 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n');
    c.destroy();
  });

  it('Connection: close from the client: connection: close in the response, then the connection closes', async () => {
    const c = await rawClient(server.port);
    c.write(get('/cl', 'Connection: close\r\n'));
    assert.equal(await c.closed, 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello');
  });

  it('closeConnectionAfterResponse: connection: close, then close (pipelined requests after it are dropped)', async () => {
    const c = await rawClient(server.port);
    c.write(get('/close') + get('/cl'));
    assert.equal(await c.closed, 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok');
  });

  it('takeSocketForUpgrade hands the raw socket over (what follows the head is no longer parsed)', async () => {
    const c = await rawClient(server.port);
    c.write(get('/ws', 'Upgrade: echo\r\nConnection: Upgrade\r\n'));
    await c.until((t) => t.endsWith('\r\n\r\n'));
    c.write('GARBAGE that is not HTTP\r\n\r\n');
    assert.equal(await c.until((t) => t.endsWith('HTTP\r\n\r\n')), 'HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\nGARBAGE that is not HTTP\r\n\r\n');
    c.destroy();
  });

  it('upgrade requests are served as normal requests; the connection ends after the response', async () => {
    const c = await rawClient(server.port);
    c.write(get('/cl', 'Upgrade: websocket\r\nConnection: Upgrade\r\n'));
    assert.equal(await c.closed, 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello');
  });
});

describe('HTTP/1 codec: HTTP/1.0', () => {
  let server: CodecServer;
  before(async () => {
    server = await startCodecServer();
  });
  after(() => server.close());

  it('without keep-alive: connection: close, then close', async () => {
    const c = await rawClient(server.port);
    c.write('GET /cl HTTP/1.0\r\n\r\n');
    assert.equal(await c.closed, 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello');
  });

  it('keep-alive client with a Content-Length response: connection: keep-alive and the connection stays', async () => {
    const c = await rawClient(server.port);
    const one = 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\nconnection: keep-alive\r\n\r\nhello';
    c.write('GET /cl HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    assert.equal(await c.until((t) => t.endsWith('hello')), one);
    c.write('GET /cl HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    assert.equal(await c.until((t) => t.length === 2 * one.length), one + one);
    c.destroy();
  });

  it('never chunk-encodes: a body of unknown length ends with the connection', async () => {
    const c = await rawClient(server.port);
    c.write('GET /chunked HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    assert.equal(await c.closed, 'HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nabcd');
  });
});

describe('HTTP/1 codec: requests', () => {
  let server: CodecServer;
  before(async () => {
    server = await startCodecServer();
  });
  after(() => server.close());

  async function headersOf(request: string): Promise<{ headers: [string, string][]; protocol: string; headersOnly: boolean; bytes: number; trailers?: [string, string][]; body: string }> {
    const c = await rawClient(server.port);
    c.write(request);
    const text = await c.until((t) => {
      const m = /content-length: (\d+)\r\n/.exec(t);
      const end = t.indexOf('\r\n\r\n');
      return m !== null && end > 0 && t.length >= end + 4 + Number(m[1]);
    });
    c.destroy();
    return JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
  }

  it('maps the head to pseudo-headers and lower-case names, Host becoming :authority', async () => {
    const r = await headersOf('GET /headers?x=1 HTTP/1.1\r\nHost: example.com\r\nX-Mixed-Case: A\r\nAccept: */*\r\n\r\n');
    assert.deepEqual(r.headers, [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/headers?x=1'],
      [':authority', 'example.com'],
      ['x-mixed-case', 'A'],
      ['accept', '*/*'],
    ]);
    assert.equal(r.protocol, 'HTTP/1.1');
    assert.equal(r.headersOnly, true);
    assert.ok(r.bytes > 40);
  });

  it('absolute-form targets give :authority and :path (Host is ignored then)', async () => {
    const r = await headersOf('GET http://api.example.com:8080/headers?q=1 HTTP/1.1\r\nHost: other\r\n\r\n');
    assert.deepEqual(r.headers.slice(0, 4), [
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/headers?q=1'],
      [':authority', 'api.example.com:8080'],
    ]);
    assert.equal(r.headers.find(([n]) => n === 'host'), undefined);
  });

  it('keeps every header of a head with more than 32 fields, in order', async () => {
    const many = Array.from({ length: 150 }, (_, i) => `x-h${i}: v${i}\r\n`).join('');
    const r = await headersOf(`GET /headers HTTP/1.1\r\nHost: h\r\n${many}\r\n`);
    const regular = r.headers.filter(([n]) => !n.startsWith(':'));
    assert.equal(regular.length, 150);
    assert.deepEqual(regular[0], ['x-h0', 'v0']);
    assert.deepEqual(regular[149], ['x-h149', 'v149']);
    assert.equal(r.headers.find(([n]) => n === ':path')![1], '/headers');
  });

  it('delivers a chunked request body and its trailers', async () => {
    const many = Array.from({ length: 40 }, (_, i) => `x-t${i}: ${i}\r\n`).join('');
    const r = await headersOf(`POST /headers HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n${many}\r\n`);
    assert.equal(r.headersOnly, false);
    assert.equal(r.body, 'abcde');
    assert.equal(r.trailers?.length, 40);
    assert.deepEqual(r.trailers?.[39], ['x-t39', '39']);
  });

  it('a Content-Length body arrives intact; Content-Length: 0 is headers-only', async () => {
    const r = await headersOf('POST /headers HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world');
    assert.equal(r.body, 'hello world');
    assert.equal(r.headersOnly, false);
    const empty = await headersOf('POST /headers HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n');
    assert.equal(empty.headersOnly, true);
  });

  it('HTTP/1.0 requests say so', async () => {
    const r = await headersOf('GET /headers HTTP/1.0\r\n\r\n');
    assert.equal(r.protocol, 'HTTP/1.0');
    assert.equal(r.headers.find(([n]) => n === ':authority'), undefined);
  });

  it('Expect: 100-continue: 100 Continue goes out before the body is read', async () => {
    const c = await rawClient(server.port);
    c.write('POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
    assert.equal(await c.until((t) => t.includes('\r\n\r\n')), 'HTTP/1.1 100 Continue\r\n\r\n');
    c.write('ping');
    assert.equal(await c.until((t) => t.endsWith('ping')), 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nping');
    c.destroy();
  });
});

describe('HTTP/1 codec: trailers when enabled', () => {
  it('writes them as the last chunk', async () => {
    const server = await startCodecServer(undefined, { enableTrailers: true });
    try {
      const c = await rawClient(server.port);
      c.write(get('/trailers'));
      assert.equal(await c.until((t) => t.endsWith('\r\n\r\n') && t.includes('x-checksum')), 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nab\r\n0\r\nx-checksum: 42\r\n\r\n');
      c.destroy();
    } finally {
      await server.close();
    }
  });
});
