// The http_inspector on real accepted sockets: real node:http and node:http2 clients are
// detected, and the same sockets are then served by node:http / node:http2 — so the
// request bytes the inspector read were put back intact.
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type { ConnectionFacts } from '../../../../src/proxy/listener/filter_chain_match.js';
import { listenerFilterRegistry } from '../../../../src/proxy/listener/listener_filter.js';
import '../../../../src/proxy/listener/filters/index.js';
import { HTTP_INSPECTOR_STATS, HttpInspector, httpInspectorStats } from '../../../../src/proxy/listener/filters/http_inspector.js';
import { TlsInspector, tlsInspectorConfig } from '../../../../src/proxy/listener/filters/tls_inspector.js';
import { StatsStore } from '../../../../src/proxy/stats/store.js';
import { logRegistry } from '../../../../src/common/logger.js';
import { readAll, socketPair, writeInPieces } from './helpers.js';

// The read_error case logs a warning, as Envoy does; keep test output clean.
if (!process.env.SKEIN_TEST_LOGS) logRegistry.setAll('critical');

const newFacts = (): ConnectionFacts => ({ localIp: '127.0.0.1', localPort: 1, remoteIp: '127.0.0.1', remotePort: 2 });

function inspector(maxInspectSize?: number): { filter: HttpInspector; store: StatsStore } {
  const store = new StatsStore();
  return { filter: new HttpInspector(httpInspectorStats(store), maxInspectSize), store };
}

const counters = (store: StatsStore) =>
  Object.fromEntries(HTTP_INSPECTOR_STATS.declarations.counters.map((n) => [n, store.counters.get(`http_inspector.${n}`)?.value]));

describe('http_inspector', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanups.splice(0)) fn();
  });

  it('detects a node:http HTTP/1.1 request, which node:http then serves from the same socket', async () => {
    const { filter, store } = inspector();
    const pair = await socketPair();
    cleanups.push(pair.close);
    const body = 'x'.repeat(100_000);
    const req = http.request({ createConnection: () => pair.client, method: 'POST', path: '/upload', headers: { host: 'a' } });
    const response = new Promise<string>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
    });
    req.end(body);
    const facts = newFacts();
    assert.equal(await filter.onAccept(pair.accepted, facts), true);
    assert.deepEqual(facts.applicationProtocols, ['http/1.1']);
    assert.equal(counters(store).http11_found, 1);

    const server = http.createServer((rq, rs) => {
      let n = 0;
      rq.on('data', (c: Buffer) => (n += c.length));
      rq.on('end', () => rs.end(`${rq.method} ${rq.url} ${n}`));
    });
    server.emit('connection', pair.accepted);
    assert.equal(await response, 'POST /upload 100000');
  });

  it('detects HTTP/2 prior knowledge (h2c), which node:http2 then serves', async () => {
    const { filter, store } = inspector();
    const pair = await socketPair();
    cleanups.push(pair.close);
    const session = http2.connect('http://a', { createConnection: () => pair.client });
    session.on('error', () => {});
    const stream = session.request({ ':path': '/h2' });
    stream.end();
    const facts = newFacts();
    assert.equal(await filter.onAccept(pair.accepted, facts), true);
    assert.deepEqual(facts.applicationProtocols, ['h2c']);
    assert.equal(counters(store).http2_found, 1);

    const server = http2.createServer((rq, rs) => rs.end(`h2 ${rq.url}`));
    server.emit('connection', pair.accepted);
    let text = '';
    stream.setEncoding('utf8');
    stream.on('data', (c: string) => (text += c));
    await new Promise((resolve) => stream.on('end', resolve));
    assert.equal(text, 'h2 /h2');
    session.close();
  });

  it('HTTP/1.0 split over several reads; bytes readable byte for byte afterwards', async () => {
    const { filter, store } = inspector();
    const pair = await socketPair();
    cleanups.push(pair.close);
    const sent = Buffer.from('GET /old HTTP/1.0\r\nUser-Agent: x\r\n\r\n');
    const writing = writeInPieces(pair.client, sent, [1, 4, 10, 17, 18]);
    const facts = newFacts();
    assert.equal(await filter.onAccept(pair.accepted, facts), true);
    assert.deepEqual(facts.applicationProtocols, ['http/1.0']);
    assert.equal(counters(store).http10_found, 1);
    await writing;
    assert.deepEqual(await readAll(pair.accepted), sent);
  });

  it('not HTTP: continues with no application protocol and the bytes intact', async () => {
    const { filter, store } = inspector();
    const pair = await socketPair();
    cleanups.push(pair.close);
    const sent = Buffer.from('SSH-2.0-OpenSSH_9.6\r\n');
    pair.client.end(sent);
    const facts = newFacts();
    assert.equal(await filter.onAccept(pair.accepted, facts), true);
    assert.equal(facts.applicationProtocols, undefined);
    assert.equal(counters(store).http_not_found, 1);
    assert.deepEqual(await readAll(pair.accepted), sent);
  });

  it('skips connections already found to be TLS, without reading', async () => {
    const { filter, store } = inspector();
    const pair = await socketPair();
    cleanups.push(pair.close);
    const facts = { ...newFacts(), transportProtocol: 'tls', applicationProtocols: ['h2'] };
    assert.equal(await filter.onAccept(pair.accepted, facts), true);
    assert.deepEqual(facts.applicationProtocols, ['h2']);
    assert.deepEqual(Object.values(counters(store)), [0, 0, 0, 0, 0]);
  });

  it('after the tls_inspector on plaintext, both read and the bytes are still all there', async () => {
    const store = new StatsStore();
    const tlsFilter = new TlsInspector(tlsInspectorConfig({}, 'p', store));
    const httpFilter = new HttpInspector(httpInspectorStats(store));
    const pair = await socketPair();
    cleanups.push(pair.close);
    const sent = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    const writing = writeInPieces(pair.client, sent, [2, 9]);
    const facts = newFacts();
    assert.equal(await tlsFilter.onAccept(pair.accepted, facts), true);
    assert.equal(await httpFilter.onAccept(pair.accepted, facts), true);
    assert.deepEqual([facts.transportProtocol, facts.applicationProtocols], [undefined, ['http/1.1']]);
    await writing;
    assert.deepEqual(await readAll(pair.accepted), sent);
  });

  it('closes when no request line ends within the inspect limit (read_error), or the peer leaves first', async () => {
    const { filter, store } = inspector(1024);
    const long = await socketPair();
    cleanups.push(long.close);
    long.client.on('error', () => {});
    long.client.write(`GET /${'a'.repeat(2000)}`);
    assert.equal(await filter.onAccept(long.accepted, newFacts()), false);
    assert.equal(counters(store).read_error, 1);

    const gone = await socketPair();
    cleanups.push(gone.close);
    gone.client.end('GET /');
    assert.equal(await filter.onAccept(gone.accepted as net.Socket, newFacts()), false);
  });

  it("registers under its type URL and names, with Envoy's stat names", () => {
    const resolved = listenerFilterRegistry.resolve(
      { name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.http_inspector.v3.HttpInspector' } },
      'p',
    );
    assert.equal(resolved?.factory.names[0], 'envoy.filters.listener.http_inspector');
    assert.equal(listenerFilterRegistry.findByName('envoy.listener.http_inspector'), resolved?.factory);
    assert.deepEqual([...HTTP_INSPECTOR_STATS.declarations.counters].sort(), ['http10_found', 'http11_found', 'http2_found', 'http_not_found', 'read_error']);
  });
});
