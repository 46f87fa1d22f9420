// `skein mesh up` follows its folder for workloads as a cluster follows `kubectl apply`:
// on a temp copy of examples/coolstore, editing catalog's replicas scales it (two
// endpoints in webapp's proxy), editing its env rolls the pods (new pod names) while a
// load through the gateway's node port sees no failure, a Deployment added in a new
// file starts and is reachable through the gateway, and removing the file stops its
// processes.
//
// It runs beside mesh_coolstore.test.ts (the runner runs two files at once), so it
// shares nothing with it: its own xDS / debug / control ports, node ports from its own
// ingress gateway (the default one with 30000→30200, 30005→30205, 31400→31600), and
// pod addresses from 127.1.202.1 on ($SKEIN_MESH_FIRST_POD_INDEX).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { CATALOG_CLUSTER, COOLSTORE_HOST_HEADER, meshPods, proxyCounter, skein, WEBAPP_CLUSTER } from '../helpers/mesh.js';
import { repoRoot } from '../helpers/paths.js';
import { run, spawnSkein, stopProcess, tempDir, type SkeinProcess } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';
import { startWrk, type WrkRun } from '../helpers/wrk.js';

const DISCOVERY_PORT = '15210';
const DEBUG_ADDRESS = '127.0.0.1:15214';
const CONTROL_PORT = '15280';
const NODE_PORT = 30200;
const FIRST_POD_INDEX = 202 * 256 + 1;

const HOST = COOLSTORE_HOST_HEADER;
const GATEWAY_URL = `http://127.0.0.1:${NODE_PORT}/api/catalog`;

const pods = () => meshPods(CONTROL_PORT);
const podsOf = async (deployment: string) => (await pods()).filter((p) => p.deployment === deployment && p.status !== 'Terminating');
const allOf = async (deployment: string) => (await pods()).filter((p) => p.deployment === deployment);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** webapp's proxy's endpoints for catalog, as `proxy-config endpoint` shows them. */
async function catalogEndpoints(): Promise<string> {
  const r = await skein('proxy-config', 'endpoint', 'deploy/webapp.istioinaction', '--cluster', CATALOG_CLUSTER, '--discovery-address', DEBUG_ADDRESS);
  return r.stdout;
}

