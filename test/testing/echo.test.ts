// skein echo against the Gateway API echo-basic contract (the JSON the conformance suite
// reads), and skein tcp-echo as the book's tcp-echo service.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startEcho, startTcpEcho } from '../../src/testing/echo/index.js';
import type { RunningServer } from '../../src/testing/httpbin/listen.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function request(port: number, path: string, headers: http.OutgoingHttpHeaders = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('echo (Gateway API echo-basic)', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startEcho({ port: 0, host: '127.0.0.1', namespace: 'gateway-conformance-infra', pod: 'infra-backend-v1-7b9c6d5f4-x2k8p', service: 'infra-backend-v1' });
  });
  after(() => srv.close());

  it('describes the request in RequestAssertions shape', async () => {
    const r = await request(srv.port, '/v2/example?x=1', { host: 'example.com', 'x-request-id': 'abc', 'x-multi': ['a', 'b'] });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    const j = JSON.parse(r.text);
    assert.deepEqual(Object.keys(j), ['path', 'host', 'method', 'proto', 'headers', 'namespace', 'ingress', 'service', 'pod', 'sni']);
    assert.equal(j.path, '/v2/example?x=1');
    assert.equal(j.host, 'example.com');
    assert.equal(j.method, 'GET');
    assert.equal(j.proto, 'HTTP/1.1');
    assert.deepEqual(j.headers['X-Request-Id'], ['abc']);
    assert.deepEqual(j.headers['X-Multi'], ['a', 'b']);
    assert.equal(j.headers.Host, undefined, 'Go keeps Host out of the header map');
    assert.equal(j.namespace, 'gateway-conformance-infra');
    assert.equal(j.pod, 'infra-backend-v1-7b9c6d5f4-x2k8p');
    assert.equal(j.service, 'infra-backend-v1');
    assert.equal(j.ingress, '');
    assert.ok(r.text.startsWith('{\n "path": '), 'one-space indent like json.MarshalIndent(v, "", " ")');
    assert.ok(r.text.endsWith('}'));
  });

  it('escapes HTML in the JSON like Go and keeps raw paths', async () => {
    const r = await request(srv.port, '/a//b?q=<x>', { 'x-tag': '<b>&' });
    assert.equal(r.status, 200);
    assert.ok(r.text.includes('"\\u003cb\\u003e\\u0026"'), r.text);
    assert.equal(JSON.parse(r.text).path, '/a//b?q=<x>');
    // dot segments are still cleaned by a 301, as Go's ServeMux does
    const dots = await request(srv.port, '/a/../b?x=1');
    assert.equal(dots.status, 301);
    assert.equal(dots.headers.location, '/b?x=1');
  });

  it('any method is echoed', async () => {
    const r = await request(srv.port, '/anything', {}, 'DELETE');
    assert.equal(JSON.parse(r.text).method, 'DELETE');
  });

  it('X-Echo-Set-Header pairs become response headers', async () => {
    const r = await request(srv.port, '/', { 'x-echo-set-header': 'X-Foo: value1,Other-Header:Remove, X-Foo:value2' });
    assert.equal(r.headers['x-foo'], 'value1,value2');
    assert.equal(r.headers['other-header'], 'Remove');
    const empty = await request(srv.port, '/', { 'x-echo-set-header': '' });
    assert.equal(empty.status, 200);
  });

  it('/status/{code}, /health and ?delay=', async () => {
    assert.equal((await request(srv.port, '/status/503')).status, 503);
    assert.equal((await request(srv.port, '/status/302')).status, 302);
    assert.equal((await request(srv.port, '/status/abc')).status, 400);
    assert.equal((await request(srv.port, '/status/200?x=1')).status, 400);
    const health = await request(srv.port, '/health');
    assert.equal(health.status, 200);
    assert.equal(health.text, 'OK');
    const delayed = await request(srv.port, '/?delay=20ms');
    assert.equal(delayed.status, 200);
    assert.equal(JSON.parse(delayed.text).path, '/?delay=20ms');
    const bad = await request(srv.port, '/?delay=soon');
    assert.equal(bad.status, 500);
    assert.deepEqual(JSON.parse(bad.text), { message: 'time: invalid duration "soon"' });
  });

  it('namespace and pod default to $NAMESPACE and $POD_NAME', async () => {
    const saved = { ns: process.env.NAMESPACE, pod: process.env.POD_NAME };
    process.env.NAMESPACE = 'env-ns';
    process.env.POD_NAME = 'web-backend-1-2';
    const s = await startEcho({ port: 0, host: '127.0.0.1' });
    try {
      const j = JSON.parse((await request(s.port, '/')).text);
      assert.equal(j.namespace, 'env-ns');
      assert.equal(j.pod, 'web-backend-1-2');
    } finally {
      await s.close();
      if (saved.ns === undefined) delete process.env.NAMESPACE;
      else process.env.NAMESPACE = saved.ns;
      if (saved.pod === undefined) delete process.env.POD_NAME;
      else process.env.POD_NAME = saved.pod;
    }
  });
});

/** Sends `input`, half-closes, and collects everything until the server closes. */
function tcpExchange(port: number, input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.end(input));
    let out = '';
    sock.setEncoding('utf8');
    sock.on('data', (c: string) => (out += c));
    sock.on('close', () => resolve(out));
    sock.on('error', reject);
  });
}

describe('tcp-echo', () => {
  it('echoes each line back', async () => {
    const s = await startTcpEcho({ port: 0, host: '127.0.0.1' });
    try {
      assert.equal(await tcpExchange(s.port, 'hello istio!\nsecond\n'), 'hello istio!\nsecond\n');
      assert.equal(await tcpExchange(s.port, 'no newline'), 'no newline');
    } finally {
      await s.close();
    }
  });

  it('prefixes lines like tcp-echo-server started with a prefix', async () => {
    const s = await startTcpEcho({ port: 0, host: '127.0.0.1', prefix: 'hello' });
    try {
      assert.equal(await tcpExchange(s.port, 'world\nistio\n'), 'hello world\nhello istio\n');
    } finally {
      await s.close();
    }
  });

  it('answers interactively, line by line, on an open connection', async () => {
    const s = await startTcpEcho({ port: 0, host: '127.0.0.1', prefix: 'one' });
    const sock = net.connect(s.port, '127.0.0.1');
    try {
      sock.setEncoding('utf8');
      const next = () => new Promise<string>((resolve) => sock.once('data', resolve));
      sock.write('a\n');
      assert.equal(await next(), 'one a\n');
      sock.write('b\n');
      assert.equal(await next(), 'one b\n');
    } finally {
      sock.destroy();
      await s.close();
    }
  });
});
