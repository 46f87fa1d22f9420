// The tls_inspector on real accepted sockets: what it learns from a node:tls client, and
// that every byte it read is still there for the TLS handshake (or whoever reads next).
import { afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import tls from 'node:tls';
import type { ConnectionFacts } from '../../../../src/proxy/listener/filter_chain_match.js';
import { listenerFilterRegistry, type ListenerFilterFactory } from '../../../../src/proxy/listener/listener_filter.js';
import '../../../../src/proxy/listener/filters/index.js';
import { TLS_INSPECTOR_STATS, TlsInspector, tlsInspectorConfig, type TlsInspectorConfig } from '../../../../src/proxy/listener/filters/tls_inspector.js';
import { stopPeeking } from '../../../../src/proxy/listener/filters/peek.js';
import type { ListenerFactoryContext } from '../../../../src/proxy/server/factory_context.js';
import { StatsStore } from '../../../../src/proxy/stats/store.js';
import { ConfigError } from '../../../../src/api/json/issues.js';
import { TEST_CERT, TEST_KEY, captureClientHello, readAll, reRecord, socketPair, writeInPieces } from './helpers.js';

const newFacts = (): ConnectionFacts => ({ localIp: '127.0.0.1', localPort: 1, remoteIp: '127.0.0.1', remotePort: 2 });

function inspector(): { filter: TlsInspector; store: StatsStore; config: TlsInspectorConfig } {
  const store = new StatsStore();
  const config = tlsInspectorConfig({ enable_ja3_fingerprinting: { value: true } }, 'listener_filters[0].typed_config', store);
  return { filter: new TlsInspector(config), store, config };
}

const counter = (store: StatsStore, name: string) => store.counters.get(`tls_inspector.${name}`)?.value;

describe('tls_inspector', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const fn of cleanups.splice(0)) fn();
  });

  let hello: Buffer;
  before(async () => {
    hello = await captureClientHello({ servername: 'api.example.com', ALPNProtocols: ['h2', 'http/1.1'] });
  });

  it('finds SNI and ALPN from a node:tls client, and the TLS handshake still completes', async () => {
    const { filter, store } = inspector();
    const pair = await socketPair();
    cleanups.push(pair.close);
    const client = tls.connect({ socket: pair.client, servername: 'api.example.com', ALPNProtocols: ['h2', 'http/1.1'], ca: TEST_CERT });
    client.on('error', () => {});
    const facts = newFacts();
    assert.equal(await filter.onAccept(pair.accepted, facts), true);
    assert.equal(facts.transportProtocol, 'tls');
    assert.equal(facts.serverName, 'api.example.com');
    assert.deepEqual(facts.applicationProtocols, ['h2', 'http/1.1']);
    assert.match(filter.ja3 ?? '', /^[0-9a-f]{32}$/);
    assert.deepEqual(
      ['tls_found', 'sni_found', 'alpn_found', 'tls_not_found', 'sni_not_found', 'alpn_not_found', 'client_hello_too_large'].map((n) => counter(store, n)),
      [1, 1, 1, 0, 0, 0, 0],
    );
    assert.equal(store.histograms.get('tls_inspector.bytes_processed')?.unit, 'Bytes');

    // The ClientHello went back into the socket: a real TLS server handshakes from it.
    const server = new tls.TLSSocket(pair.accepted, { isServer: true, cert: TEST_CERT, key: TEST_KEY, ALPNProtocols: ['http/1.1'] });
    server.on('data', (d: Buffer) => server.write(`echo:${d}`));
    await new Promise<void>((resolve, reject) => {
      client.once('secureConnect', resolve);
      client.once('error', reject);
    });
    assert.equal(client.alpnProtocol, 'http/1.1');
    client.write('ping');
    const reply = await new Promise<string>((resolve) => client.once('data', (d: Buffer) => resolve(d.toString())));
    assert.equal(reply, 'echo:ping');
    client.destroy();
  });

  it('leaves every byte readable, in order, when the ClientHello arrives in pieces and records', async () => {
    const records = reRecord(hello, [40, 1, 100]);
    const sent = Buffer.concat([records, Buffer.from('\x17\x03\x03\x00\x04tail and more')]);
    const { filter } = inspector();
    const pair = await socketPair();
    cleanups.push(pair.close);
    const writing = writeInPieces(pair.client, sent, [1, 3, 6, 50, 51, 200, records.length - 1]);
    const facts = newFacts();
    assert.equal(await filter.onAccept(pair.accepted, facts), true);
    assert.equal(facts.serverName, 'api.example.com');
    await writing;
    assert.deepEqual(await readAll(pair.accepted), sent);
  });

  it('plaintext: not TLS, no facts, bytes untouched', async () => {
    const { filter, store } = inspector();
    const pair = await socketPair();
    cleanups.push(pair.close);
    const sent = Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n');
    pair.client.end(sent);
    const facts = newFacts();
    assert.equal(await filter.onAccept(pair.accepted, facts), true);
    assert.deepEqual([facts.transportProtocol, facts.serverName, facts.applicationProtocols], [undefined, undefined, undefined]);
    assert.equal(counter(store, 'tls_not_found'), 1);
    assert.deepEqual(await readAll(pair.accepted), sent);
  });

  it('a ClientHello without SNI or ALPN counts sni_not_found and alpn_not_found', async () => {
    const { filter, store } = inspector();
    const pair = await socketPair();
    cleanups.push(pair.close);
    pair.client.write(await captureClientHello({}));
    const facts = newFacts();
    assert.equal(await filter.onAccept(pair.accepted, facts), true);
    assert.equal(facts.transportProtocol, 'tls');
    assert.deepEqual([counter(store, 'sni_not_found'), counter(store, 'alpn_not_found'), facts.serverName], [1, 1, undefined]);
  });

  it('closes on a ClientHello over 64 KiB, and on a peer that leaves mid-ClientHello', async () => {
    const { filter, store } = inspector();
    const big = await socketPair();
    cleanups.push(big.close);
    big.client.on('error', () => {});
    big.client.write(Buffer.from([22, 3, 1, 0x40, 0x00, 1, 0x01, 0x10, 0x00]));
    assert.equal(await filter.onAccept(big.accepted, newFacts()), false);
    assert.equal(counter(store, 'client_hello_too_large'), 1);

    const gone = await socketPair();
    cleanups.push(gone.close);
    gone.client.end(hello.subarray(0, 60));
    assert.equal(await filter.onAccept(gone.accepted, newFacts()), false);
  });

  it('stopPeeking (listener filter timeout) gives the partial bytes back and continues', async () => {
    const { filter } = inspector();
    const pair = await socketPair();
    cleanups.push(pair.close);
    pair.client.write(hello.subarray(0, 30));
    const facts = newFacts();
    const result = filter.onAccept(pair.accepted, facts);
    await new Promise((r) => setTimeout(r, 30));
    stopPeeking(pair.accepted);
    assert.equal(await result, true);
    assert.equal(facts.transportProtocol, undefined);
    pair.client.end(hello.subarray(30));
    assert.deepEqual(await readAll(pair.accepted), hello);
  });

  it('registers under its type URL and names; validates its config with the field path', () => {
    const context = { stats: new StatsStore() } as unknown as ListenerFactoryContext;
    const byUrl = listenerFilterRegistry.resolve(
      { name: 'tls_inspector', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector' } },
      'listeners[0].listener_filters[0]',
    );
    assert.equal(byUrl?.factory.names[0], 'envoy.filters.listener.tls_inspector');
    for (const name of ['envoy.filters.listener.tls_inspector', 'envoy.listener.tls_inspector']) {
      assert.equal(listenerFilterRegistry.findByName(name), byUrl?.factory);
    }
    const factory = byUrl!.factory as ListenerFilterFactory;
    assert.equal(typeof factory.createFilterFactory({ initial_read_buffer_size: { value: 4096 } }, 'p', context)(), 'object');
    assert.throws(
      () => factory.createFilterFactory({ initial_read_buffer_size: { value: 100 } }, 'listeners[0].listener_filters[0].typed_config', context),
      (err: unknown) => err instanceof ConfigError && err.message.includes('listeners[0].listener_filters[0].typed_config.initial_read_buffer_size') && err.message.includes('256'),
    );
  });

  it("declares Envoy's tls_inspector stat names", () => {
    assert.deepEqual(
      [...TLS_INSPECTOR_STATS.declarations.counters].sort(),
      ['alpn_found', 'alpn_not_found', 'client_hello_too_large', 'sni_found', 'sni_not_found', 'tls_found', 'tls_not_found'],
    );
    assert.deepEqual(TLS_INSPECTOR_STATS.declarations.histograms, ['bytes_processed']);
  });
});
