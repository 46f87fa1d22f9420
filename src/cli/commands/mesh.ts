// `skein mesh up | status | scale | down`: the local mesh (see docs/mesh.md).
import { isIP } from 'node:net';
import { parseArgs } from 'node:util';
import { callMesh, DEFAULT_CONTROL_PORT, type MeshState } from '../../mesh/control.js';
import { podTable } from '../../mesh/status_table.js';

export const MESH_USAGE = `Usage: skein mesh <command> [options]

Runs a whole mesh on this machine from a folder of Kubernetes and Istio YAML.

Commands:
  up DIR                          run the discovery server, the gateways and every
                                  Deployment's pods (app + sidecar) until Ctrl-C
      --discovery-port P          xDS port of the discovery server (default 15010)
      --debug-port P              its debug port, read by proxy-status (default 15014)
      --control-port P            control endpoint for status/scale (default ${DEFAULT_CONTROL_PORT})
      --run-dir DIR               where logs and bootstraps go (default: a new temp folder)
      --node-port-address ADDR    where node ports listen (default 127.0.0.1; 0.0.0.0
                                  exposes them, if no service uses a node port's number)
  status [-n NS]                  the pods, like kubectl get pods -o wide
  scale deploy/NAME -n NS --replicas N
                                  change a Deployment's replicas while the mesh runs
  down                            stop the running mesh (like Ctrl-C in its terminal)

Common options:
      --control-port P            where the running mesh listens (default ${DEFAULT_CONTROL_PORT})
  -h, --help                      this text
`;

function port(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) throw new Error(`${name} must be a port number, got "${raw}"`);
  return n;
}

async function up(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'discovery-port': { type: 'string' },
      'debug-port': { type: 'string' },
      'control-port': { type: 'string' },
      'run-dir': { type: 'string' },
      'node-port-address': { type: 'string' },
    },
  });
  const nodePortAddress = values['node-port-address'];
  if (nodePortAddress !== undefined && isIP(nodePortAddress) === 0) throw new Error(`--node-port-address must be an IP address, got "${nodePortAddress}"`);
  if (positionals.length !== 1) throw new Error('up needs exactly one folder (skein mesh up DIR)');
  const { meshUp } = await import('../../mesh/up.js');
  return meshUp({
    dir: positionals[0]!,
    discoveryPort: port('--discovery-port', values['discovery-port'], 15010),
    debugPort: port('--debug-port', values['debug-port'], 15014),
    controlPort: port('--control-port', values['control-port'], DEFAULT_CONTROL_PORT),
    runDir: values['run-dir'],
    nodePortAddress,
  });
}

async function status(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: { namespace: { type: 'string', short: 'n' }, 'all-namespaces': { type: 'boolean', short: 'A' }, 'control-port': { type: 'string' }, output: { type: 'string', short: 'o' } },
  });
  const state = await callMesh<MeshState>(port('--control-port', values['control-port'], DEFAULT_CONTROL_PORT), 'GET', '/pods');
  const ns = values['all-namespaces'] ? undefined : values.namespace;
  const pods = ns ? state.pods.filter((p) => p.namespace === ns) : state.pods;
  if (values.output === 'json') {
    process.stdout.write(JSON.stringify({ ...state, pods }, null, 2) + '\n');
    return 0;
  }
  if (pods.length === 0) {
    process.stdout.write(ns ? `No resources found in ${ns} namespace.\n` : 'No resources found.\n');
    return 0;
  }
  process.stdout.write(podTable(pods, { withNamespace: ns === undefined }));
  return 0;
}

/** "deploy/NAME", "deployment/NAME", "deployments.apps/NAME" or "NAME". */
export function deploymentName(ref: string): string {
  const m = /^(?:(deploy|deployment|deployments|deployment\.apps|deployments\.apps)\/)?([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(ref);
  if (!m) throw new Error(`"${ref}" is not a deployment (want deploy/NAME)`);
  return m[2]!;
}

async function scale(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { namespace: { type: 'string', short: 'n' }, replicas: { type: 'string' }, 'control-port': { type: 'string' } },
  });
  if (positionals.length !== 1) throw new Error('scale needs one deployment (skein mesh scale deploy/NAME -n NS --replicas N)');
  const name = deploymentName(positionals[0]!);
  const raw = values.replicas;
  if (raw === undefined || !/^\d+$/.test(raw)) throw new Error(`--replicas must be a whole number, got ${raw === undefined ? 'nothing' : `"${raw}"`}`);
  const namespace = values.namespace ?? 'default';
  await callMesh(port('--control-port', values['control-port'], DEFAULT_CONTROL_PORT), 'POST', '/scale', { namespace, deployment: name, replicas: Number(raw) });
  process.stdout.write(`deployment.apps/${name} scaled\n`);
  return 0;
}

async function down(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { 'control-port': { type: 'string' } } });
  await callMesh(port('--control-port', values['control-port'], DEFAULT_CONTROL_PORT), 'POST', '/shutdown');
  process.stdout.write('mesh stopping\n');
  return 0;
}

const SUBCOMMANDS: Record<string, (argv: string[]) => Promise<number>> = { up, status, scale, down };

export async function meshCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (!sub || sub === '-h' || sub === '--help' || rest.includes('-h') || rest.includes('--help')) {
    process.stdout.write(MESH_USAGE);
    return sub ? 0 : 2;
  }
  const run = SUBCOMMANDS[sub];
  if (!run) {
    process.stderr.write(`skein mesh: unknown command "${sub}"\n\n${MESH_USAGE}`);
    return 2;
  }
  try {
    return await run(rest);
  } catch (err) {
    process.stderr.write(`skein mesh ${sub}: ${(err as Error).message}\n`);
    return 1;
  }
}
