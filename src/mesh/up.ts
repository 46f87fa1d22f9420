// `skein mesh up DIR`: the whole mesh on one machine. Reads DIR (adding Istio's default
// ingress gateway unless DIR has its own), runs the discovery server in this process,
// every Deployment's replicas as local processes (supervisor.ts, following the
// folder's Deployments as they change: deployment_sync.ts), node ports
// (node_ports.ts) and the control endpoint (control.ts); stops everything on
// SIGINT / SIGTERM. The terminal gets one `[mesh]` line per event; the processes'
// output and the discovery server's log go to files under the run directory.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConfigObject } from '../api/istio/types.js';
import { logRegistry } from '../common/logger.js';
import { formatConfigIssue, loadConfigDirs, type ConfigIssue, type ConfigSnapshot } from '../discovery/config/index.js';
import { MAX_LOCAL_PODS } from '../discovery/model/local_addresses.js';
import { resolveMeshConfig } from '../discovery/model/mesh_config.js';
import { DiscoveryServer } from '../discovery/server/index.js';
import { DEFAULT_CONTROL_PORT, HttpError, startControlServer } from './control.js';
import { NackReporter } from './nack_reporter.js';
import { NodePorts, privilegedPortHint } from './node_ports.js';
import { DeploymentSync, secretsOf } from './deployment_sync.js';
import { MeshSupervisor, NotFoundError } from './supervisor.js';
import { definesIngressGateway, planWorkloads, type WorkloadPlan } from './workloads.js';

/** Istio's default ingress gateway (Namespace, ServiceAccount, Deployment, Service) as YAML. */
export const DEFAULT_GATEWAY_FILE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'src', 'mesh', 'default-ingress-gateway.yaml');

export interface MeshUpOptions {
  dir: string;
  discoveryPort?: number;
  debugPort?: number;
  controlPort?: number;
  /** Where logs and bootstraps go (default: a new folder under the system temp dir). */
  runDir?: string;
  /** Where node ports listen (default 127.0.0.1). */
  nodePortAddress?: string;
  /**
   * The first pod index (default 1: pod IP 127.1.0.1), also read from
   * $SKEIN_MESH_FIRST_POD_INDEX: a second mesh on the same machine (e.g. a test) needs
   * pod addresses of its own.
   */
  firstPodIndex?: number;
  /** Terminal output (default stdout). */
  print?: (line: string) => void;
}

const STOP_GRACE_MS = 5000;

function timestampDir(): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `skein-mesh-${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-`;
}

/** The lowest port the mesh's processes will bind, to warn before they fail with EACCES. */
function lowestPort(objects: readonly ConfigObject[], plans: readonly WorkloadPlan[]): number | undefined {
  const ports = plans.flatMap((p) => p.containerPorts.map((c) => c.containerPort));
  if (plans.some((p) => p.kind === 'sidecar')) {
    // sidecars listen on every service's ports, at their own address for the service
    for (const o of objects) if (o.kind === 'Service') for (const p of (o as ConfigObject<'Service'>).spec.ports ?? []) ports.push(p.port);
  }
  return ports.length ? Math.min(...ports) : undefined;
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'EACCES'));
    server.listen(port, '127.255.255.254', () => server.close(() => resolve(true)));
  });
}

export const FIRST_POD_INDEX_ENV = 'SKEIN_MESH_FIRST_POD_INDEX';

function firstPodIndexFromEnv(): number | undefined {
  const raw = process.env[FIRST_POD_INDEX_ENV];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LOCAL_PODS) throw new Error(`$${FIRST_POD_INDEX_ENV} must be a pod index 1..${MAX_LOCAL_PODS}, got "${raw}"`);
  return n;
}

