// `skein proxy` command line, with Envoy's flag names and defaults.
import net from 'node:net';
import os from 'node:os';

export interface ProxyOptions {
  configPath?: string;
  configYaml?: string;
  mode: 'serve' | 'validate' | 'init_only';
  logLevel: string;
  componentLogLevel?: string;
  logFormat: 'text' | 'json';
  logPath?: string;
  concurrency: number;
  serviceCluster?: string;
  serviceNode?: string;
  serviceZone?: string;
  drainTimeS: number;
  drainStrategy: 'gradual' | 'immediate';
  parentShutdownTimeS: number;
  adminAddressPath?: string;
  localAddressIpVersion: 'v4' | 'v6';
  allowUnknownStaticFields: boolean;
  baseId: number;
  /**
   * skein's stand-in for a pod's network namespace (the local mesh): listeners whose
   * address is 0.0.0.0 or :: bind this IP instead. The config (config_dump) is unchanged.
   */
  podIp?: string;
}

export const PROXY_USAGE = `Usage: skein proxy [options]

Runs the Envoy-compatible proxy from an Envoy v3 bootstrap.

  -c, --config-path FILE          bootstrap file (YAML or JSON)
      --config-yaml TEXT          bootstrap text, merged over --config-path
      --mode serve|validate|init_only
                                  validate: check the config and exit (0 = good)
  -l, --log-level LEVEL           trace|debug|info|warning|error|critical|off (default info)
      --component-log-level SPEC  e.g. upstream:debug,connection:trace
      --log-format text|json      log line format (default text, Envoy style)
      --log-path FILE             write logs to FILE instead of stderr
      --concurrency N             worker processes (default 1)
      --service-cluster NAME      node.cluster
      --service-node NAME         node.id
      --service-zone ZONE         node.locality.zone
      --drain-time-s N            seconds to drain listeners on shutdown/update (default 600)
      --drain-strategy gradual|immediate
      --parent-shutdown-time-s N  accepted for compatibility (no hot restart)
      --admin-address-path FILE   write the admin listener's address to FILE
      --local-address-ip-version v4|v6
      --pod-ip IP                 bind listeners configured on 0.0.0.0 / :: to IP instead
                                  (the local mesh's stand-in for a pod network namespace)
      --base-id N, --disable-hot-restart, --use-dynamic-base-id
                                  accepted for compatibility (no hot restart)
  -h, --help                      this text
      --version                   print the version
`;

export class OptionsError extends Error {}

const VALUE_FLAGS: Record<string, keyof ProxyOptions | '_ignore'> = {
  '-c': 'configPath', '--config-path': 'configPath', '--config-yaml': 'configYaml', '--mode': 'mode',
  '-l': 'logLevel', '--log-level': 'logLevel', '--component-log-level': 'componentLogLevel', '--log-format': 'logFormat',
  '--log-path': 'logPath', '--concurrency': 'concurrency', '--service-cluster': 'serviceCluster',
  '--service-node': 'serviceNode', '--service-zone': 'serviceZone', '--drain-time-s': 'drainTimeS',
  '--drain-strategy': 'drainStrategy', '--parent-shutdown-time-s': 'parentShutdownTimeS',
  '--admin-address-path': 'adminAddressPath', '--local-address-ip-version': 'localAddressIpVersion', '--base-id': 'baseId',
  '--pod-ip': 'podIp',
  '--restart-epoch': '_ignore', '--file-flush-interval-msec': '_ignore', '--hot-restart-version': '_ignore',
};
const BOOL_FLAGS: Record<string, keyof ProxyOptions | '_ignore'> = {
  '--allow-unknown-static-fields': 'allowUnknownStaticFields', '--disable-hot-restart': '_ignore',
  '--use-dynamic-base-id': '_ignore', '--enable-core-dump': '_ignore', '--skip-hot-restart-on-no-parent': '_ignore',
  '--reject-unknown-dynamic-fields': '_ignore', '--ignore-unknown-dynamic-fields': '_ignore',
};

export function parseProxyOptions(argv: string[]): ProxyOptions | 'help' | 'version' {
  const o: ProxyOptions = {
    mode: 'serve', logLevel: 'info', logFormat: 'text', concurrency: 1, drainTimeS: 600, drainStrategy: 'gradual',
    parentShutdownTimeS: 900, localAddressIpVersion: 'v4', allowUnknownStaticFields: false, baseId: 0,
  };
  const raw = o as unknown as Record<string, unknown>;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    if (arg === '-h' || arg === '--help') return 'help';
    if (arg === '--version') return 'version';
    const boolKey = BOOL_FLAGS[arg];
    if (boolKey) {
      if (boolKey !== '_ignore') raw[boolKey] = true;
      continue;
    }
    const key = VALUE_FLAGS[arg];
    if (!key) throw new OptionsError(`unknown option ${arg} (see skein proxy --help)`);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new OptionsError(`option ${arg} needs a value`);
    if (key !== '_ignore') raw[key] = value;
  }
  const int = (name: string, v: unknown, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new OptionsError(`${name} must be an integer >= ${min}, got "${String(v)}"`);
    return n;
  };
  o.concurrency = int('--concurrency', o.concurrency, 0) || Math.max(1, os.availableParallelism());
  o.drainTimeS = int('--drain-time-s', o.drainTimeS, 0);
  o.parentShutdownTimeS = int('--parent-shutdown-time-s', o.parentShutdownTimeS, 0);
  o.baseId = int('--base-id', o.baseId, 0);
  if (!['serve', 'validate', 'init_only'].includes(o.mode)) throw new OptionsError(`--mode must be serve, validate or init_only, got "${o.mode}"`);
  if (!['gradual', 'immediate'].includes(o.drainStrategy)) throw new OptionsError(`--drain-strategy must be gradual or immediate`);
  // Envoy's --log-format is a pattern; anything but "json" keeps Envoy-style text lines.
  o.logFormat = (o.logFormat as string) === 'json' ? 'json' : 'text';
  if (!['v4', 'v6'].includes(o.localAddressIpVersion)) throw new OptionsError('--local-address-ip-version must be v4 or v6');
  if (o.podIp !== undefined && (net.isIP(o.podIp) === 0 || o.podIp === '0.0.0.0' || o.podIp === '::')) {
    throw new OptionsError(`--pod-ip must be a specific IP address, got "${o.podIp}"`);
  }
  return o;
}
