// TCP proxy failure handling a client and an operator can observe: dead upstreams,
// connect retries, missing clusters, no hosts, idle and duration limits, resets.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { staticCluster } from '../../../helpers/proxy.js';
import { startTcpEcho } from '../../../../src/testing/echo/index.js';
import { deadPort, eventually, exchange, openLine, settled, startServer, stats, withTcpProxy } from './helpers.js';

type Echo = Awaited<ReturnType<typeof startTcpEcho>>;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-tcp-fail-'));

/** tcp_proxy config lines plus a file access log printing flags, host and failure reason. */
function logged(name: string, lines: string): { config: string; file: string } {
  const file = path.join(dir, `${name}.log`);
  const config = `stat_prefix: ${name}
${lines}
access_log:
- name: envoy.access_loggers.file
  typed_config:
    "@type": type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog
    path: ${file}
    log_format: { text_format_source: { inline_string: "%RESPONSE_FLAGS% %UPSTREAM_HOST% %UPSTREAM_CLUSTER% %UPSTREAM_TRANSPORT_FAILURE_REASON%\\n" } }`;
  return { config, file };
}

async function logLines(file: string, count: number): Promise<string[]> {
  await eventually(() => fs.existsSync(file) && fs.readFileSync(file, 'utf8').split('\n').length > count, `${count} access log line(s)`);
  return fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
}