/** The processes of one pod: its app containers (POD_NAME in their environment) and its proxy (its bootstrap on the command line). */
function podProcesses(pod: string): { pid: number; environ: string }[] {
  const found: { pid: number; environ: string }[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (environ.split('\0').includes(`POD_NAME=${pod}`) || cmdline.includes(`${path.sep}${pod}${path.sep}envoy-rev.json`)) found.push({ pid: Number(entry), environ });
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

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

/** Replaces a file in one step, as editors do, so the mesh never reads it half-written. */
function writeAtomically(file: string, text: string): void {
  fs.writeFileSync(file + '.tmp', text);
  fs.renameSync(file + '.tmp', file);
}

function editFile(file: string, from: string, to: string): void {
  const text = fs.readFileSync(file, 'utf8');
  assert.ok(text.includes(from), `${file} has ${JSON.stringify(from)}`);
  writeAtomically(file, text.replace(from, to));
}

const ECHO_YAML = `# added while the mesh runs: a Deployment, its Service, and a route through the gateway
apiVersion: v1
kind: Service
metadata:
  name: echo
  namespace: istioinaction
spec:
  ports:
  - name: http
    port: 80
    targetPort: 3000
  selector:
    app: echo
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: echo
  namespace: istioinaction
spec:
  replicas: 1
  selector:
    matchLabels:
      app: echo
  template:
    metadata:
      labels:
        app: echo
    spec:
      containers:
      - name: echo
        command: ["skein", "echo", "--port", "3000"]
        ports:
        - containerPort: 3000
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata:
  name: echo-gateway
  namespace: istioinaction
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: 80
      name: http
      protocol: HTTP
    hosts:
    - echo.istioinaction.io
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata:
  name: echo
  namespace: istioinaction
spec:
  hosts:
  - echo.istioinaction.io
  gateways:
  - echo-gateway
  http:
  - route:
    - destination:
        host: echo
        port:
          number: 80
`;

describe('skein mesh up follows Deployment edits in its folder', { timeout: 240_000 }, () => {
  const configDir = tempDir('skein-reconcile-cfg-');
  const runDir = tempDir('skein-reconcile-run-');
  const catalogFile = path.join(configDir, 'catalog.yaml');
  const echoFile = path.join(configDir, 'echo.yaml');
  let mesh: SkeinProcess | undefined;
  let wrk: WrkRun | undefined;
  let gatewayIp = '';

  before(async () => {
    fs.cpSync(path.join(repoRoot, 'examples', 'coolstore'), configDir, { recursive: true });
    // Istio's default gateway with node ports of its own (a folder with a gateway gets no default one)
    const gateway = fs
      .readFileSync(path.join(repoRoot, 'src', 'mesh', 'default-ingress-gateway.yaml'), 'utf8')
      .replace('nodePort: 30000', `nodePort: ${NODE_PORT}`)
      .replace('nodePort: 30005', 'nodePort: 30205')
      .replace('nodePort: 31400', 'nodePort: 31600');
    fs.writeFileSync(path.join(configDir, 'ingress-gateway.yaml'), gateway);
    mesh = spawnSkein(
      ['mesh', 'up', configDir, '--run-dir', runDir, '--discovery-port', DISCOVERY_PORT, '--debug-port', DEBUG_ADDRESS.split(':')[1]!, '--control-port', CONTROL_PORT],
      { SKEIN_MESH_FIRST_POD_INDEX: String(FIRST_POD_INDEX) },
    );
    await mesh.waitFor(/\[mesh\] ready: \d+ pods/, 90_000);
    assert.match(mesh.output(), new RegExp(`\\[mesh\\] node port 127\\.0\\.0\\.1:${NODE_PORT} → service istio-system/istio-ingressgateway port 80`));
    gatewayIp = (await podsOf('istio-ingressgateway'))[0]!.ip;
    assert.equal(gatewayIp, '127.1.202.1');
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

  it("scales catalog to 2 when its replicas are edited in the YAML: two HEALTHY endpoints in webapp's proxy", async () => {
    editFile(catalogFile, 'replicas: 1', 'replicas: 2');
    await mesh!.waitFor(/\[mesh\] deployment istioinaction\/catalog: scaled 1 → 2/, 20_000);
    await waitFor(async () => {
      const p = await podsOf('catalog');
      return p.length === 2 && p.every((x) => x.ready === '2/2');
    }, 'two ready catalog pods');
    const catalogs = await podsOf('catalog');
    await waitFor(
      async () => {
        const ep = await catalogEndpoints();
        return catalogs.every((c) => new RegExp(`^${escape(c.ip)}:3000\\s+HEALTHY\\s`, 'm').test(ep));
      },
      `both catalog endpoints HEALTHY in ${CATALOG_CLUSTER}`,
      { detail: catalogEndpoints },
    );
  });

  it('rolls catalog to new pods when its env changes, while a load through the node port sees no failure', async (t) => {
    const old = (await podsOf('catalog')).map((p) => p.name);
    wrk = startWrk(GATEWAY_URL, { connections: 4, headers: [HOST] });
    const gatewayRequests = () => proxyCounter(gatewayIp, `cluster.${WEBAPP_CLUSTER}.upstream_rq_total`);
    const started = await gatewayRequests();
    await waitFor(async () => (await gatewayRequests()) > started + 20, 'load through the gateway', { detail: () => wrk!.output() });

    editFile(catalogFile, '      - env:\n', '      - env:\n        - name: CATALOG_EDITION\n          value: "2"\n');
    await mesh!.waitFor(/\[mesh\] deployment istioinaction\/catalog: rolling out \(template changed\)/, 20_000);
    await mesh!.waitFor(/\[mesh\] deployment istioinaction\/catalog: rolled out \(2 pods on the new template\)/, 60_000);
    await waitFor(async () => (await allOf('catalog')).every((p) => !old.includes(p.name)), 'the old catalog pods stopped', {
      timeoutMs: 30_000,
      detail: async () => JSON.stringify(await allOf('catalog')),
    });
    const fresh = await podsOf('catalog');
    assert.equal(fresh.length, 2);
    assert.ok(fresh.every((p) => p.ready === '2/2'));
    const hash = (name: string) => /^catalog-([0-9a-f]{10})-/.exec(name)![1];
    assert.notEqual(hash(fresh[0]!.name), hash(old[0]!), 'a new template hash in the pod names');
    for (const p of fresh) {
      const app = podProcesses(p.name).find((x) => x.environ.includes('POD_NAME='));
      assert.ok(app?.environ.split('\0').includes('CATALOG_EDITION=2'), `${p.name} runs with the new env`);
    }
    await waitFor(
      async () => {
        const ep = await catalogEndpoints();
        return fresh.every((c) => new RegExp(`^${escape(c.ip)}:3000\\s+HEALTHY\\s`, 'm').test(ep)) && ep.trim().split('\n').length === 3;
      },
      "only the new catalog pods in webapp's endpoints",
      { detail: catalogEndpoints },
    );
    // a little more load on the new pods, then the summary
    const rolled = await gatewayRequests();
    await waitFor(async () => (await gatewayRequests()) > rolled + 50, 'more load after the rollout');
    const summary = await wrk.stop();
    wrk = undefined;
    t.diagnostic(`wrk: ${summary.requests} requests across the rollout`);
    assert.ok(summary.requests > 0);
    assert.equal(summary.non2xx3xx, 0, summary.raw);
    assert.deepEqual(summary.socketErrors, { connect: 0, read: 0, write: 0, timeout: 0 }, summary.raw);
  });

  it('starts a Deployment added in a new file, reachable through the gateway', async () => {
    writeAtomically(echoFile, ECHO_YAML);
    await mesh!.waitFor(/\[mesh\] deployment istioinaction\/echo: created \(1 replica\)/, 20_000);
    const [echo] = await waitFor(async () => {
      const p = await podsOf('echo');
      return p.length === 1 && p[0]!.ready === '2/2' && p;
    }, 'a ready echo pod (app + sidecar)');
    await waitFor(
      async () => {
        const r = await run('curl', ['-s', `http://127.0.0.1:${NODE_PORT}/`, '-H', 'Host: echo.istioinaction.io']);
        return r.code === 0 && (JSON.parse(r.stdout) as { pod?: string }).pod === echo!.name;
      },
      'echo answering through the gateway',
    );
  });

  it("stops a removed Deployment's processes", async () => {
    const [echo] = await podsOf('echo');
    const processes = podProcesses(echo!.name);
    assert.equal(processes.length, 2, 'the echo app and its sidecar');
    fs.rmSync(echoFile);
    await mesh!.waitFor(/\[mesh\] deployment istioinaction\/echo: deleted: draining its pods/, 20_000);
    await waitFor(async () => (await allOf('echo')).length === 0, 'the echo pod gone from mesh status', { timeoutMs: 30_000 });
    for (const p of processes) assert.throws(() => process.kill(p.pid, 0), /ESRCH/, `process ${p.pid} stopped`);
    await waitFor(async () => {
      const r = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${NODE_PORT}/`, '-H', 'Host: echo.istioinaction.io']);
      return r.stdout === '404';
    }, 'a 404 for echo.istioinaction.io: its route went with the file');
    assert.equal((await podsOf('catalog')).length, 2, 'the rest keeps running');
  });

  it('stops every process it started on SIGTERM', async () => {
    assert.doesNotMatch(mesh!.output(), /rejected its/, 'no proxy NACKed its config');
    mesh!.kill('SIGTERM');
    assert.equal(await mesh!.exited, 0);
    assert.deepEqual(meshProcesses([configDir, runDir]), []);
  });
});
