// `skein discovery`: the control plane (istiod's job) as a process. It reads folders
// of Istio and Kubernetes YAML, follows changes to them, and serves every proxy
// that connects over ADS the listeners, routes, clusters and endpoints Istio would
// generate for it; a debug port shows what each proxy was sent and whether it ACKed.
import { parseCommandArgs } from '../args.js';
import fs from 'node:fs';
import { logger, logRegistry, normalizeLevel } from '../../common/logger.js';
import { DiscoveryServer } from '../../discovery/server/index.js';
import { DEFAULTS as DISCOVERY_DEFAULTS } from '../../discovery/server/options.js';

export const DISCOVERY_USAGE = `Usage: skein discovery --config DIR [--config DIR2 ...] [options]

Runs the control plane: reads Istio (Gateway, VirtualService, DestinationRule,
ServiceEntry, WorkloadEntry, Sidecar, ...) and Kubernetes (Namespace, Service,
Endpoints/EndpointSlice, Deployment, Secret, ...) YAML from the folders, follows
changes to them, and serves each proxy that connects over ADS (node id
"router~IP~POD.NS~NS.svc.cluster.local" or "sidecar~...") the Envoy config Istio
would generate for it. Invalid objects are reported with file:line and skipped;
the rest keeps serving.

  -c, --config DIR                  folder (or file) of YAML; repeat for several (required)
  -p, --port P                      xDS gRPC port, plaintext (default ${DISCOVERY_DEFAULTS.xdsPort}; 0 picks a free one)
      --address A                   address of the xDS port (default ${DISCOVERY_DEFAULTS.xdsHost})
      --debug-port P                debug and monitoring HTTP port: /debug/syncz, /debug/config_dump,
                                    /debug/registry, /debug/configz, /debug/config_issues, /ready,
                                    /metrics (default ${DISCOVERY_DEFAULTS.debugPort}; 0 picks a free one;
                                    "off" or --debug-port=-1 disables it)
      --debug-address A             address of the debug port (default ${DISCOVERY_DEFAULTS.debugHost})
      --debounce-ms N               quiet period before pushing a change (default ${DISCOVERY_DEFAULTS.debounceMs})
      --filter-gateway-cluster-config
                                    gateways get only the clusters their routes use
                                    (Istio's PILOT_FILTER_GATEWAY_CLUSTER_CONFIG)
      --cluster-id ID               cluster id of this control plane (default Kubernetes)
  -l, --log-level LEVEL             trace|debug|info|warning|error|critical|off (default info)
      --log-format text|json        log line format (default text, Envoy style)
  -h, --help                        show this help
`;

const log = logger('discovery');

const usageError = (message: string): number => {
  process.stderr.write(`skein discovery: ${message}\n\n${DISCOVERY_USAGE}`);
  return 2;
};

function intArg(name: string, raw: string | undefined, fallback: number, min: number, max: number): number | Error {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^-?\d+$/.test(raw) || n < min || n > max) return new Error(`invalid --${name} "${raw}" (expected ${min}-${max})`);
  return n;
}

export async function discoveryCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      config: { type: 'string', short: 'c', multiple: true },
      port: { type: 'string', short: 'p' },
      address: { type: 'string' },
      'debug-port': { type: 'string' },
      'debug-address': { type: 'string' },
      'debounce-ms': { type: 'string' },
      'filter-gateway-cluster-config': { type: 'boolean' },
      'cluster-id': { type: 'string' },
      'log-level': { type: 'string', short: 'l' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    false,
  );
  if (!parsed.ok) return usageError(parsed.error);
  const { values } = parsed;
  if (values.help) {
    process.stdout.write(DISCOVERY_USAGE);
    return 0;
  }
  const configPaths = values.config ?? [];
  if (configPaths.length === 0) return usageError('--config DIR is required');
  const port = intArg('port', values.port, DISCOVERY_DEFAULTS.xdsPort, 0, 65535);
  const debugPort = values['debug-port'] === 'off' ? -1 : intArg('debug-port', values['debug-port'], DISCOVERY_DEFAULTS.debugPort, -1, 65535);
  const debounceMs = intArg('debounce-ms', values['debounce-ms'], DISCOVERY_DEFAULTS.debounceMs, 0, 60_000);
  for (const v of [port, debugPort, debounceMs]) if (v instanceof Error) return usageError(v.message);
  try {
    if (values['log-level']) logRegistry.setAll(normalizeLevel(values['log-level']));
  } catch (err) {
    return usageError((err as Error).message);
  }
  if (values['log-format'] && values['log-format'] !== 'json' && values['log-format'] !== 'text') return usageError(`invalid --log-format "${values['log-format']}" (expected text or json)`);
  logRegistry.format = values['log-format'] === 'json' ? 'json' : 'text';
  for (const p of configPaths) {
    if (!fs.existsSync(p)) {
      process.stderr.write(`skein discovery: --config ${p} does not exist\n`);
      return 1;
    }
  }

  const server = new DiscoveryServer({
    configPaths,
    xdsPort: port as number,
    xdsHost: values.address ?? DISCOVERY_DEFAULTS.xdsHost,
    debugPort: debugPort as number,
    debugHost: values['debug-address'] ?? DISCOVERY_DEFAULTS.debugHost,
    debounceMs: debounceMs as number,
    meshConfig: {
      ...(values['filter-gateway-cluster-config'] ? { filterGatewayClusterConfig: true } : {}),
      ...(values['cluster-id'] ? { clusterId: values['cluster-id'] } : {}),
    },
  });
  return serve(server, configPaths, values.address ?? DISCOVERY_DEFAULTS.xdsHost, values['debug-address'] ?? DISCOVERY_DEFAULTS.debugHost);
}

async function serve(server: DiscoveryServer, configPaths: string[], xdsHost: string, debugHost: string): Promise<number> {
  // Signal handlers go in before anything is printed: a supervisor (or a test) may
  // send SIGTERM the moment it reads "listening".
  let stopping: string | undefined;
  let onStop: ((signal: string) => void) | undefined;
  const onTerm = () => (onStop ? onStop('SIGTERM') : (stopping ??= 'SIGTERM'));
  const onInt = () => (onStop ? onStop('SIGINT') : (stopping ??= 'SIGINT'));
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  const unhook = () => {
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
  };

  let ports: { xdsPort: number; debugPort?: number };
  try {
    ports = await server.start();
  } catch (err) {
    unhook();
    process.stderr.write(`skein discovery: ${(err as Error).message}\n`);
    return 1;
  }
  process.stdout.write(`discovery server listening on ${hostPort(xdsHost, ports.xdsPort)} (xDS over gRPC, plaintext; config from ${configPaths.join(', ')})\n`);
  if (ports.debugPort !== undefined) {
    process.stdout.write(`discovery debug listening on http://${hostPort(debugHost, ports.debugPort)} (/debug/syncz, /debug/config_dump, /ready, /metrics)\n`);
  }
  process.stdout.write(`discovery server ${server.identity} ready\n`);

  return new Promise<number>((resolve) => {
    onStop = (signal: string) => {
      onStop = () => undefined;
      unhook();
      log.info(`caught ${signal}; closing the discovery server`);
      void server.close().then(() => resolve(0));
    };
    if (stopping) onStop(stopping);
  });
}

const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;
