// skein httpbin against go-httpbin v2's observable behaviour: response shapes, status codes,
// headers, method restrictions; real sockets on port 0, plus curl as a user would run it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startHttpbin } from '../../src/testing/httpbin/index.js';
import type { RunningServer } from '../../src/testing/httpbin/listen.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json(): any;
}

/** node:http so tests control Host, duplicate headers and methods exactly. */
function request(port: number, path: string, opts: { method?: string; headers?: http.OutgoingHttpHeaders | string[]; body?: string | Buffer; agent?: http.Agent } = {}): Promise<Reply> {
  let headers = opts.headers;
  // node sends DELETE/GET bodies unframed unless told the length
  if (opts.body !== undefined && !Array.isArray(headers)) headers = { ...headers, 'content-length': Buffer.byteLength(opts.body) };
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers, agent: opts.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        const text = body.toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const JSON_CT = 'application/json; charset=utf-8';

describe('httpbin', () => {
  let srv: RunningServer;
  before(async () => {
    srv = await startHttpbin({ port: 0, host: '127.0.0.1' });
  });
  after(() => srv.close());

  it('GET /headers: canonical names, array values, Host included', async () => {
    const r = await request(srv.port, '/headers', {
      headers: ['x-request-id', 'abc', 'user-agent', 'test/1', 'x-dup', 'one', 'X-Dup', 'two', 'Host', 'httpbin.example:8000'],
    });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], JSON_CT);
    assert.deepEqual(Object.keys(r.json()), ['headers']);
    const h = r.json().headers;
    assert.deepEqual(h['X-Request-Id'], ['abc']);
    assert.deepEqual(h['User-Agent'], ['test/1']);
    assert.deepEqual(h['X-Dup'], ['one', 'two']);
    assert.deepEqual(h.Host, ['httpbin.example:8000']);
    assert.deepEqual(Object.keys(h), [...Object.keys(h)].sort(), 'keys sorted like encoding/json');
    assert.ok(r.text.endsWith('}\n'), 'trailing newline like json.Encoder');
  });

  it('GET /get: args, headers, method, origin, url', async () => {
    const r = await request(srv.port, '/get?b=2&a=1&a=3&s=x+y', { headers: { host: 'h.example' } });
    assert.equal(r.status, 200);
    const j = r.json();
    assert.deepEqual(Object.keys(j), ['args', 'headers', 'method', 'origin', 'url']);
    assert.deepEqual(j.args, { a: ['1', '3'], b: ['2'], s: ['x y'] });
    assert.equal(j.method, 'GET');
    assert.equal(j.origin, '127.0.0.1');
    assert.equal(j.url, 'http://h.example/get?b=2&a=1&a=3&s=x+y');
  });

  it('url and origin follow X-Forwarded-Proto / X-Forwarded-For', async () => {
    const r = await request(srv.port, '/get', { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '10.0.0.7, 10.0.0.1', host: 'a.example' } });
    assert.equal(r.json().url, 'https://a.example/get');
    assert.equal(r.json().origin, '10.0.0.7');
  });

  it('method-restricted endpoints answer 405 with Allow', async () => {
    let r = await request(srv.port, '/get', { method: 'POST' });
    assert.equal(r.status, 405);
    assert.equal(r.headers.allow, 'GET, HEAD');
    assert.equal(r.text, 'Method Not Allowed\n');
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE']) {
      const path = '/' + m.toLowerCase();
      r = await request(srv.port, path, { method: m, headers: { 'content-type': 'text/plain' }, body: 'hi' });
      assert.equal(r.status, 200, path);
      assert.equal(r.json().method, m);
      assert.equal(r.json().data, 'hi');
      r = await request(srv.port, path, { method: m === 'POST' ? 'PUT' : 'POST' });
      assert.equal(r.status, 405, path);
      assert.equal(r.headers.allow, m);
    }
  });

  it('/anything and /anything/*: any method, JSON body parsed', async () => {
    const body = JSON.stringify({ a: [1, 2], b: 'x' });
    const r = await request(srv.port, '/anything/deep/path?q=1', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body });
    assert.equal(r.status, 200);
    const j = r.json();
    assert.deepEqual(Object.keys(j), ['args', 'headers', 'method', 'origin', 'url', 'data', 'files', 'form', 'json']);
    assert.equal(j.method, 'PATCH');
    assert.equal(j.data, body);
    assert.deepEqual(j.json, { a: [1, 2], b: 'x' });
    assert.deepEqual(j.form, {});
    assert.deepEqual(j.files, {});
    assert.deepEqual(j.args, { q: ['1'] });
    assert.match(j.url, /\/anything\/deep\/path\?q=1$/);
    const custom = await request(srv.port, '/anything', { method: 'PURGE' });
    assert.equal(custom.json().method, 'PURGE');
    assert.equal(custom.json().json, null);
    assert.equal((await request(srv.port, '/anythingelse')).status, 404);
  });

  it('form and multipart bodies fill form and files', async () => {
    let r = await request(srv.port, '/post', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1&b=2&a=3' });
    assert.deepEqual(r.json().form, { a: ['1', '3'], b: ['2'] });
    const fd = new FormData();
    fd.append('field', 'value');
    fd.append('upload', new Blob(['file-content']), 'f.txt');
    const res = await fetch(`http://127.0.0.1:${srv.port}/post`, { method: 'POST', body: fd });
    const j = (await res.json()) as any;
    assert.deepEqual(j.form, { field: ['value'] });
    assert.deepEqual(j.files, { upload: ['file-content'] });
    r = await request(srv.port, '/post', { method: 'POST', headers: { 'content-type': 'application/x-thing' }, body: 'xyz?' });
    assert.equal(r.json().data, 'data:application/x-thing;base64,eHl6Pw==');
    r = await request(srv.port, '/post', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(1024 * 1024 + 1, 'a') });
    assert.equal(r.status, 400);
    assert.equal(r.json().detail, 'error parsing request body: http: request body too large');
    r = await request(srv.port, '/post', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{bad' });
    assert.equal(r.status, 400);
    assert.equal(r.json().status_code, 400);
    assert.match(r.json().detail, /^error parsing request body: /);
  });

  it('/status/{code}: plain codes and go-httpbin special cases', async () => {
    let r = await request(srv.port, '/status/500');
    assert.equal(r.status, 500);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.text, '');
    r = await request(srv.port, '/status/418');
    assert.equal(r.status, 418);
    assert.equal(r.text, "I'm a teapot!");
    assert.equal(r.headers['x-more-info'], 'http://tools.ietf.org/html/rfc2324');
    r = await request(srv.port, '/status/302');
    assert.equal(r.headers.location, '/redirect/1');
    r = await request(srv.port, '/status/401');
    assert.equal(r.headers['www-authenticate'], 'Basic realm="Fake Realm"');
    r = await request(srv.port, '/status/407');
    assert.equal(r.headers['proxy-authenticate'], 'Basic realm="Fake Realm"');
    r = await request(srv.port, '/status/402');
    assert.equal(r.text, 'Fuck you, pay me!');
    r = await request(srv.port, '/status/406');
    assert.equal(r.headers['content-type'], JSON_CT);
    assert.equal(r.json().message, 'Client did not request a supported media type');
    r = await request(srv.port, '/status/204');
    assert.equal(r.status, 204);
  });

  it('/status/{codes}: weighted choices and bad input', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await request(srv.port, '/status/200:0,503:1')).status, 503);
    const seen = new Set<number>();
    for (let i = 0; i < 10; i++) seen.add((await request(srv.port, '/status/201,202')).status);
    for (const s of seen) assert.ok(s === 201 || s === 202);
    let r = await request(srv.port, '/status/abc');
    assert.equal(r.status, 400);
    assert.deepEqual(Object.keys(r.json()), ['status_code', 'error', 'detail']);
    assert.equal(r.json().error, 'Bad Request');
    r = await request(srv.port, '/status/600');
    assert.equal(r.status, 400);
    assert.equal(r.json().detail, 'invalid status code: 600 not in range [100, 599]');
    assert.equal((await request(srv.port, '/status/200:x,500')).status, 400);
    assert.equal((await request(srv.port, '/status/')).status, 404);
  });

  it('/delay/{seconds}: answers with the request body shape; over 10s is a 400', async () => {
    let r = await request(srv.port, '/delay/0.05?x=1');
    assert.equal(r.status, 200);
    const j = r.json();
    for (const k of ['args', 'headers', 'method', 'origin', 'url']) assert.ok(k in j, k);
    assert.deepEqual(j.args, { x: ['1'] });
    assert.match(String(r.headers['server-timing']), /^initial_delay;dur=50\.00;desc="initial delay"$/);
    r = await request(srv.port, '/delay/100ms');
    assert.equal(r.status, 200);
    r = await request(srv.port, '/delay/11');
    assert.equal(r.status, 400);
    assert.equal(r.json().detail, 'invalid duration: duration 11s longer than 10s');
    assert.equal((await request(srv.port, '/delay/nope')).status, 400);
  });

  it('/response-headers: query params become headers, echoed in the body (GET and POST)', async () => {
    for (const method of ['GET', 'POST']) {
      const r = await request(srv.port, '/response-headers?X-Foo=a&X-Foo=b&freeform=hi', { method });
      assert.equal(r.status, 200);
      assert.equal(r.headers['x-foo'], 'a, b');
      assert.equal(r.headers.freeform, 'hi');
      assert.equal(r.headers['content-type'], JSON_CT);
      assert.deepEqual(r.json(), { 'Content-Type': [JSON_CT], 'X-Foo': ['a', 'b'], freeform: ['hi'] });
    }
    const html = await request(srv.port, '/response-headers?Content-Type=text/html&x=%3Cb%3E');
    assert.equal(html.headers['content-type'], 'text/html');
    assert.deepEqual(html.json().x, ['&lt;b&gt;']);
  });

  it('/bytes/{n}: n random bytes, repeatable with seed', async () => {
    const a = await request(srv.port, '/bytes/64?seed=7');
    const b = await request(srv.port, '/bytes/64?seed=7');
    assert.equal(a.status, 200);
    assert.equal(a.headers['content-type'], 'application/octet-stream');
    assert.equal(a.body.length, 64);
    assert.deepEqual(a.body, b.body);
    assert.equal((await request(srv.port, '/bytes/100')).body.length, 100);
    assert.equal((await request(srv.port, '/bytes/0')).body.length, 0);
    assert.equal((await request(srv.port, '/bytes/x')).status, 400);
    assert.equal((await request(srv.port, '/bytes/2000000')).status, 400);
  });

  it('/ip, /uuid, /user-agent, / and unknown paths', async () => {
    assert.deepEqual((await request(srv.port, '/ip')).json(), { origin: '127.0.0.1' });
    assert.match((await request(srv.port, '/uuid')).json().uuid, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual((await request(srv.port, '/user-agent', { headers: { 'user-agent': 'ua/2' } })).json(), { 'user-agent': 'ua/2' });
    const index = await request(srv.port, '/');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.match(index.text, /\/status\//);
    const missing = await request(srv.port, '/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.text, '404 page not found\n');
    const unclean = await request(srv.port, '//headers?x=1');
    assert.equal(unclean.status, 301);
    assert.equal(unclean.headers.location, '/headers?x=1');
  });

  it('CORS: every answer allows the origin; OPTIONS is a preflight', async () => {
    const r = await request(srv.port, '/get', { method: 'OPTIONS', headers: { origin: 'http://o.example', 'access-control-request-headers': 'x-a' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['access-control-allow-origin'], 'http://o.example');
    assert.equal(r.headers['access-control-allow-headers'], 'x-a');
    assert.equal((await request(srv.port, '/ip')).headers['access-control-allow-origin'], '*');
  });

  it('keeps connections alive across requests', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    let connections = 0;
    const count = () => connections++;
    srv.server.on('connection', count);
    try {
      for (const p of ['/get', '/headers', '/status/200', '/post']) await request(srv.port, p, { agent });
      assert.equal(connections, 1);
    } finally {
      srv.server.off('connection', count);
      agent.destroy();
    }
  });

  it('curl /headers shows the go-httpbin output a user sees', async () => {
    const { stdout } = await promisify(execFile)('curl', ['-s', '-H', 'X-Request-Id: r-1', `http://127.0.0.1:${srv.port}/headers`]);
    const j = JSON.parse(stdout);
    assert.deepEqual(j.headers['X-Request-Id'], ['r-1']);
    assert.deepEqual(j.headers.Host, [`127.0.0.1:${srv.port}`]);
    assert.deepEqual(j.headers.Accept, ['*/*']);
    assert.match(j.headers['User-Agent'][0], /^curl\//);
    assert.ok(stdout.startsWith('{\n  "headers": {\n    "Accept": [\n      "*/*"\n    ],\n'), stdout);
    assert.ok(stdout.endsWith('  }\n}\n'));
  });
});
