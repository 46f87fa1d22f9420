// TCP proxy relaying through a real proxy to real upstreams: echo, half-close both ways
// (node sockets and `nc -N`), weighted clusters, large transfers with back-pressure,
// access logs and stats.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { staticCluster } from '../../../helpers/proxy.js';
import { startTcpEcho } from '../../../../src/testing/echo/index.js';
import { eventually, exchange, openLine, settled, startServer, stats, withTcpProxy } from './helpers.js';

type Echo = Awaited<ReturnType<typeof startTcpEcho>>;

describe('tcp_proxy relay', () => {
  let echo: Echo;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-tcp-proxy-'));
  before(async () => {
    echo = await startTcpEcho({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await echo.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('relays a line echo round trip and closes after both sides finish', async () => {
    await withTcpProxy('stat_prefix: echo\ncluster: echo', staticCluster('echo', [echo.port]), async (_proxy, port) => {
      const conn = await openLine(port);
      assert.equal(await conn.ask('hello world'), 'hello world');
      assert.equal(await conn.ask('second line'), 'second line');
      conn.socket.end();
      await conn.closed;
      const got = await exchange(port, 'one\ntwo\nno newline');
      assert.equal(got.data.toString(), 'one\ntwo\nno newline');
      assert.equal(got.gotEnd, true);
    });
  });

  it('half-close: after the client FIN it still receives what the upstream sends, then the connection closes', async () => {
    // The upstream answers only once it has read everything (after the client's FIN).
    const upstream = await startServer((s) => {
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => {
        s.write(`got ${Buffer.concat(chunks).length} bytes: ${Buffer.concat(chunks).toString()}`);
        setTimeout(() => s.end(' bye'), 50);
      });
    });
    try {
      await withTcpProxy('stat_prefix: half\ncluster: up', staticCluster('up', [upstream.port]), async (_proxy, port) => {
        const got = await exchange(port, 'abc');
        assert.equal(got.data.toString(), 'got 3 bytes: abc bye');
        assert.equal(got.gotEnd, true);
        assert.equal(got.error, undefined);
      });
    } finally {
      await upstream.close();
    }
  });

  it('half-close the other way: the upstream FINs first and still receives the client data that follows', async () => {
    let upstreamGot: Promise<string> | undefined;
    const upstream = await startServer((s) => {
      s.end('server done\n');
      upstreamGot = new Promise((resolve) => {
        const chunks: Buffer[] = [];
        s.on('data', (c: Buffer) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks).toString()));
      });
    });
    try {
      await withTcpProxy('stat_prefix: half2\ncluster: up', staticCluster('up', [upstream.port]), async (_proxy, port) => {
        const received = await new Promise<string>((resolve, reject) => {
          const chunks: Buffer[] = [];
          const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
          socket.on('data', (c: Buffer) => chunks.push(c));
          // Only after the upstream's FIN arrives does the client send, then FIN.
          socket.on('end', () => socket.end('late data from client'));
          socket.on('error', reject);
          socket.on('close', () => resolve(Buffer.concat(chunks).toString()));
        });
        assert.equal(received, 'server done\n');
        assert.equal(await upstreamGot, 'late data from client');
      });
    } finally {
      await upstream.close();
    }
  });

  const ncHelp = spawnSync('nc', ['-h'], { encoding: 'utf8' });
  const ncHalfClose = !ncHelp.error && /-N\b/.test(`${ncHelp.stdout}${ncHelp.stderr}`);
  it('works with `nc -N` (shuts its write side at EOF, keeps reading)', { skip: ncHalfClose ? false : 'OpenBSD nc with -N is not installed' }, async () => {
    await withTcpProxy('stat_prefix: nc\ncluster: echo', staticCluster('echo', [echo.port]), async (_proxy, port) => {
      const out = await new Promise<string>((resolve, reject) => {
        const child = spawn('nc', ['-N', '127.0.0.1', String(port)], { stdio: ['pipe', 'pipe', 'inherit'] });
        let text = '';
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (c: string) => (text += c));
        child.on('error', reject);
        child.on('close', () => resolve(text));
        child.stdin.end('hello from nc\nlast line without newline');
      });
      assert.equal(out, 'hello from nc\nlast line without newline');
    });
  });

  it('splits connections over weighted clusters', async () => {
    const a = await startTcpEcho({ port: 0, host: '127.0.0.1', prefix: 'a' });
    const b = await startTcpEcho({ port: 0, host: '127.0.0.1', prefix: 'b' });
    try {
      const config = `stat_prefix: weighted
weighted_clusters:
  clusters:
  - { name: light, weight: 1 }
  - { name: heavy, weight: 9 }`;
      await withTcpProxy(config, `${staticCluster('light', [a.port])}\n${staticCluster('heavy', [b.port])}`, async (proxy, port) => {
        const counts = { a: 0, b: 0 };
        for (let i = 0; i < 100; i++) {
          const got = (await exchange(port, 'x\n')).data.toString();
          if (got === 'a x\n') counts.a++;
          else if (got === 'b x\n') counts.b++;
          else assert.fail(`unexpected reply ${JSON.stringify(got)}`);
        }
        assert.ok(counts.a > 0, 'the light cluster got some connections');
        assert.ok(counts.b > counts.a, `the heavy cluster got more (${counts.b} vs ${counts.a})`);
        const s = await stats(proxy, 'upstream_cx_total');
        assert.equal(s.get('cluster.light.upstream_cx_total'), counts.a);
        assert.equal(s.get('cluster.heavy.upstream_cx_total'), counts.b);
      });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it('carries 12 MB each way intact, pausing the fast side when the slow one is full', async () => {
    const size = 12 * 1024 * 1024;
    const up = crypto.randomBytes(size);
    const upHash = crypto.createHash('sha256').update(up).digest('hex');
    let upstreamHash: Promise<string> | undefined;
    // The upstream floods its 12 MB at once and hashes what it receives, reading late and slowly.
    const upstream = await startServer((s) => {
      s.end(up);
      upstreamHash = new Promise((resolve) => {
        const h = crypto.createHash('sha256');
        s.on('data', (c: Buffer) => {
          h.update(c);
          s.pause();
          setImmediate(() => s.resume());
        });
        s.on('end', () => resolve(h.digest('hex')));
        // Not reading at all for a while fills the kernel's buffers whatever the
        // machine's load, so the proxy's upstream writes must back up and it has to
        // stop reading the downstream (reading slowly alone did not always do that).
        s.pause();
        setTimeout(() => s.resume(), 300);
      });
    });
    try {
      await withTcpProxy('stat_prefix: bulk\ncluster: up', staticCluster('up', [upstream.port]), async (proxy, port) => {
        const down = crypto.randomBytes(size);
        const result = await new Promise<{ hash: string; bytes: number }>((resolve, reject) => {
          const h = crypto.createHash('sha256');
          let bytes = 0;
          const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => socket.end(down));
          // A slow reader: the proxy has to stop reading the upstream while we lag.
          socket.on('data', (c: Buffer) => {
            h.update(c);
            bytes += c.length;
            socket.pause();
            setImmediate(() => socket.resume());
          });
          socket.on('error', reject);
          socket.on('close', () => resolve({ hash: h.digest('hex'), bytes }));
        });
        assert.equal(result.bytes, size);
        assert.equal(result.hash, upHash);
        assert.equal(await upstreamHash, crypto.createHash('sha256').update(down).digest('hex'));
        await settled(proxy);
        const s = await stats(proxy, '(^tcp\\.bulk\\.)|(^cluster\\.up\\.)');
        assert.equal(s.get('tcp.bulk.downstream_cx_rx_bytes_total'), size);
        assert.equal(s.get('cluster.up.upstream_cx_rx_bytes_total'), size);
        assert.equal(s.get('cluster.up.upstream_cx_tx_bytes_total'), size);
        assert.ok(s.get('cluster.up.upstream_flow_control_paused_reading_total')! > 0, 'upstream reads were paused');
        assert.ok(s.get('tcp.bulk.downstream_flow_control_paused_reading_total')! > 0, 'downstream reads were paused');
        assert.equal(s.get('tcp.bulk.downstream_flow_control_paused_reading_total'), s.get('tcp.bulk.downstream_flow_control_resumed_reading_total'));
        assert.equal(s.get('cluster.up.upstream_flow_control_paused_reading_total'), s.get('cluster.up.upstream_flow_control_resumed_reading_total'));
        assert.equal(s.get('tcp.bulk.downstream_cx_tx_bytes_buffered'), 0);
        assert.equal(s.get('tcp.bulk.downstream_cx_rx_bytes_buffered'), 0);
        assert.equal(s.get('cluster.up.upstream_cx_active'), 0);
      });
    } finally {
      await upstream.close();
    }
  });

  it('writes an access log line per connection with bytes, upstream host and cluster', async () => {
    const file = path.join(dir, 'tcp.log');
    const format = '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT% %UPSTREAM_HOST% %UPSTREAM_CLUSTER% %BYTES_RECEIVED% %BYTES_SENT% %RESPONSE_CODE% %RESPONSE_FLAGS% %PROTOCOL% %UPSTREAM_REQUEST_ATTEMPT_COUNT%\\n';
    const config = `stat_prefix: logged
cluster: echo
access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${file}
    log_format: { text_format_source: { inline_string: "${format}" } }`;
    await withTcpProxy(config, staticCluster('echo', [echo.port]), async (_proxy, port) => {
      const got = await exchange(port, 'ping\nping2\n');
      assert.equal(got.data.toString(), 'ping\nping2\n');
      await eventually(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').endsWith('\n'), 'the access log line');
      assert.equal(fs.readFileSync(file, 'utf8'), `127.0.0.1 127.0.0.1:${echo.port} echo 11 11 0 - - 1\n`);
    });
  });

  it('declares every tcp.<stat_prefix>. stat in /stats and counts connections and bytes', async () => {
    await withTcpProxy('stat_prefix: counted\ncluster: echo', staticCluster('echo', [echo.port]), async (proxy, port) => {
      await exchange(port, 'abc\n');
      await exchange(port, 'defg\n');
      await settled(proxy);
      const s = await stats(proxy, '(^tcp\\.counted\\.)|(^cluster\\.echo\\.)');
      const expected: Record<string, number> = {
        'tcp.counted.downstream_cx_total': 2,
        'tcp.counted.downstream_cx_no_route': 0,
        'tcp.counted.downstream_cx_rx_bytes_total': 9,
        'tcp.counted.downstream_cx_tx_bytes_total': 9,
        'tcp.counted.downstream_cx_rx_bytes_buffered': 0,
        'tcp.counted.downstream_cx_tx_bytes_buffered': 0,
        'tcp.counted.downstream_flow_control_paused_reading_total': 0,
        'tcp.counted.downstream_flow_control_resumed_reading_total': 0,
        'tcp.counted.early_data_received_count_total': 0,
        'tcp.counted.idle_timeout': 0,
        'tcp.counted.max_downstream_connection_duration': 0,
        'tcp.counted.upstream_flush_total': 0,
        'tcp.counted.upstream_flush_active': 0,
        'cluster.echo.upstream_cx_total': 2,
        'cluster.echo.upstream_cx_active': 0,
        'cluster.echo.upstream_cx_connect_fail': 0,
        'cluster.echo.upstream_cx_rx_bytes_total': 9,
        'cluster.echo.upstream_cx_tx_bytes_total': 9,
      };
      for (const [name, value] of Object.entries(expected)) assert.equal(s.get(name), value, name);
      const res = await fetch(`${proxy.adminUrl}/stats?filter=upstream_cx_length_ms`);
      assert.match(await res.text(), /cluster\.echo\.upstream_cx_length_ms: P0/);
    });
  });
});
