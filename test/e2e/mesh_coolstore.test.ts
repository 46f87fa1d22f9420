// The acceptance story of seed 003's chapter 4 on one machine: `skein mesh up
// examples/coolstore` runs the discovery server, Istio's default ingress gateway and
// the book's webapp and catalog with sidecars; curl reaches the gateway on
// localhost:30000 as kind's port mapping does in the seed. Checked here: the catalog
// answer and the path it took (each proxy's cluster counters), the 404 without the
// Host header, proxy-status / proxy-config, a live VirtualService edit under load,
// scaling catalog to 2 replicas, and that SIGTERM leaves no process behind.
//
// It uses the mesh's default ports (xDS 15010, debug 15014, control 15080, node ports
// 30000/30005/31400), as a user would.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CATALOG_CLUSTER, COOLSTORE_HOST_HEADER, meshPods, proxyCounter, skein, WEBAPP_CLUSTER, type PodRow } from '../helpers/mesh.js';
import { repoRoot } from '../helpers/paths.js';
import { run, spawnSkein, stopProcess, tempDir, type SkeinProcess } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { startWrk, type WrkRun } from '../helpers/wrk.js';

const HOST = COOLSTORE_HOST_HEADER;
const GATEWAY_URL = 'http://localhost:30000/api/catalog';
const BOOK_ITEMS = ['Elinor Glasses', 'Atlas Shirt', 'Small Metal Shoes', 'Red Dragon Watch'];

const pods = () => meshPods();

async function podsOf(deployment: string): Promise<PodRow[]> {
  return (await pods()).filter((p) => p.deployment === deployment && p.status !== 'Terminating');
}

const rqTotal = (podIp: string, cluster: string) => proxyCounter(podIp, `cluster.${cluster}.upstream_rq_total`);

/** Processes started for this mesh: their working directory is the config copy or the run directory. */
function meshProcesses(dirs: string[]): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if (dirs.some((d) => cwd === d || cwd.startsWith(d + path.sep))) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