describe('tcp_proxy failures', () => {
  let echo: Echo;
  before(async () => {
    echo = await startTcpEcho({ port: 0, host: '127.0.0.1' });
  });
  after(async () => {
    await echo.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('closes the client at once when the upstream refuses, counting connect_fail (UF,URX)', async () => {
    const dead = await deadPort();
    const { config, file } = logged('down', 'cluster: dead');
    await withTcpProxy(config, staticCluster('dead', [dead]), async (proxy, port) => {
      const got = await exchange(port, 'hello\n', { keepOpen: true });
      assert.equal(got.data.length, 0);
      const s = await stats(proxy, '^cluster\\.dead\\.upstream_cx_');
      assert.equal(s.get('cluster.dead.upstream_cx_total'), 1);
      assert.equal(s.get('cluster.dead.upstream_cx_connect_fail'), 1);
      assert.equal(s.get('cluster.dead.upstream_cx_connect_attempts_exceeded'), 1);
      assert.equal(s.get('cluster.dead.upstream_cx_active'), 0);
      assert.deepEqual(await logLines(file, 1), [`UF,URX 127.0.0.1:${dead} dead delayed connect error: 111`]);
      const clusters = await (await fetch(`${proxy.adminUrl}/clusters`)).text();
      assert.match(clusters, new RegExp(`dead::127\\.0\\.0\\.1:${dead}::cx_connect_fail::1`));
    });
  });

  it('retries the connect up to max_connect_attempts, reaching the live host after a dead one', async () => {
    const dead = await deadPort();
    const config = 'stat_prefix: retry\ncluster: mixed\nmax_connect_attempts: 2';
    await withTcpProxy(config, staticCluster('mixed', [dead, echo.port]), async (proxy, port) => {
      for (let i = 0; i < 4; i++) {
        const got = await exchange(port, `line ${i}\n`);
        assert.equal(got.data.toString(), `line ${i}\n`);
      }
      const s = await stats(proxy, '^cluster\\.mixed\\.upstream_cx_');
      assert.ok(s.get('cluster.mixed.upstream_cx_connect_fail')! >= 1, 'the dead host was tried');
      assert.equal(s.get('cluster.mixed.upstream_cx_total'), 4 + s.get('cluster.mixed.upstream_cx_connect_fail')!);
      assert.equal(s.get('cluster.mixed.upstream_cx_connect_attempts_exceeded'), 0);
    });
  });

  it('gives up after max_connect_attempts when every host is dead', async () => {
    const [d1, d2] = [await deadPort(), await deadPort()];
    await withTcpProxy('stat_prefix: exhaust\ncluster: dead\nmax_connect_attempts: 3', staticCluster('dead', [d1, d2]), async (proxy, port) => {
      const got = await exchange(port, 'x', { keepOpen: true });
      assert.equal(got.data.length, 0);
      const s = await stats(proxy, '^cluster\\.dead\\.upstream_cx_');
      assert.equal(s.get('cluster.dead.upstream_cx_connect_fail'), 3);
      assert.equal(s.get('cluster.dead.upstream_cx_connect_attempts_exceeded'), 1);
    });
  });

  it('closes connections to an unknown cluster (downstream_cx_no_route, NC)', async () => {
    const { config, file } = logged('noroute', 'cluster: nowhere');
    await withTcpProxy(config, staticCluster('echo', [echo.port]), async (proxy, port) => {
      const got = await exchange(port, 'x', { keepOpen: true });
      assert.equal(got.data.length, 0);
      assert.equal((await stats(proxy, '^tcp\\.noroute\\.downstream_cx_no_route$')).get('tcp.noroute.downstream_cx_no_route'), 1);
      assert.deepEqual(await logLines(file, 1), ['NC - - -']);
    });
  });

  it('closes connections when the cluster has no hosts (upstream_cx_none_healthy, UH)', async () => {
    const { config, file } = logged('empty', 'cluster: empty');
    const cluster = '- name: empty\n  connect_timeout: 1s\n  type: STATIC\n  load_assignment: { cluster_name: empty, endpoints: [] }';
    await withTcpProxy(config, cluster, async (proxy, port) => {
      const got = await exchange(port, 'x', { keepOpen: true });
      assert.equal(got.data.length, 0);
      assert.equal((await stats(proxy, '^cluster\\.empty\\.upstream_cx_none_healthy$')).get('cluster.empty.upstream_cx_none_healthy'), 1);
      assert.deepEqual(await logLines(file, 1), ['UH - empty -']);
    });
  });

  it('closes an idle connection after idle_timeout and counts idle_timeout', async () => {
    await withTcpProxy('stat_prefix: idle\ncluster: echo\nidle_timeout: 0.5s', staticCluster('echo', [echo.port]), async (proxy, port) => {
      const conn = await openLine(port);
      assert.equal(await conn.ask('still here'), 'still here');
      await conn.closed;
      await settled(proxy);
      assert.equal((await stats(proxy, '^tcp\\.idle\\.idle_timeout$')).get('tcp.idle.idle_timeout'), 1);
      const s = await stats(proxy, '^cluster\\.echo\\.upstream_cx_destroy');
      assert.equal(s.get('cluster.echo.upstream_cx_destroy_local'), 1);
    });
  });

  it('closes a connection at max_downstream_connection_duration (DT)', async () => {
    const { config, file } = logged('maxdur', 'cluster: echo\nmax_downstream_connection_duration: 0.5s');
    await withTcpProxy(config, staticCluster('echo', [echo.port]), async (proxy, port) => {
      const conn = await openLine(port);
      assert.equal(await conn.ask('hi'), 'hi');
      await conn.closed;
      assert.deepEqual(await logLines(file, 1), [`DT 127.0.0.1:${echo.port} echo -`]);
      assert.equal((await stats(proxy, 'max_downstream_connection_duration$')).get('tcp.maxdur.max_downstream_connection_duration'), 1);
    });
  });

  it('resets the client when the upstream resets (UR), and closes the upstream when the client resets', async () => {
    const { config, file } = logged('reset', 'cluster: rst');
    let upstreamClosed: Promise<void> | undefined;
    const upstream = await startServer((s) => {
      s.once('data', (c: Buffer) => {
        if (c.toString() === 'reset me') s.resetAndDestroy();
        // The proxy closes (FIN) its upstream side, as Envoy does for a downstream reset.
        else upstreamClosed = new Promise((done) => s.once('end', () => done()));
      });
    });
    try {
      await withTcpProxy(config, staticCluster('rst', [upstream.port]), async (_proxy, port) => {
        const got = await exchange(port, 'reset me', { keepOpen: true });
        assert.equal(got.gotEnd, false);
        assert.equal(got.error, 'ECONNRESET');
        assert.deepEqual(await logLines(file, 1), [`UR 127.0.0.1:${upstream.port} rst -`]);

        const client = net.connect({ port, host: '127.0.0.1' }, () => client.write('hold on'));
        client.on('error', () => {});
        await eventually(() => upstreamClosed !== undefined, 'the upstream to get data');
        client.resetAndDestroy();
        await upstreamClosed;
      });
    } finally {
      await upstream.close();
    }
  });

  it('hashes the source IP for RING_HASH clusters (hash_policy source_ip)', async () => {
    const echoes = await Promise.all([0, 1, 2, 3].map((i) => startTcpEcho({ port: 0, host: '127.0.0.1', prefix: `e${i}` })));
    try {
      const config = 'stat_prefix: hashed\ncluster: ring\nhash_policy: [{ source_ip: {} }]';
      await withTcpProxy(config, staticCluster('ring', echoes.map((e) => e.port), 'lb_policy: RING_HASH'), async (_proxy, port) => {
        const replies = new Set<string>();
        for (let i = 0; i < 12; i++) replies.add((await exchange(port, 'x\n')).data.toString());
        assert.equal(replies.size, 1, `one client IP always reaches the same host, got ${[...replies].join(' | ')}`);
      });
    } finally {
      await Promise.all(echoes.map((e) => e.close()));
    }
  });
});
