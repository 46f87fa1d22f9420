// CLI entry points for the built-in test services: `skein httpbin | echo | catalog | webapp |
// tcp-echo | demo-app`. Each prints where it listens, runs until SIGTERM/SIGINT, closes its server and
// resolves 0; bad flags resolve 2 (usage), a failed listen 1.
import type net from 'node:net';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { startCatalog } from '../../testing/catalog/index.js';
import { DEMO_APP_DEFAULT_PORT, startDemoApp } from '../../testing/demo_app/index.js';
import { startEcho, startTcpEcho } from '../../testing/echo/index.js';
import { startHttpbin } from '../../testing/httpbin/index.js';
import type { RunningServer } from '../../testing/httpbin/listen.js';
import { startWebapp } from '../../testing/webapp/index.js';

type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | Array<string | boolean> | undefined>;

interface ServiceSpec {
  name: string;
  defaultPort: number;
  scheme: 'http' | 'tcp';
  extra: Options;
  extraHelp: string[];
  /** Where the address and port default from when there are no flags (e.g. $HOST / $PORT). */
  envHost?(): string | undefined;
  envPort?(): string | undefined;
  /** A usage error in the service's own flags, if any. */
  validate?(values: Values): string | undefined;
  start(port: number, host: string, values: Values): Promise<RunningServer<net.Server>>;
}

