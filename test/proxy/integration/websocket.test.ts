// WebSocket (HTTP/1.1 Upgrade) through the proxy: upgrade_configs at the connection
// manager and per route, the 101 handshake, frames both ways, 403 when not enabled.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { WebSocket } from 'undici';
import { bootstrapYaml, startProxy, staticCluster, type RunningProxy } from '../../helpers/proxy.js';
import { startWsEcho } from '../../helpers/ws_echo.js';

const ROUTES = `
name: local
virtual_hosts:
- name: all
  domains: ["*"]
  routes:
  - match: { prefix: "/no-ws" }
    route: { cluster: ws, upgrade_configs: [{ upgrade_type: websocket, enabled: false }] }
  - match: { prefix: "/" }
    route: { cluster: ws }`;

describe('WebSocket upgrades', () => {
  let echo: Awaited<ReturnType<typeof startWsEcho>>;
  let proxy: RunningProxy;
  before(async () => {
    echo = await startWsEcho();
    proxy = await startProxy(bootstrapYaml({ routeConfig: ROUTES, clusters: staticCluster('ws', [echo.port]), hcmExtra: 'upgrade_configs: [{ upgrade_type: websocket }]' }));
  });
  after(async () => {
    await proxy.stop();
    await echo.close();
  });

  it('a WebSocket client talks to the upstream through the proxy', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${proxy.port('main')}/chat`);
    const replies: string[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener('open', () => ws.send('hello'));
      ws.addEventListener('message', (e) => {
        replies.push(String(e.data));
        if (replies.length === 1) ws.send('x'.repeat(70_000));
        else ws.close(1000);
      });
      ws.addEventListener('close', () => resolve());
      ws.addEventListener('error', () => reject(new Error('websocket error')));
    });
    assert.deepEqual(replies.map((r) => (r.length > 20 ? `${r.length} bytes` : r)), ['hello', '70000 bytes']);
    const stats = await (await fetch(`${proxy.adminUrl}/stats?filter=downstream_cx_upgrades_(total|active)$`)).text();
    assert.match(stats, /^http\.ingress_http\.downstream_cx_upgrades_total: 1$/m);
  });

  it('bytes sent with the upgrade request are not lost', async () => {
    const key = Buffer.from('0123456789abcdef').toString('base64');
    // A masked text frame "hi" right behind the request head, in one write.
    const mask = Buffer.from([1, 2, 3, 4]);
    const payload = Buffer.from('hi').map((b, i) => b ^ mask[i % 4]!);
    const frame = Buffer.concat([Buffer.from([0x81, 0x80 | 2]), mask, payload]);
    const reply = await new Promise<Buffer>((resolve, reject) => {
      const s = net.connect(proxy.port('main'), '127.0.0.1', () =>
        s.write(Buffer.concat([Buffer.from(`GET /raw HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`), frame])),
      );
      let data = Buffer.alloc(0);
      s.on('data', (d) => {
        data = Buffer.concat([data, d]);
        if (data.includes(Buffer.from('\r\n\r\n')) && data.subarray(data.indexOf('\r\n\r\n') + 4).length >= 4) {
          s.destroy();
          resolve(data);
        }
      });
      s.on('error', reject);
    });
    const text = reply.toString('latin1');
    assert.match(text, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
    assert.match(text, /\r\nupgrade: websocket\r\n/i);
    assert.match(text, /\r\nsec-websocket-accept: /i);
    assert.deepEqual([...reply.subarray(reply.indexOf('\r\n\r\n') + 4)], [0x81, 2, ...Buffer.from('hi')]);
  });

  it('a route with the upgrade disabled answers 403', async () => {
    const res = await new Promise<string>((resolve) => {
      const s = net.connect(proxy.port('main'), '127.0.0.1', () => s.write('GET /no-ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: x\r\nSec-WebSocket-Version: 13\r\n\r\n'));
      let data = '';
      s.on('data', (d) => (data += d));
      s.on('close', () => resolve(data));
    });
    assert.match(res, /^HTTP\/1\.1 403 Forbidden\r\n/);
    const stats = await (await fetch(`${proxy.adminUrl}/stats?filter=downstream_rq_ws_on_non_ws_route$`)).text();
    assert.equal(stats, 'http.ingress_http.downstream_rq_ws_on_non_ws_route: 1\n');
  });
});
