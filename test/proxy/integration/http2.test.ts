// HTTP/2 through the proxy: HTTP/1.1 ⇄ HTTP/2 both ways, trailers, advertised
// settings, GOAWAY when draining, and flow control that bounds what a slow reader
// makes the proxy hold.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import { bootstrapYaml, routeAllTo, startProxy, staticCluster, type RunningProxy } from '../../helpers/proxy.js';

function h2request(port: number, path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<{ headers: http2.IncomingHttpHeaders; body: string; trailers?: http2.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':path': path, ...headers });
    let body = '';
    let responseHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    req.on('response', (h) => (responseHeaders = h));
    req.on('trailers', (t) => (trailers = t));
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      session.close();
      resolve({ headers: responseHeaders, body, trailers });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('HTTP/2', () => {
  let h1: http.Server;
  let h2: http2.Http2Server;
  let h1Port = 0;
  let h2Port = 0;
  let proxy: RunningProxy;
  let h2Proxy: RunningProxy;
  let upstreamSent = 0;

  before(async () => {
    h1 = http.createServer((req, res) => {
      if (req.url === '/big') {
        // As fast as the connection takes it, up to 64 MiB: back-pressure decides.
        const chunk = Buffer.alloc(64 * 1024, 'x');
        upstreamSent = 0;
        res.writeHead(200, { 'content-length': String(1024 * chunk.length) });
        const pump = () => {
          while (upstreamSent < 1024 * chunk.length) {
            upstreamSent += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          res.end();
        };
        pump();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ via: 'http1', host: req.headers.host, path: req.url, version: req.httpVersion }));
    });
    h2 = http2.createServer();
    h2.on('stream', (stream, headers) => {
      stream.respond({ ':status': 200, 'content-type': 'application/json' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'x-checksum': 'abc' }));
      stream.end(JSON.stringify({ via: 'http2', authority: headers[':authority'], path: headers[':path'] }));
    });
    await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    h1Port = (h1.address() as net.AddressInfo).port;
    h2Port = (h2.address() as net.AddressInfo).port;
    const hcm = 'http2_protocol_options: { max_concurrent_streams: 77, initial_stream_window_size: 65536, initial_connection_window_size: 65536 }';
    proxy = await startProxy(bootstrapYaml({ routeConfig: routeAllTo('h1'), clusters: staticCluster('h1', [h1Port]), hcmExtra: hcm }));
    h2Proxy = await startProxy(bootstrapYaml({ routeConfig: routeAllTo('h2'), clusters: staticCluster('h2', [h2Port], 'http2_protocol_options: {}') }));
  });
  after(async () => {
    await proxy.stop();
    await h2Proxy.stop();
    h1.closeAllConnections();
    await new Promise((r) => h1.close(r));
    await new Promise((r) => h2.close(r));
  });

  it('an HTTP/2 (h2c prior knowledge) client reaches an HTTP/1.1 upstream; :authority becomes Host', async () => {
    const res = await h2request(proxy.port('main'), '/hello', { ':authority': 'shop.example' });
    assert.equal(res.headers[':status'], 200);
    assert.equal(res.headers['server'], 'envoy');
    assert.deepEqual(JSON.parse(res.body), { via: 'http1', host: 'shop.example', path: '/hello', version: '1.1' });
  });

  it('an HTTP/1.1 client reaches an HTTP/2 upstream; Host becomes :authority; trailers cannot go back over HTTP/1', async () => {
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get({ port: h2Proxy.port('main'), host: '127.0.0.1', path: '/x', headers: { host: 'api.example' } }, (res) => {
          let data = '';
          res.on('data', (d) => (data += d));
          res.on('end', () => resolve(data));
        })
        .on('error', reject);
    });
    assert.deepEqual(JSON.parse(body), { via: 'http2', authority: 'api.example', path: '/x' });
    const stats = await (await fetch(`${h2Proxy.adminUrl}/stats?filter=^cluster\\.h2\\.upstream_cx_http2_total$`)).text();
    assert.equal(stats, 'cluster.h2.upstream_cx_http2_total: 1\n');
  });

  it('HTTP/2 end to end keeps trailers', async () => {
    const res = await h2request(h2Proxy.port('main'), '/t');
    assert.equal(res.trailers?.['x-checksum'], 'abc');
  });

  it('advertises http2_protocol_options as SETTINGS', async () => {
    const session = http2.connect(`http://127.0.0.1:${proxy.port('main')}`);
    const settings = await new Promise<http2.Settings>((resolve) => session.once('remoteSettings', resolve));
    session.close();
    assert.equal(settings.maxConcurrentStreams, 77);
    assert.equal(settings.initialWindowSize, 65536);
  });

  it('a slow reader does not make the proxy buffer the whole response', async () => {
    const session = http2.connect(`http://127.0.0.1:${proxy.port('main')}`, { settings: { initialWindowSize: 65536 } });
    const req = session.request({ ':path': '/big' });
    let received = 0;
    await new Promise<void>((resolve) => {
      req.on('data', (d: Buffer) => {
        received += d.length;
        if (received >= 1024 * 1024) {
          req.pause(); // stop reading: windows fill, the proxy must push back upstream
          resolve();
        }
      });
    });
    await new Promise((r) => setTimeout(r, 500));
    const sentWhilePaused = upstreamSent;
    // Socket buffers and flow-control windows hold a few MiB at most; not 64.
    assert.ok(sentWhilePaused < 16 * 1024 * 1024, `upstream sent ${sentWhilePaused} bytes while the client read ${received}`);
    req.close();
    session.close();
  });

  it('draining sends GOAWAY to HTTP/2 clients', async () => {
    const local = await startProxy(bootstrapYaml({ routeConfig: routeAllTo('h1'), clusters: staticCluster('h1', [h1Port]) }));
    try {
      const session = http2.connect(`http://127.0.0.1:${local.port('main')}`);
      const goaway = new Promise<number>((resolve) => session.once('goaway', (code) => resolve(code)));
      await new Promise<void>((resolve) => session.once('remoteSettings', () => resolve()));
      const res = await fetch(`${local.adminUrl}/drain_listeners`, { method: 'POST' });
      assert.equal(await res.text(), 'OK\n');
      assert.equal(await goaway, http2.constants.NGHTTP2_NO_ERROR);
      session.destroy();
    } finally {
      await local.stop();
    }
  });
});