const COMMON: Options = {
  port: { type: 'string', short: 'p' },
  host: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

function usage(spec: ServiceSpec): string {
  return [
    `Usage: skein ${spec.name} [--port P] [--host H]${spec.extraHelp.length ? ' [options]' : ''}`,
    '',
    `  -p, --port P       port to listen on (default ${spec.defaultPort}; 0 picks a free one)`,
    '      --host H       address to bind (default $SKEIN_APP_ADDRESS in a local mesh pod, else 0.0.0.0)',
    ...spec.extraHelp,
    '  -h, --help         show this help',
    '',
  ].join('\n');
}

const str = (v: Values[string]): string | undefined => (typeof v === 'string' ? v : undefined);

/** Runs until a stop signal; the shared body of every command below. */
async function runService(spec: ServiceSpec, argv: string[]): Promise<number> {
  let values: Values;
  try {
    values = parseArgs({ args: argv, options: { ...COMMON, ...spec.extra }, strict: true, allowPositionals: false }).values;
  } catch (err) {
    process.stderr.write(`skein ${spec.name}: ${(err as Error).message}\n\n${usage(spec)}`);
    return 2;
  }
  if (values.help) {
    process.stdout.write(usage(spec));
    return 0;
  }
  const rawPort = str(values.port) ?? spec.envPort?.() ?? String(spec.defaultPort);
  const port = Number(rawPort);
  if (!/^\d+$/.test(rawPort) || port > 65535) {
    process.stderr.write(`skein ${spec.name}: invalid --port "${rawPort}" (expected 0-65535)\n`);
    return 2;
  }
  // in a pod of the local mesh (skein mesh up), the address the pod's app must listen on
  const host = str(values.host) ?? spec.envHost?.() ?? process.env.SKEIN_APP_ADDRESS ?? '0.0.0.0';
  const invalid = spec.validate?.(values);
  if (invalid) {
    process.stderr.write(`skein ${spec.name}: ${invalid}\n`);
    return 2;
  }

  let running: RunningServer<net.Server>;
  try {
    running = await spec.start(port, host, values);
  } catch (err) {
    process.stderr.write(`skein ${spec.name}: cannot listen on ${host}:${port}: ${(err as Error).message}\n`);
    return 1;
  }
  const shownHost = host.includes(':') ? `[${host}]` : host;
  process.stdout.write(`${spec.name} listening on ${spec.scheme}://${shownHost}:${running.port}\n`);

  return new Promise<number>((resolve) => {
    const stop = () => {
      process.off('SIGTERM', stop);
      process.off('SIGINT', stop);
      void running.close().then(() => resolve(0));
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  });
}

const HTTPBIN: ServiceSpec = {
  name: 'httpbin',
  defaultPort: 8000,
  scheme: 'http',
  extra: {},
  extraHelp: [],
  start: (port, host) => startHttpbin({ port, host }),
};

const ECHO: ServiceSpec = {
  name: 'echo',
  defaultPort: 3000,
  scheme: 'http',
  extra: {
    namespace: { type: 'string' },
    pod: { type: 'string' },
    service: { type: 'string' },
    ingress: { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
  extraHelp: [
    '      --tls-cert F   serve HTTPS with this PEM certificate chain (with --tls-key)',
    '      --tls-key F    PEM private key for --tls-cert',
    '      --namespace N  reported as "namespace" (default $NAMESPACE)',
    '      --pod NAME     reported as "pod" (default $POD_NAME)',
    '      --service S    reported as "service" (default $SERVICE_NAME)',
    '      --ingress I    reported as "ingress" (default $INGRESS_NAME)',
  ],
  start: (port, host, v) =>
    startEcho({ port, host, namespace: str(v.namespace), pod: str(v.pod), service: str(v.service), ingress: str(v.ingress), tlsCert: str(v['tls-cert']), tlsKey: str(v['tls-key']) }),
};

const CATALOG: ServiceSpec = {
  name: 'catalog',
  defaultPort: 3000,
  scheme: 'http',
  extra: { 'show-image': { type: 'boolean' } },
  extraHelp: ['      --show-image   add imageUrl to items, like catalog v2 (default: $SHOW_IMAGE set)'],
  start: (port, host, v) => startCatalog({ port, host, showImage: v['show-image'] === true ? true : undefined }),
};

const WEBAPP: ServiceSpec = {
  name: 'webapp',
  defaultPort: 8080,
  scheme: 'http',
  extra: { 'catalog-url': { type: 'string' } },
  extraHelp: ['      --catalog-url U  catalog base URL (default http://$CATALOG_SERVICE_HOST:$CATALOG_SERVICE_PORT, else http://127.0.0.1:3000)'],
  validate: (v) => {
    const url = str(v['catalog-url']);
    if (url === undefined) return undefined;
    try {
      const parsed = new URL(url);
      return parsed.protocol === 'http:' ? undefined : `--catalog-url must be an http:// URL, got "${url}"`;
    } catch {
      return `invalid --catalog-url "${url}"`;
    }
  },
  start: (port, host, v) => startWebapp({ port, host, catalogUrl: str(v['catalog-url']) }),
};

const TCP_ECHO: ServiceSpec = {
  name: 'tcp-echo',
  defaultPort: 2701,
  scheme: 'tcp',
  extra: { prefix: { type: 'string' } },
  extraHelp: ['      --prefix P     answer each line as "P <line>" (like tcp-echo-server started with P)'],
  start: (port, host, v) => startTcpEcho({ port, host, prefix: str(v.prefix) }),
};

const DEMO_APP: ServiceSpec = {
  name: 'demo-app',
  defaultPort: DEMO_APP_DEFAULT_PORT,
  scheme: 'http',
  extra: { 'app-name': { type: 'string' }, 'global-prefix': { type: 'string' } },
  extraHelp: [
    '      --app-name N       who answers ("Hello from N"; default $APP_NAME, else "demo")',
    '      --global-prefix P  serve only under path P, e.g. /other (default $GLOBAL_PREFIX)',
    '                         --host and --port default to $HOST and $PORT, as in seed 004',
  ],
  envHost: () => process.env.HOST || undefined,
  envPort: () => process.env.PORT || undefined,
  start: (port, host, v) => startDemoApp({ port, host, appName: str(v['app-name']), globalPrefix: str(v['global-prefix']) }),
};

export const httpbinCommand = (argv: string[]): Promise<number> => runService(HTTPBIN, argv);
export const echoCommand = (argv: string[]): Promise<number> => runService(ECHO, argv);
export const catalogCommand = (argv: string[]): Promise<number> => runService(CATALOG, argv);
export const webappCommand = (argv: string[]): Promise<number> => runService(WEBAPP, argv);
export const tcpEchoCommand = (argv: string[]): Promise<number> => runService(TCP_ECHO, argv);
export const demoAppCommand = (argv: string[]): Promise<number> => runService(DEMO_APP, argv);