export async function meshUp(o: MeshUpOptions): Promise<number> {
  const print = o.print ?? ((line: string) => process.stdout.write(line + '\n'));
  const say = (message: string) => print(`[mesh] ${message}`);
  const dir = path.resolve(o.dir);
  let firstPodIndex: number | undefined;
  try {
    firstPodIndex = o.firstPodIndex ?? firstPodIndexFromEnv();
  } catch (err) {
    process.stderr.write(`skein mesh up: ${(err as Error).message}\n`);
    return 1;
  }
  if (!fs.existsSync(dir)) {
    process.stderr.write(`skein mesh up: ${o.dir}: no such file or directory\n`);
    return 1;
  }

  // What the folder holds decides whether Istio's default ingress gateway is added.
  const loaded = await loadConfigDirs([dir]);
  const configPaths = [dir];
  if (!definesIngressGateway(loaded.objects)) {
    configPaths.push(DEFAULT_GATEWAY_FILE);
    say('no ingress gateway in the folder: adding istio-system/istio-ingressgateway (istioctl install --set profile=default)');
  }

  const runDir = o.runDir ? path.resolve(o.runDir) : fs.mkdtempSync(path.join(os.tmpdir(), timestampDir()));
  fs.mkdirSync(runDir, { recursive: true });
  const discoveryLog = fs.createWriteStream(path.join(runDir, 'discovery.log'), { flags: 'a' });
  logRegistry.sink = (line) => discoveryLog.write(line + '\n');
  say(`logs: ${runDir}`);

  const meshConfig = resolveMeshConfig({ discoveryAddress: `127.0.0.1:${o.discoveryPort ?? 15010}` });
  const server = new DiscoveryServer({
    configPaths,
    xdsPort: o.discoveryPort ?? 15010,
    xdsHost: '127.0.0.1',
    debugPort: o.debugPort ?? 15014,
    meshConfig,
  });
  let ports: { xdsPort: number; debugPort?: number };
  try {
    ports = await server.start();
  } catch (err) {
    process.stderr.write(`skein mesh up: ${(err as Error).message}\n`);
    return 1;
  }
  // config problems on the terminal: those at start, then each new one after an edit
  let reported = new Set<string>();
  const reportIssues = (issues: readonly ConfigIssue[]) => {
    const now = new Set(issues.map(formatConfigIssue));
    for (const text of now) if (!reported.has(text)) process.stderr.write(`${text}\n`);
    reported = now;
  };
  reportIssues(server.store.issues());
  say(`discovery server: xDS on 127.0.0.1:${ports.xdsPort}${ports.debugPort !== undefined ? `, debug on http://127.0.0.1:${ports.debugPort}` : ''}`);

  const objects = server.store.objects();
  const plans = planWorkloads(objects, path.dirname);
  const low = lowestPort(objects, plans);
  if (low !== undefined && low < 1024 && !(await canBind(low))) say(`warning: ${privilegedPortHint(low)}; proxies will not be able to listen there`);

  const supervisor = new MeshSupervisor({
    server,
    xdsPort: ports.xdsPort,
    runDir,
    mesh: meshConfig,
    secrets: secretsOf(objects),
    line: say,
    stopGraceMs: STOP_GRACE_MS,
    firstPodIndex,
  });
  // Deployments follow the folder too (after the discovery server's own listener, so a
  // flushed push already holds the change when new pods are launched)
  const deployments = new DeploymentSync(supervisor, say);
  let started = false;
  const followFolder = (snapshot: ConfigSnapshot) => {
    try {
      deployments.onConfig(snapshot);
    } catch (err) {
      // the store's watcher must not die with it: the next change tries again
      say(`cannot apply the folder's Deployments: ${(err as Error).message}`);
    }
  };
  server.store.on('change', (snapshot) => {
    reportIssues(snapshot.issues);
    if (started) followFolder(snapshot);
  });
  const nodePorts = new NodePorts(() => server.pushContext(), say, o.nodePortAddress);
  server.on('push', () => void nodePorts.reconcile());
  const nacks = new NackReporter(() => server.proxyStatus(), say);

  let announcedReady = false;
  const readyTimer = setInterval(() => {
    nacks.check();
    if (!announcedReady && supervisor.allReady()) {
      announcedReady = true;
      say(`ready: ${supervisor.allPods().length} pods (skein mesh status)`);
    }
  }, 200);

  let control: Awaited<ReturnType<typeof startControlServer>> | undefined;
  let stopping: Promise<void> | undefined;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  let stopRequestedAt = 0;
  const stop = (why: string) => {
    if (stopping) {
      // a repeat within a second is the same request delivered twice (e.g. `timeout`
      // signals the process and then its group); a later one is an impatient user
      if (Date.now() - stopRequestedAt < 1000) return;
      say('stopping now (SIGKILL)');
      supervisor.kill();
      return;
    }
    stopRequestedAt = Date.now();
    say(`stopping (${why})`);
    clearInterval(readyTimer);
    stopping = (async () => {
      await control?.close();
      await nodePorts.close();
      await supervisor.stop();
      await server.close();
      say('stopped');
      await new Promise<void>((r) => discoveryLog.end(() => r()));
      resolveDone();
    })();
  };
  const onSignal = (signal: NodeJS.Signals) => stop(signal);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    control = await startControlServer(o.controlPort ?? DEFAULT_CONTROL_PORT, {
      state: () => ({ pods: supervisor.status(), ready: supervisor.allReady(), runDir, nodePorts: nodePorts.ports(), xdsPort: ports.xdsPort, debugPort: ports.debugPort }),
      scale: async (namespace, deployment, replicas) => {
        try {
          return await supervisor.scale(namespace, deployment, replicas);
        } catch (err) {
          if (err instanceof NotFoundError) throw new HttpError(404, err.message);
          throw err;
        }
      },
      shutdown: () => stop('skein mesh down'),
    });
    say(`control: http://127.0.0.1:${control.port} (skein mesh status | scale)`);
  } catch (err) {
    say(`warning: no control endpoint (skein mesh status/scale will not work): ${(err as Error).message}`);
  }

  try {
    await supervisor.start(plans);
    started = true;
    // an edit made while the first pods were starting
    if (server.store.objects() !== objects) followFolder({ objects: server.store.objects(), issues: server.store.issues() });
  } catch (err) {
    say(`cannot start the pods: ${(err as Error).message}`);
    stop('error');
  }
  await nodePorts.reconcile();
  await done;
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  return 0;
}
