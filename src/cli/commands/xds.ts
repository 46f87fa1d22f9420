// `skein xds serve`: a file-driven xDS control plane. It serves a folder of raw Envoy
// resources over ADS (SotW and delta) to every node that connects, the way Envoy's
// "dynamic configuration from a control plane" sandbox does with go-control-plane,
// but reading the resources from files it watches.
import { parseCommandArgs } from '../args.js';
import fs from 'node:fs';
import { ADS_PUSH_ORDER, SHORT_NAME } from '../../api/xds/resource_types.js';
import { logger, logRegistry, normalizeLevel } from '../../common/logger.js';
import type { Snapshot } from '../../discovery/xds/cache/snapshot.js';
import { SnapshotCache } from '../../discovery/xds/cache/snapshot_cache.js';
import { startDebugServer, type DebugServer } from '../../discovery/xds/file_source/debug_http.js';
import { FileXdsSource } from '../../discovery/xds/file_source/source.js';
import { XdsServer } from '../../discovery/xds/server.js';

export const XDS_USAGE = `Usage: skein xds serve --dir DIR [options]

Serves every Envoy resource in DIR (Listener, RouteConfiguration, Cluster,
ClusterLoadAssignment, Secret; *.yaml, *.yml, *.json, subfolders included) over
ADS to every proxy that connects, and follows changes to the files: each change
becomes a new snapshot version within a second. A file that does not parse, or
that conflicts with the rest (a duplicate name, a route no file defines), is
reported with file:line and not served; its last good version keeps serving.

  -d, --dir DIR              folder of resources (required)
  -p, --port P               xDS gRPC port (default 18000; 0 picks a free one)
      --address A            address to bind the xDS port (default 0.0.0.0)
      --status-port P        serve /debug/syncz, /debug/metrics, /debug/snapshot as JSON
                             on this port (default: off; 0 picks a free one)
      --status-address A     address for --status-port (default 127.0.0.1)
  -l, --log-level LEVEL      trace|debug|info|warning|error|critical|off (default info)
      --log-format text|json log line format (default text, Envoy style)
  -h, --help                 show this help
`;

const log = logger('xds');

function portArg(name: string, raw: string | undefined, fallback?: number): number | undefined | Error {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 65535) return new Error(`invalid --${name} "${raw}" (expected 0-65535)`);
  return n;
}

const usageError = (message: string): number => {
  process.stderr.write(`skein xds: ${message}\n\n${XDS_USAGE}`);
  return 2;
};

export async function xdsCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      dir: { type: 'string', short: 'd' },
      port: { type: 'string', short: 'p' },
      address: { type: 'string' },
      'status-port': { type: 'string' },
      'status-address': { type: 'string' },
      'log-level': { type: 'string', short: 'l' },
      'log-format': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  );
  if (!parsed.ok) return usageError(parsed.error);
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(XDS_USAGE);
    return 0;
  }
  if (positionals[0] !== 'serve' || positionals.length > 1) {
    return usageError(positionals.length ? `unknown arguments "${positionals.join(' ')}" (expected "serve")` : 'missing subcommand "serve"');
  }
  if (!values.dir) return usageError('--dir DIR is required');
  const port = portArg('port', values.port, 18000);
  const statusPort = portArg('status-port', values['status-port']);
  if (port instanceof Error) return usageError(port.message);
  if (statusPort instanceof Error) return usageError(statusPort.message);
  try {
    if (values['log-level']) logRegistry.setAll(normalizeLevel(values['log-level']));
  } catch (err) {
    return usageError((err as Error).message);
  }
  logRegistry.format = values['log-format'] === 'json' ? 'json' : 'text';
  const dir = values.dir;
  if (!fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory()) {
    process.stderr.write(`skein xds: --dir ${dir} is not a directory\n`);
    return 1;
  }
  const address = values.address ?? '0.0.0.0';
  const statusAddress = values['status-address'] ?? '127.0.0.1';
  return serve({ dir, port: port!, address, statusPort, statusAddress });
}

interface ServeOptions {
  dir: string;
  port: number;
  address: string;
  statusPort?: number;
  statusAddress: string;
}

const KEY = 'default';

async function serve(o: ServeOptions): Promise<number> {
  // Every node gets the folder's snapshot, whatever its id or cluster.
  const cache = new SnapshotCache({ nodeHash: () => KEY });
  const server = new XdsServer({ cache });
  const source = new FileXdsSource({
    dir: o.dir,
    publish: (snapshot) => {
      try {
        cache.setSnapshot(KEY, snapshot);
      } catch (err) {
        log.error(`not serving the new version: ${(err as Error).message}`);
      }
    },
  });
  // Signal handlers go in before anything is printed: a supervisor (or a test) may
  // send SIGTERM the moment it reads "listening".
  let stopping: string | undefined;
  let onStop: ((signal: string) => void) | undefined;
  const onTerm = () => (onStop ? onStop('SIGTERM') : (stopping ??= 'SIGTERM'));
  const onInt = () => (onStop ? onStop('SIGINT') : (stopping ??= 'SIGINT'));
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  source.start();

  let debug: DebugServer | undefined;
  try {
    const { port } = await server.listen(o.port, o.address);
    process.stdout.write(`xds server listening on ${hostPort(o.address, port)} (ADS over gRPC, serving ${o.dir})\n`);
    if (o.statusPort !== undefined) {
      debug = await startDebugServer(
        { syncz: () => server.proxyStatus(), metrics: () => server.metrics(), snapshot: () => describeServed(source, cache.getSnapshot(KEY)) },
        o.statusPort,
        o.statusAddress,
      );
      process.stdout.write(`xds status listening on http://${hostPort(o.statusAddress, debug.port)}/debug/syncz\n`);
    }
  } catch (err) {
    process.stderr.write(`skein xds: cannot listen: ${(err as Error).message}\n`);
    process.off('SIGTERM', onTerm);
    process.off('SIGINT', onInt);
    source.close();
    await debug?.close();
    await server.close();
    return 1;
  }

  return new Promise<number>((resolve) => {
    onStop = (signal: string) => {
      onStop = () => undefined;
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      log.info(`caught ${signal}; closing the xDS server`);
      source.close();
      void Promise.all([server.close(), debug?.close()]).then(() => resolve(0));
    };
    if (stopping) onStop(stopping);
  });
}

const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;

/** `/debug/snapshot`: the served version, each resource's content version, each file's state. */
function describeServed(source: FileXdsSource, snapshot: Snapshot | undefined): unknown {
  const status = source.status();
  const resources: Record<string, Array<{ name: string; version: string }>> = {};
  for (const type of ADS_PUSH_ORDER) {
    resources[SHORT_NAME[type]] = [...(snapshot?.resources(type).values() ?? [])].map((r) => ({ name: r.name, version: r.version }));
  }
  const versions = Object.fromEntries(ADS_PUSH_ORDER.map((type) => [SHORT_NAME[type], snapshot?.version(type) ?? '']));
  return { dir: status.dir, version: status.version, versions, counts: status.counts, resources, files: status.files };
}
