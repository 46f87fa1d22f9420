// examples/tls end to end, as seed 003 runs them against the ingress gateway: real
// skein processes, the book's PKI layout (generated with openssl), curl, openssl
// s_client and a raw TCP client.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { run, spawnProxy, spawnSkein, stopProcess, tempDir, type SkeinProcess } from '../helpers/process.js';

const HOSTS = ['webapp.istioinaction.io', 'catalog.istioinaction.io', 'simple-tls-service-1.istioinaction.io', 'simple-tls-service-2.istioinaction.io'];

describe('examples/tls (seed 003 gateway scenarios)', () => {
  const pki = tempDir('skein-pki-');
  const backends: SkeinProcess[] = [];
  const ports: Record<string, number> = {};
  const running: Array<Awaited<ReturnType<typeof spawnProxy>>> = [];

  async function backend(key: string, args: string[]): Promise<void> {
    const proc = spawnSkein([...args, '--port', '0', '--host', '127.0.0.1']);
    backends.push(proc);
    ports[key] = Number((await proc.waitFor(/listening on \w+:\/\/[^:]+:(\d+)/))[1]);
  }

  /** The example config with certificate paths into our PKI and ports to the test's. */
  function example(name: string): string {
    return fs
      .readFileSync(path.join(repoRoot, 'examples', 'tls', `${name}.yaml`), 'utf8')
      .replaceAll('examples/tls/', `${pki}/`)
      .replace(/port_value: (15000|8443|8080|31400)\b/g, 'port_value: 0')
      .replace(/port_value: 3000\b/g, `port_value: ${ports.catalog}`)
      .replace(/port_value: 8082\b/g, `port_value: ${ports.webapp}`)
      .replace(/port_value: 2701\b/g, `port_value: ${ports.tcpEcho}`)
      .replace(/port_value: 9443\b/g, `port_value: ${ports.tls1}`)
      .replace(/port_value: 9444\b/g, `port_value: ${ports.tls2}`)
      .replace(/address: 0\.0\.0\.0/g, 'address: 127.0.0.1');
  }

  async function start(name: string) {
    const proxy = await spawnProxy(example(name));
    running.push(proxy);
    return proxy;
  }

  const resolveAll = (port: number) => HOSTS.flatMap((h) => ['--resolve', `${h}:${port}:127.0.0.1`]);
  const ca = () => `${pki}/certs/2_intermediate/certs/ca-chain.cert.pem`;

  before(async () => {
    const gen = await run(path.join(repoRoot, 'examples', 'tls', 'gen-certs.sh'), [pki]);
    assert.equal(gen.code, 0, gen.stderr);
    await backend('catalog', ['catalog']);
    await backend('webapp', ['webapp', '--catalog-url', `http://127.0.0.1:${ports.catalog}`]);
    await backend('tcpEcho', ['tcp-echo', '--prefix', 'hello']);
    const b = `${pki}/backends`;
    await backend('tls1', ['echo', '--pod', 'simple-tls-service-1', '--tls-cert', `${b}/certs/simple-tls-service-1.istioinaction.io.cert.pem`, '--tls-key', `${b}/private/simple-tls-service-1.istioinaction.io.key.pem`]);
    await backend('tls2', ['echo', '--pod', 'simple-tls-service-2', '--tls-cert', `${b}/certs/simple-tls-service-2.istioinaction.io.cert.pem`, '--tls-key', `${b}/private/simple-tls-service-2.istioinaction.io.key.pem`]);
  });
  after(async () => {
    for (const p of running) await stopProcess(p.proc);
    for (const b of backends) await stopProcess(b);
    fs.rmSync(pki, { recursive: true, force: true });
  });

  it('SIMPLE: curl with the CA chain gets the catalog through webapp; without it curl refuses; HTTP redirects to HTTPS', async () => {
    const proxy = await start('simple-tls');
    const https = await proxy.listenerPort('https');
    const url = `https://webapp.istioinaction.io:${https}/api/catalog`;
    const ok = await run('curl', ['-s', '--cacert', ca(), ...resolveAll(https), url]);
    assert.equal(ok.code, 0, ok.stderr);
    const items = JSON.parse(ok.stdout) as Array<{ name: string }>;
    assert.deepEqual(items.map((i) => i.name), ['Elinor Glasses', 'Atlas Shirt', 'Small Metal Shoes', 'Red Dragon Watch']);
    const untrusted = await run('curl', ['-s', ...resolveAll(https), url]);
    assert.equal(untrusted.code, 60, 'curl: (60) SSL certificate problem');
    const http = await proxy.listenerPort('http');
    const redirect = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code} %{redirect_url}', '-H', 'Host: webapp.istioinaction.io', `http://127.0.0.1:${http}/api/catalog`]);
    assert.equal(redirect.stdout, 'https://webapp.istioinaction.io/api/catalog'.replace(/^/, '301 '));
    const certs = JSON.parse(await (await fetch(`${proxy.admin}/certs`)).text()) as { certificates: Array<{ cert_chain: Array<{ subject_alt_names: unknown[] }> }> };
    assert.deepEqual(certs.certificates[0]?.cert_chain[0]?.subject_alt_names, [{ dns: 'webapp.istioinaction.io' }]);
    // curl negotiated HTTP/2 over ALPN; h2load drives many streams over TLS the same way.
    const version = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_version}', '--cacert', ca(), ...resolveAll(https), url]);
    assert.equal(version.stdout, '2');
    const load = await run('h2load', ['-n', '200', '-c', '4', '-m', '10', '-H', ':authority: webapp.istioinaction.io', `https://127.0.0.1:${https}/api/healthz`]);
    assert.match(load.stdout, /requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed/);
    assert.match(load.stdout, /status codes: 200 2xx/);
  });

  it('MUTUAL: no client certificate or one from another CA fails the handshake; the right one gets through', async () => {
    const proxy = await start('mutual-tls');
    const port = await proxy.listenerPort('https');
    const url = `https://webapp.istioinaction.io:${port}/api/catalog`;
    const noCert = await run('curl', ['-s', '--cacert', ca(), ...resolveAll(port), url]);
    assert.notEqual(noCert.code, 0);
    const wrongCa = await run('curl', ['-s', '--cacert', ca(), '--cert', `${pki}/certs2/4_client/certs/catalog.istioinaction.io.cert.pem`, '--key', `${pki}/certs2/4_client/private/catalog.istioinaction.io.key.pem`, ...resolveAll(port), url]);
    assert.notEqual(wrongCa.code, 0);
    const good = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', ca(), '--cert', `${pki}/certs/4_client/certs/webapp.istioinaction.io.cert.pem`, '--key', `${pki}/certs/4_client/private/webapp.istioinaction.io.key.pem`, ...resolveAll(port), url]);
    assert.equal(good.stdout, '200', good.stderr);
    const stats = await (await fetch(`${proxy.admin}/stats?filter=ssl\\.(handshake|fail_verify_no_cert|fail_verify_error|connection_error)$`)).text();
    assert.match(stats, /\.ssl\.handshake: 1$/m);
    assert.match(stats, /\.ssl\.fail_verify_no_cert: 1$/m);
    assert.match(stats, /\.ssl\.fail_verify_error: 1$/m);
  });

  it('multiple hosts on one port: each gets its own certificate by SNI', async () => {
    const proxy = await start('multi-tls');
    const port = await proxy.listenerPort('https');
    const webapp = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '--cacert', ca(), ...resolveAll(port), `https://webapp.istioinaction.io:${port}/api/catalog`]);
    assert.equal(webapp.stdout, '200', webapp.stderr);
    const catalog = await run('curl', ['-s', '--cacert', `${pki}/certs2/2_intermediate/certs/ca-chain.cert.pem`, ...resolveAll(port), `https://catalog.istioinaction.io:${port}/items/1`]);
    assert.equal((JSON.parse(catalog.stdout) as { name: string }).name, 'Elinor Glasses');
    const sClient = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', 'catalog.istioinaction.io'], '');
    assert.match(sClient.stdout, /subject=.*CN ?= ?catalog\.istioinaction\.io/);
  });

  it('TCP: lines sent to 31400 come back from tcp-echo', async () => {
    const proxy = await start('tcp-echo');
    const port = await proxy.listenerPort('tcp');
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.end('world\n'));
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.equal(reply, 'hello world\n');
    // The book uses telnet/nc: -N sends the FIN after stdin ends, the answer still comes back.
    const nc = await run('nc', ['-N', '127.0.0.1', String(port)], 'from nc\n');
    assert.equal(nc.stdout, 'hello from nc\n');
  });

  it('SNI passthrough: each backend is reached by SNI with its own certificate, TLS end to end', async () => {
    const proxy = await start('sni-passthrough');
    const port = await proxy.listenerPort('passthrough');
    for (const n of [1, 2]) {
      const host = `simple-tls-service-${n}.istioinaction.io`;
      const res = await run('curl', ['-s', '--cacert', ca(), ...resolveAll(port), `https://${host}:${port}/`]);
      assert.equal(res.code, 0, res.stderr);
      assert.equal((JSON.parse(res.stdout) as { pod: string }).pod, `simple-tls-service-${n}`);
    }
    const stats = await (await fetch(`${proxy.admin}/stats?filter=^tcp\\.simple_tls_service_\\d\\.downstream_cx_total$`)).text();
    assert.equal(stats, 'tcp.simple_tls_service_1.downstream_cx_total: 1\ntcp.simple_tls_service_2.downstream_cx_total: 1\n');
    // The proxy holds no certificate for these hosts: it never terminated their TLS.
    const certs = JSON.parse(await (await fetch(`${proxy.admin}/certs`)).text()) as { certificates: unknown[] };
    assert.deepEqual(certs.certificates, []);
  });
});
