// The chapter-3 lab without a control plane: a real `bin/skein proxy -c` process
// running examples/envoy-ch3/simple.yaml (listener and admin moved to free ports),
// inspected with `bin/skein proxy-config ... --admin-address`, and from saved files
// with --file, the way istioctl reads `curl localhost:15000/config_dump > file`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot, skeinBin } from '../helpers/paths.js';
import { run, spawnProxy, stopProcess, tempDir, type SkeinProcess } from '../helpers/process.js';

let proc: SkeinProcess | undefined;
let admin = '';
let dir = '';

const skein = (...args: string[]) => run(process.execPath, [skeinBin, ...args]);

async function ok(...args: string[]): Promise<string> {
  const r = await skein(...args);
  assert.equal(r.code, 0, `skein ${args.join(' ')} failed:\n${r.stderr}${r.stdout}`);
  return r.stdout;
}

describe('proxy-config --admin-address on the chapter-3 static bootstrap (simple.yaml)', () => {
  before(async () => {
    const yaml = fs
      .readFileSync(path.join(repoRoot, 'examples', 'envoy-ch3', 'simple.yaml'), 'utf8')
      .replace('port_value: 15000', 'port_value: 0')
      .replace('port_value: 15001', 'port_value: 0');
    const p = await spawnProxy(yaml);
    proc = p.proc;
    admin = p.admin.replace(/^http:\/\//, '');
    dir = tempDir('skein-ctl-lab-');
  });
  after(async () => {
    await stopProcess(proc);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('route, cluster, listener and endpoint tables of the static config', async () => {
    assert.equal(await ok('proxy-config', 'route', '--admin-address', admin), 'NAME                    DOMAINS     MATCH     VIRTUAL SERVICE\nhttpbin_local_route     *           /*        \n');
    assert.equal(
      await ok('proxy-config', 'cluster', '--admin-address', admin),
      'SERVICE FQDN        PORT     SUBSET     DIRECTION     TYPE            DESTINATION RULE\nhttpbin_service     -        -          -             LOGICAL_DNS     \n',
    );
    assert.equal(await ok('proxy-config', 'listener', '--admin-address', admin), 'ADDRESS PORT MATCH DESTINATION\n0.0.0.0 0    ALL   Cluster: httpbin_service\n');
    assert.equal(await ok('proxy-config', 'endpoint', '--admin-address', `http://${admin}/`), 'ENDPOINT           STATUS      OUTLIER CHECK     CLUSTER\n127.0.0.1:8000     HEALTHY     OK                httpbin_service\n');
  });

  it('route -o json prints the route with auto_host_rewrite as autoHostRewrite; bootstrap -o yaml is the bootstrap', async () => {
    const [rc] = JSON.parse(await ok('proxy-config', 'route', '--admin-address', admin, '-o', 'json'));
    assert.deepEqual(rc.virtualHosts[0].routes[0], { match: { prefix: '/' }, route: { cluster: 'httpbin_service', autoHostRewrite: true } });
    const yaml = await ok('proxy-config', 'bootstrap', '--admin-address', admin, '-o', 'yaml');
    assert.match(yaml, /^bootstrap:\n/);
    assert.match(yaml, /^ {4}clusters:\n {4}- connectTimeout: 5s\n/m);
  });

  it('log --level debug sets every logger; the proxy reports it', async () => {
    const out = await ok('proxy-config', 'log', '--admin-address', admin, '--level', 'debug');
    assert.match(out, /^active loggers:\n {2}admin: debug\n/);
    assert.doesNotMatch(out, /: (info|warning)$/m);
    assert.match(await ok('proxy-config', 'log', '--admin-address', admin), /^ {2}http: debug$/m);
    const bad = await skein('proxy-config', 'log', '--admin-address', admin, '--level', 'loud');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /^Error: unrecognized logging level: loud/m);
  });

  it('--file reads a saved /config_dump (and /clusters?format=json for endpoints)', async () => {
    const dumpFile = path.join(dir, 'envoy-config.json');
    fs.writeFileSync(dumpFile, await (await fetch(`http://${admin}/config_dump`)).text());
    const clustersFile = path.join(dir, 'envoy-clusters.json');
    fs.writeFileSync(clustersFile, await (await fetch(`http://${admin}/clusters?format=json`)).text());
    assert.equal(await ok('proxy-config', 'route', '--file', dumpFile), await ok('proxy-config', 'route', '--admin-address', admin));
    assert.equal(await ok('proxy-config', 'endpoint', '-f', clustersFile), await ok('proxy-config', 'endpoint', '--admin-address', admin));
    const summary = await ok('proxy-config', 'all', '-f', dumpFile);
    assert.match(summary, /^SERVICE FQDN .*\nhttpbin_service .*\n\nADDRESS PORT MATCH DESTINATION\n.*\n\nNAME .*\nhttpbin_local_route .*\n\nNo active or warming secrets found\.\n$/);
  });

  it('a wrong admin address is an error naming it', async () => {
    const r = await skein('proxy-config', 'route', '--admin-address', '127.0.0.1:1');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: cannot reach the proxy admin API at 127\.0\.0\.1:1 \(ECONNREFUSED\)/m);
  });
});
