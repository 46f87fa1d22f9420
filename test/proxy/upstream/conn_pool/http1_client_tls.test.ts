// TLS origination by the HTTP/1 pool against a node:tls server with a self-signed
// certificate made by the openssl CLI.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { makePool, okResponse, send } from './helpers.js';

describe('HTTP/1 pool: TLS origination', () => {
  let dir: string;
  let cert: string;
  let server: tls.Server;
  let port = 0;
  let connections = 0;
  const seen: string[] = [];

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-h1-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=backend.test', '-addext', 'subjectAltName=DNS:backend.test,IP:127.0.0.1',
    ], { stdio: 'ignore' });
    cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    server = tls.createServer({ cert, key: fs.readFileSync(path.join(dir, 'key.pem')) }, (socket) => {
      connections++;
      socket.on('error', () => undefined);
      let buffered = '';
      socket.on('data', (d: Buffer) => {
        buffered += d.toString('latin1');
        let end: number;
        while ((end = buffered.indexOf('\r\n\r\n')) >= 0) {
          const head = buffered.slice(0, end + 4);
          buffered = buffered.slice(end + 4);
          seen.push(head);
          socket.write(okResponse(`tls ${(socket as tls.TLSSocket).servername ?? '-'} ${connections}`));
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
  });

  after(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('speaks HTTP/1.1 over TLS with SNI, reusing the connection', async () => {
    const fx = makePool(port, {}, { tls: { ca: cert, servername: 'backend.test' } });
    try {
      const before = connections;
      for (let i = 0; i < 3; i++) {
        const r = await send(fx.pool, { path: `/tls/${i}` });
        assert.equal(r.status, 200);
        assert.equal(r.body, `tls backend.test ${before + 1}`);
      }
      assert.equal(connections, before + 1);
      assert.equal(seen.at(-1), 'GET /tls/2 HTTP/1.1\r\nhost: backend\r\n\r\n');
      assert.equal(fx.stat('upstream_cx_total'), 1);
    } finally {
      await fx.pool.destroy();
    }
  });

  it('verifies the server certificate: an untrusted one is a connection failure', async () => {
    const fx = makePool(port, {}, { tls: { servername: 'backend.test' } });
    try {
      const r = await send(fx.pool);
      assert.equal(r.reset, 'connection_failure');
      assert.match(r.detail ?? '', /^TLS_error:\|.*SELF_SIGNED.*:TLS_error_end$/);
      assert.equal(fx.stat('upstream_cx_connect_fail'), 1);
    } finally {
      await fx.pool.destroy();
    }
  });

  it('counts a handshake that never finishes as a connect timeout', async () => {
    const silent = net.createServer((s) => s.on('error', () => undefined).resume());
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const fx = makePool((silent.address() as net.AddressInfo).port, { connect_timeout: { nanos: 100_000_000 } }, { tls: { ca: cert } });
    try {
      const r = await send(fx.pool);
      assert.equal(r.reset, 'connection_failure');
      assert.equal(r.detail, 'connect timeout');
      assert.equal(fx.stat('upstream_cx_connect_timeout'), 1);
    } finally {
      await fx.pool.destroy();
      await new Promise((r) => silent.close(r));
    }
  });
});
