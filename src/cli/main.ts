// `skein <command>`: one executable for the proxy, the control plane, the CLI tools
// and the built-in test services.
import { SKEIN_VERSION } from '../common/version.js';
type Command = { run: (argv: string[]) => Promise<number>; help: string };

// Each command's module is imported only when that command runs, so `skein proxy`
// does not load the control plane and a broken optional command cannot break others.
const lazy = (load: () => Promise<(argv: string[]) => Promise<number>>) => async (argv: string[]) => (await load())(argv);

const COMMANDS: Record<string, Command> = {
  proxy: { run: lazy(async () => (await import('./commands/proxy.js')).proxyCommand), help: 'Envoy-compatible proxy (skein proxy -c envoy.yaml)' },
  xds: { run: lazy(async () => (await import('./commands/xds.js')).xdsCommand), help: 'file-driven xDS server (skein xds serve --dir DIR)' },
  discovery: { run: lazy(async () => (await import('./commands/discovery.js')).discoveryCommand), help: 'control plane: Istio config → xDS (skein discovery --config DIR)' },
  mesh: { run: lazy(async () => (await import('./commands/mesh.js')).meshCommand), help: 'the local mesh (skein mesh up DIR; skein mesh scale deploy/NAME -n NS --replicas N)' },
  'proxy-status': { run: lazy(async () => (await import('./commands/proxy_status.js')).proxyStatusCommand), help: 'xDS sync state of every proxy, like istioctl proxy-status' },
  'proxy-config': { run: lazy(async () => (await import('./commands/proxy_config.js')).proxyConfigCommand), help: 'a proxy\'s listeners, routes, clusters, endpoints, ... like istioctl proxy-config' },
  analyze: { run: lazy(async () => (await import('./commands/analyze.js')).analyzeCommand), help: 'check a folder of Istio/Kubernetes YAML before applying it' },
  httpbin: { run: lazy(async () => (await import('./commands/test_services.js')).httpbinCommand), help: 'go-httpbin compatible test service' },
  echo: { run: lazy(async () => (await import('./commands/test_services.js')).echoCommand), help: 'echo service (replies with JSON describing the request)' },
  catalog: { run: lazy(async () => (await import('./commands/test_services.js')).catalogCommand), help: 'the book\'s catalog sample service' },
  webapp: { run: lazy(async () => (await import('./commands/test_services.js')).webappCommand), help: 'the book\'s webapp sample service (calls catalog)' },
  'demo-app': { run: lazy(async () => (await import('./commands/test_services.js')).demoAppCommand), help: 'the seed-004 demo app (HOST/PORT/APP_NAME/GLOBAL_PREFIX env)' },
  'tcp-echo': { run: lazy(async () => (await import('./commands/test_services.js')).tcpEchoCommand), help: 'TCP line echo service' },
};

export const USAGE = `skein ${SKEIN_VERSION} — an Envoy-compatible proxy and Istio-compatible service mesh

Usage: skein <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(12)} ${c.help}`)
  .join('\n')}
  version      print the version

Run 'skein <command> --help' for a command's options.
`;

export async function main(argv: string[]): Promise<void> {
  if (process.env.SKEIN_PROXY_WORKER === '1') {
    const { runWorker } = await import('../proxy/server/worker_main.js');
    runWorker();
    return;
  }
  const [name, ...rest] = argv;
  if (!name || name === '-h' || name === '--help' || name === 'help') {
    process.stdout.write(USAGE);
    process.exitCode = name ? 0 : 1;
    return;
  }
  if (name === 'version' || name === '--version') {
    process.stdout.write(`skein ${SKEIN_VERSION}\n`);
    return;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`skein: unknown command "${name}"\n\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const code = await command.run(rest);
  process.exit(code);
}
