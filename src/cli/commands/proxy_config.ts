// `skein proxy-config TYPE <proxy>`: a proxy's listeners, routes, clusters,
// endpoints, secrets, bootstrap and log levels, printed like `istioctl proxy-config`
// (its columns, spacing, sort orders and -o json|yaml). The proxy is found through
// the discovery server (deploy/NAME.NS, POD.NS, a node id) or named by its admin
// address; the work is in src/ctl/.
import { parseCommandArgs } from '../args.js';
import { CtlError } from '../../ctl/errors.js';
import { DEFAULT_DISCOVERY_ADDRESS, DISCOVERY_ADDRESS_ENV, discoveryAddress } from '../../ctl/http.js';
import { parseOutputFormat } from '../../ctl/output.js';
import { KIND_ALIASES, runProxyConfig, type ProxyConfigOptions } from '../../ctl/proxy_config.js';

export const PROXY_CONFIG_USAGE = `Usage: skein proxy-config TYPE [<proxy>] [flags]

Retrieves a proxy's configuration from its admin API, like istioctl proxy-config.

TYPE:
  listener (listeners, l)   ADDRESS PORT MATCH DESTINATION
  route (routes, r)         NAME DOMAINS MATCH VIRTUAL SERVICE
  cluster (clusters, c)     SERVICE FQDN PORT SUBSET DIRECTION TYPE DESTINATION RULE
  endpoint (endpoints, ep)  ENDPOINT STATUS OUTLIER CHECK CLUSTER
  secret (secrets, s)       RESOURCE NAME TYPE STATUS VALID CERT SERIAL NUMBER NOT AFTER NOT BEFORE
  bootstrap (b)             the bootstrap (JSON unless -o yaml|short)
  ecds (ec)                 extension configs received over ECDS
  log (o)                   logger levels; --level / --reset change them
  all (a)                   clusters, listeners, routes, secrets and endpoints

<proxy>:
  deploy/NAME.NAMESPACE     the first pod of a Deployment (or deploy/NAME -n NAMESPACE)
  POD.NAMESPACE             a pod (or POD -n NAMESPACE)
  NODE_ID                   a proxy's full xDS node id
  Proxies are looked up on the discovery server; the admin API is POD_IP:15000.

Flags:
  -o, --output short|json|yaml   output format (default short; bootstrap: json)
  -n, --namespace NS             namespace of <proxy>
      --admin-address HOST:PORT  read this admin API directly (any skein or Envoy proxy);
                                 <proxy> is then optional
      --discovery-address HOST:PORT
                                 the discovery server's debug address (default
                                 ${DEFAULT_DISCOVERY_ADDRESS}, or $${DISCOVERY_ADDRESS_ENV}); istioctl's --xds-address
  -f, --file FILE                read a saved /config_dump (for endpoint: /clusters?format=json)
      --verbose=false            listener: ADDRESS PORT TYPE; route: NAME VIRTUAL HOSTS
  listener:  --address A  --port P  --type HTTP|TCP|HTTP+TCP
  route:     --name NAME
  cluster:   --fqdn F  --port P  --subset S  --direction inbound|outbound  (substring matches)
  endpoint:  --address A  --port P  --cluster NAME  --status HEALTHY|UNHEALTHY|...
  log:       --level LEVEL | --level LOGGER:LEVEL,...   -r, --reset (every logger to warning)
  -h, --help                     show this help

Examples:
  skein proxy-config route deploy/istio-ingressgateway.istio-system
  skein proxy-config cluster webapp-7b8c9d6f4-abcde.istioinaction --fqdn catalog -o json
  skein proxy-config endpoint deploy/webapp -n istioinaction --cluster 'outbound|80||catalog.istioinaction.svc.cluster.local'
  skein proxy-config route --admin-address 127.0.0.1:15000
  skein proxy-config log deploy/istio-ingressgateway.istio-system --level http:debug
`;

const usageError = (message: string): number => {
  process.stderr.write(`Error: ${message}\nRun 'skein proxy-config --help' for usage.\n`);
  return 2;
};

/** `--verbose=false` / `--verbose false` (Go flag style) → a plain boolean flag parseArgs can read. */
function normalizeVerbose(argv: string[]): { args: string[]; verbose: boolean } {
  let verbose = true;
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--verbose(?:=(.*))?$/.exec(a);
    if (!m) {
      args.push(a);
      continue;
    }
    let value = m[1];
    if (value === undefined && (argv[i + 1] === 'true' || argv[i + 1] === 'false')) value = argv[++i];
    verbose = value === undefined || value === 'true';
  }
  return { args, verbose };
}

function intFlag(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) > 65535) throw new CtlError(`invalid --${name} "${raw}" (expected a port number)`);
  return Number(raw);
}

export async function proxyConfigCommand(argv: string[]): Promise<number> {
  const { args, verbose } = normalizeVerbose(argv);
  const parsed = parseCommandArgs(
    args,
    {
      output: { type: 'string', short: 'o' },
      namespace: { type: 'string', short: 'n' },
      'admin-address': { type: 'string' },
      'discovery-address': { type: 'string' },
      'xds-address': { type: 'string' },
      file: { type: 'string', short: 'f' },
      name: { type: 'string' },
      port: { type: 'string' },
      address: { type: 'string' },
      type: { type: 'string' },
      fqdn: { type: 'string' },
      cluster: { type: 'string' },
      subset: { type: 'string' },
      direction: { type: 'string' },
      status: { type: 'string' },
      level: { type: 'string' },
      reset: { type: 'boolean', short: 'r' },
      help: { type: 'boolean', short: 'h' },
    },
  );
  if (!parsed.ok) return usageError(parsed.error);
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(PROXY_CONFIG_USAGE);
    return 0;
  }
  const [kindArg, ref, ...extra] = positionals;
  if (!kindArg) return usageError('missing TYPE (listener, route, cluster, endpoint, secret, bootstrap, ecds, log or all)');
  const kind = KIND_ALIASES[kindArg.toLowerCase()];
  if (!kind) return usageError(`unknown TYPE "${kindArg}" (expected listener, route, cluster, endpoint, secret, bootstrap, log or all)`);
  if (extra.length) return usageError(`unexpected arguments "${extra.join(' ')}": give one proxy`);
  const output = parseOutputFormat(v.output);
  if (!output) return usageError(`output format "${v.output}" not supported (expected short, json or yaml)`);
  if (!ref && !v['admin-address'] && !v.file) return usageError(`${kind} requires a proxy (deploy/NAME.NAMESPACE, POD.NAMESPACE), --admin-address HOST:PORT or --file`);
  try {
    const options: ProxyConfigOptions = {
      kind,
      ref,
      namespace: v.namespace,
      adminAddress: v['admin-address'],
      discoveryAddress: discoveryAddress(v['discovery-address'] ?? v['xds-address']),
      file: v.file,
      output: v.output === undefined ? undefined : output,
      verbose,
      name: v.name,
      port: intFlag('port', v.port),
      address: v.address,
      type: v.type,
      fqdn: v.fqdn,
      cluster: v.cluster,
      subset: v.subset,
      direction: v.direction,
      status: v.status,
      level: v.level,
      reset: v.reset,
    };
    process.stdout.write(await runProxyConfig(options));
    return 0;
  } catch (err) {
    if (!(err instanceof CtlError)) throw err;
    process.stderr.write(`Error: ${err.message}\n`);
    return 1;
  }
}
