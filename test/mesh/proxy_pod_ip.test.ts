// `skein proxy --pod-ip IP`: the local mesh's stand-in for a pod's network namespace.
// Listeners configured on 0.0.0.0 bind IP instead; config (config_dump) is unchanged;
// listeners on a specific address keep it.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { run, spawnProxy, stopProcess, type SkeinProcess } from '../helpers/process.js';

const POD_IP = '127.1.0.250';

const listener = (name: string, address: string, body: string) => `
  - name: ${name}
    address: { socket_address: { address: "${address}", port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ${name}
          http_filters:
          - name: envoy.filters.http.router
            typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }
          route_config:
            virtual_hosts:
            - name: all
              domains: ["*"]
              routes:
              - match: { prefix: "/" }
                direct_response: { status: 200, body: { inline_string: "${body}" } }`;

const CONFIG = `
admin:
  address: { socket_address: { address: ${POD_IP}, port_value: 0 } }
static_resources:
  listeners:${listener('wildcard', '0.0.0.0', 'from the pod')}${listener('loopback', '127.0.0.1', 'from loopback')}
`;

async function boundPort(admin: string, name: string): Promise<{ address: string; port: number }> {
  const text = await (await fetch(`${admin}/listeners`)).text();
  const m = new RegExp(`^${name}::(.*):(\\d+)$`, 'm').exec(text);
  assert.ok(m, `listener ${name} in /listeners:\n${text}`);
  return { address: m[1]!, port: Number(m[2]) };
}

describe('skein proxy --pod-ip', () => {
  const procs: SkeinProcess[] = [];
  after(async () => {
    await Promise.all(procs.map((p) => stopProcess(p)));
  });

  for (const concurrency of ['1', '2']) {
    it(`binds wildcard listeners to the pod IP and keeps the config (--concurrency ${concurrency})`, async () => {
      const { proc, admin } = await spawnProxy(CONFIG, ['--pod-ip', POD_IP, '--concurrency', concurrency]);
      procs.push(proc);
      assert.ok(admin.startsWith(`http://${POD_IP}:`), 'the admin address comes from the bootstrap');

      const wildcard = await boundPort(admin, 'wildcard');
      assert.equal(wildcard.address, POD_IP);
      const ok = await run('curl', ['-s', `http://${POD_IP}:${wildcard.port}/`]);
      assert.equal(ok.stdout, 'from the pod');
      const elsewhere = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${wildcard.port}/`]);
      assert.equal(elsewhere.stdout, '000', 'not reachable on another loopback address');

      const loopback = await boundPort(admin, 'loopback');
      assert.equal(loopback.address, '127.0.0.1');
      assert.equal((await run('curl', ['-s', `http://127.0.0.1:${loopback.port}/`])).stdout, 'from loopback');

      const dump = (await (await fetch(`${admin}/config_dump?resource=static_listeners`)).json()) as { configs: { listener: { name: string; address: { socket_address: { address: string } } } }[] };
      const addresses = Object.fromEntries(dump.configs.map((c) => [c.listener.name, c.listener.address.socket_address.address]));
      assert.deepEqual(addresses, { wildcard: '0.0.0.0', loopback: '127.0.0.1' });
    });
  }

  it('rejects a --pod-ip that is not one address', async () => {
    for (const bad of ['0.0.0.0', 'pod-1', '::']) {
      const r = await run(process.execPath, [(await import('../helpers/paths.js')).skeinBin, 'proxy', '--pod-ip', bad, '--config-yaml', '{}']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /--pod-ip must be a specific IP address/);
    }
  });
});
