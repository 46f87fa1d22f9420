// `skein <command>`: one executable for the proxy, the control plane, the CLI tools
// and the built-in test services.
import { SKEIN_VERSION } from '../common/version.js';
import { proxyCommand } from './commands/proxy.js';
import { catalogCommand, echoCommand, httpbinCommand, tcpEchoCommand, webappCommand } from './commands/test_services.js';
import { xdsCommand } from './commands/xds.js';

type Command = { run: (argv: string[]) => Promise<number>; help: string };

const COMMANDS: Record<string, Command> = {
  proxy: { run: proxyCommand, help: 'Envoy-compatible proxy (skein proxy -c envoy.yaml)' },
  xds: { run: xdsCommand, help: 'file-driven xDS server (skein xds serve --dir DIR)' },
  httpbin: { run: httpbinCommand, help: 'go-httpbin compatible test service' },
  echo: { run: echoCommand, help: 'echo service (replies with JSON describing the request)' },
  catalog: { run: catalogCommand, help: 'the book\'s catalog sample service' },
  webapp: { run: webappCommand, help: 'the book\'s webapp sample service (calls catalog)' },
  'tcp-echo': { run: tcpEchoCommand, help: 'TCP line echo service' },
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
