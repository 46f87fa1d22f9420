// TcpProxySession against a stand-in downstream stream, for what a real client cannot
// make happen on cue: the downstream closing while the upstream still has bytes queued
// (the upstream flush Envoy counts in upstream_flush_*).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import { StreamInfo } from '../../../../src/proxy/http/stream_info.js';
import type { DownstreamConnection } from '../../../../src/proxy/network/network_filter.js';
import { TcpProxyConfig } from '../../../../src/proxy/network/tcp_proxy/config.js';
import { TcpProxySession } from '../../../../src/proxy/network/tcp_proxy/session.js';
import type { ListenerFactoryContext } from '../../../../src/proxy/server/factory_context.js';
import { StatsStore } from '../../../../src/proxy/stats/store.js';
import { ClusterManager } from '../../../../src/proxy/upstream/cluster_manager.js';
import { eventually, startServer } from './helpers.js';

function fakeDownstream(): { connection: DownstreamConnection; stream: Duplex } {
  const stream = new Duplex({ read() {}, write: (_chunk, _enc, cb) => cb() });
  const closers: Array<() => void> = [];
  stream.once('close', () => closers.forEach((fn) => fn()));
  const connection: DownstreamConnection = {
    socket: stream,
    info: { id: 1, localAddress: '127.0.0.1', localPort: 1, remoteAddress: '127.0.0.1', remotePort: 2, scheme: 'http' },
    streamInfo: new StreamInfo('127.0.0.1:1', '127.0.0.1:2'),
    close: (now) => (now ? stream.destroy() : stream.end()),
    onClose: (fn) => closers.push(fn),
  };
  return { connection, stream };
}

describe('TcpProxySession', () => {
  it('flushes bytes still queued for the upstream after the downstream closes, then closes it', async () => {
    let received = 0;
    let upstreamEnded: Promise<void> | undefined;
    let startReading: (() => void) | undefined;
    // The upstream reads nothing until told to, so the proxy's writes back up.
    const upstream = await startServer((s) => {
      s.pause();
      startReading = () => s.resume();
      s.on('data', (c: Buffer) => (received += c.length));
      upstreamEnded = new Promise((done) => s.once('end', () => done()));
    });
    const stats = new StatsStore();
    const clusterManager = new ClusterManager(stats);
    clusterManager.addOrUpdate({ name: 'up', connect_timeout: { seconds: 1 } } as never, 'cluster', [{ ip: '127.0.0.1', port: upstream.port, hostname: '', weight: 1, priority: 0 }]);
    const context = { stats, clusterManager } as unknown as ListenerFactoryContext;
    const config = new TcpProxyConfig({ stat_prefix: 'unit', cluster: 'up' }, 'filter', context);
    try {
      const { connection, stream } = fakeDownstream();
      new TcpProxySession(config, connection).start();
      await eventually(() => startReading !== undefined && stats.gauge('cluster.up.upstream_cx_active').value === 1, 'the upstream connection');
      const size = 32 * 1024 * 1024;
      stream.push(Buffer.alloc(size, 7));
      await eventually(() => received === 0 && stats.counter('tcp.unit.downstream_cx_rx_bytes_total').value === size, 'the bytes to be handed upstream');
      stream.destroy(); // a clean close: no error
      await eventually(() => stats.counter('tcp.unit.upstream_flush_total').value === 1, 'the flush to start');
      assert.equal(stats.gauge('tcp.unit.upstream_flush_active').value, 1);
      startReading!();
      await upstreamEnded;
      assert.equal(received, size);
      await eventually(() => stats.gauge('tcp.unit.upstream_flush_active').value === 0, 'the flush to finish');
      assert.equal(stats.gauge('cluster.up.upstream_cx_active').value, 0);
    } finally {
      await upstream.close();
      await clusterManager.shutdown();
    }
  });
});