describe('skein mesh up examples/coolstore', { timeout: 240_000 }, () => {
  const configDir = tempDir('skein-coolstore-');
  const runDir = tempDir('skein-coolstore-run-');
  let mesh: SkeinProcess | undefined;
  let wrk: WrkRun | undefined;
  let gatewayIp = '';

  before(async () => {
    fs.cpSync(path.join(repoRoot, 'examples', 'coolstore'), configDir, { recursive: true });
    mesh = spawnSkein(['mesh', 'up', configDir, '--run-dir', runDir]);
    await mesh.waitFor(/\[mesh\] ready: \d+ pods/, 90_000);
    gatewayIp = (await podsOf('istio-ingressgateway'))[0]!.ip;
  });

  after(async () => {
    wrk?.kill();
    await stopProcess(mesh);
    for (const pid of meshProcesses([configDir, runDir])) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(configDir, { recursive: true, force: true });
    fs.rmSync(runDir, { recursive: true, force: true });
  });

  it('prints one line per pod and where the logs are', () => {
    const out = mesh!.output();
    assert.match(out, /\[mesh\] no ingress gateway in the folder: adding istio-system\/istio-ingressgateway/);
    assert.match(out, new RegExp(`\\[mesh\\] logs: ${runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    assert.match(out, /\[mesh\] pod istio-ingressgateway-[0-9a-f]{10}-[a-z0-9]{5}\.istio-system 127\.1\.\d+\.\d+ started/);
    assert.match(out, /\[mesh\] pod catalog-[0-9a-f]{10}-[a-z0-9]{5}\.istioinaction 127\.1\.\d+\.\d+ started/);
    assert.match(out, /\[mesh\] pod webapp-[0-9a-f]{10}-[a-z0-9]{5}\.istioinaction 127\.1\.\d+\.\d+ started/);
    assert.match(out, /\[mesh\] node port 127\.0\.0\.1:30000 → service istio-system\/istio-ingressgateway port 80 \(http2\)/);
  });

  it('lists the pods like kubectl get pods', async () => {
    const r = await skein('mesh', 'status');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP$/m);
    assert.match(r.stdout, /^istio-system\s+istio-ingressgateway-\S+\s+1\/1\s+Running\s+0\s+\S+\s+127\.1\.\d+\.\d+$/m);
    assert.match(r.stdout, /^istioinaction\s+catalog-\S+\s+2\/2\s+Running\s+0\s+\S+\s+127\.1\.\d+\.\d+$/m);
    assert.match(r.stdout, /^istioinaction\s+webapp-\S+\s+2\/2\s+Running\s+0\s+\S+\s+127\.1\.\d+\.\d+$/m);
  });

  it('answers curl on localhost:30000 with the four catalog items, via gateway → webapp sidecar → webapp → its sidecar → catalog sidecar → catalog', async () => {
    const [webapp] = await podsOf('webapp');
    const [catalog] = await podsOf('catalog');
    const before = {
      gateway: await rqTotal(gatewayIp, WEBAPP_CLUSTER),
      webappIn: await rqTotal(webapp!.ip, 'inbound|8080||'),
      webappOut: await rqTotal(webapp!.ip, CATALOG_CLUSTER),
      catalogIn: await rqTotal(catalog!.ip, 'inbound|3000||'),
    };
    const N = 3;
    for (let i = 0; i < N; i++) {
      const r = await run('curl', ['-s', GATEWAY_URL, '-H', HOST]);
      assert.equal(r.code, 0, r.stderr);
      const items = JSON.parse(r.stdout) as { id: number; name: string }[];
      assert.deepEqual(items.map((i) => i.name), BOOK_ITEMS);
      assert.deepEqual(items.map((i) => i.id), [1, 2, 3, 4]);
    }
    // every hop counted the requests (>=: a retry would count twice)
    assert.ok((await rqTotal(gatewayIp, WEBAPP_CLUSTER)) >= before.gateway + N, 'gateway → outbound|80||webapp');
    assert.ok((await rqTotal(webapp!.ip, 'inbound|8080||')) >= before.webappIn + N, 'webapp sidecar → webapp (inbound|8080||)');
    assert.ok((await rqTotal(webapp!.ip, CATALOG_CLUSTER)) >= before.webappOut + N, 'webapp sidecar → outbound|80||catalog');
    assert.ok((await rqTotal(catalog!.ip, 'inbound|3000||')) >= before.catalogIn + N, 'catalog sidecar → catalog (inbound|3000||)');
  });

  it('answers 404 without the Host header the gateway knows', async () => {
    const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', GATEWAY_URL]);
    assert.equal(r.stdout, '404');
  });

  it('shows every proxy SYNCED in proxy-status', async () => {
    const names = (await pods()).map((p) => `${p.name}.${p.namespace}`);
    await waitFor(
      async () => {
        const r = await skein('proxy-status');
        if (r.code !== 0) return false;
        const rows = r.stdout.trim().split('\n').slice(1);
        return names.every((n) => rows.some((row) => row.startsWith(n + ' ') && /\bKubernetes\s+SYNCED\s+SYNCED\s+SYNCED\s+SYNCED\b/.test(row)));
      },
      'every proxy SYNCED for CDS, LDS, EDS and RDS',
      { detail: async () => (await skein('proxy-status')).stdout },
    );
  });

  it("shows the gateway's route like istioctl proxy-config route", async () => {
    const r = await skein('proxy-config', 'route', 'deploy/istio-ingressgateway.istio-system');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^http\.8080\s+webapp\.istioinaction\.io\s+\/\*\s+webapp-vs-from-gw\.istioinaction\s*$/m);
  });

  it('applies a VirtualService edit while requests keep flowing, none failing', async (t) => {
    // the load carries the header the new rule matches: it moves from the old route to the new one mid-run
    wrk = startWrk('http://127.0.0.1:30000/api/catalog', { connections: 4, headers: [HOST, 'x-coolstore: edited'] });
    const started = await rqTotal(gatewayIp, WEBAPP_CLUSTER);
    await waitFor(async () => (await rqTotal(gatewayIp, WEBAPP_CLUSTER)) > started + 20, 'load through the gateway', { detail: () => wrk!.output() });
    const vsFile = path.join(configDir, 'webapp-vs.yaml');
    const edited = fs
      .readFileSync(vsFile, 'utf8')
      .replace(
        '  http:\n',
        [
          '  http:',
          '  - match:',
          '    - uri:',
          '        prefix: /api/catalog',
          '      headers:',
          '        x-coolstore:',
          '          exact: edited',
          '    headers:',
          '      response:',
          '        set:',
          '          x-route: edited',
          '    route:',
          '    - destination:',
          '        host: webapp',
          '        port:',
          '          number: 80',
          '',
        ].join('\n'),
      );
    assert.notEqual(edited, fs.readFileSync(vsFile, 'utf8'));
    const editedAt = Date.now();
    fs.writeFileSync(vsFile + '.tmp', edited);
    fs.renameSync(vsFile + '.tmp', vsFile);
    await waitFor(async () => {
      const r = await run('curl', ['-s', '-D', '-', '-o', '/dev/null', GATEWAY_URL, '-H', HOST, '-H', 'x-coolstore: edited']);
      return /^x-route: edited\r?$/im.test(r.stdout);
    }, 'the edited route to answer');
    t.diagnostic(`new behaviour seen ${Date.now() - editedAt} ms after the edit`);
    const plain = await run('curl', ['-s', '-D', '-', '-o', '/dev/null', GATEWAY_URL, '-H', HOST]);
    assert.match(plain.stdout, /^HTTP\/1\.1 200/);
    assert.doesNotMatch(plain.stdout, /x-route/i, 'requests without the header keep the old route');
    // keep the load on across a few more requests on the new route, then read its summary
    const routed = await rqTotal(gatewayIp, WEBAPP_CLUSTER);
    await waitFor(async () => (await rqTotal(gatewayIp, WEBAPP_CLUSTER)) > routed + 50, 'more load on the new route');
    const summary = await wrk.stop();
    wrk = undefined;
    t.diagnostic(`wrk: ${summary.requests} requests`);
    assert.ok(summary.requests > 0);
    assert.equal(summary.non2xx3xx, 0, summary.raw);
    assert.deepEqual(summary.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 }, summary.raw);
  });

  it('scales catalog to 2 replicas: two endpoints, traffic on both', async () => {
    const r = await skein('mesh', 'scale', 'deploy/catalog', '-n', 'istioinaction', '--replicas', '2');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'deployment.apps/catalog scaled\n');
    await waitFor(async () => {
      const p = await podsOf('catalog');
      return p.length === 2 && p.every((x) => x.ready === '2/2');
    }, 'two ready catalog pods');
    const catalogs = await podsOf('catalog');
    await waitFor(
      async () => {
        const ep = await skein('proxy-config', 'endpoint', 'deploy/webapp.istioinaction', '--cluster', CATALOG_CLUSTER);
        return catalogs.every((c) => new RegExp(`^${c.ip.replace(/\./g, '\\.')}:3000\\s+HEALTHY\\s`, 'm').test(ep.stdout));
      },
      `both catalog endpoints HEALTHY in ${CATALOG_CLUSTER}`,
      { detail: async () => (await skein('proxy-config', 'endpoint', 'deploy/webapp.istioinaction')).stdout },
    );
    const before = await Promise.all(catalogs.map((c) => rqTotal(c.ip, 'inbound|3000||')));
    for (let i = 0; i < 30; i++) {
      const res = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', GATEWAY_URL, '-H', HOST]);
      assert.equal(res.stdout, '200');
    }
    const after = await Promise.all(catalogs.map((c) => rqTotal(c.ip, 'inbound|3000||')));
    catalogs.forEach((c, i) => assert.ok(after[i]! > before[i]!, `catalog pod ${c.name} got traffic`));
  });

  it('stops every process it started on SIGTERM', async () => {
    assert.doesNotMatch(mesh!.output(), /rejected its/, 'no proxy NACKed its config');
    const running = meshProcesses([configDir, runDir]);
    assert.ok(running.length >= 7, `gateway, 2 catalog and 1 webapp pods: ${running.length} processes found`);
    mesh!.kill('SIGTERM');
    assert.equal(await mesh!.exited, 0);
    assert.match(mesh!.output(), /\[mesh\] stopped/);
    assert.deepEqual(meshProcesses([configDir, runDir]), []);
  });
});
