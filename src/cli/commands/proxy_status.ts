// `skein proxy-status [<proxy>]`: the xDS sync state of every proxy connected to the
// discovery server, like `istioctl proxy-status` (its 1.17 table, as the seeds show
// it). With a proxy, compares that proxy's running config with what the discovery
// server generated for it. The work is in src/ctl/.
import { parseCommandArgs } from '../args.js';
import { fetchConfigDump } from '../../ctl/admin_client.js';
import { ConfigDump } from '../../ctl/config_dump.js';
import { CtlError } from '../../ctl/errors.js';
import { DEFAULT_DISCOVERY_ADDRESS, DISCOVERY_ADDRESS_ENV, discoveryAddress, discoveryPeer, request } from '../../ctl/http.js';
import { adminAddressOf, matchProxy } from '../../ctl/proxy_ref.js';
import { formatProxyStatus, nackNotes } from '../../ctl/status_table.js';
import { compareConfigs } from '../../ctl/sync_diff.js';
import { fetchProxies } from '../../ctl/syncz.js';

export const PROXY_STATUS_USAGE = `Usage: skein proxy-status [<proxy>] [flags]

Prints the xDS sync state of every proxy connected to the discovery server, like
istioctl proxy-status:

  NAME  CLUSTER  CDS  LDS  EDS  RDS  ECDS  ISTIOD  VERSION

SYNCED: the proxy ACKed the latest config of that type; NOT SENT: nothing of that
type was sent (it never asked, or there is nothing yet); STALE: sent and not ACKed
yet, or NACKed (the NACK's message is printed on stderr).

With <proxy> (deploy/NAME.NAMESPACE, POD.NAMESPACE or a node id), compares the
proxy's clusters, listeners and routes (its admin /config_dump) with what the
discovery server generated for it, and prints "Clusters Match" or a diff for each.

Flags:
  -n, --namespace NS             only proxies in this namespace (and the namespace of <proxy>)
      --discovery-address HOST:PORT
                                 the discovery server's debug address (default
                                 ${DEFAULT_DISCOVERY_ADDRESS}, or $${DISCOVERY_ADDRESS_ENV}); istioctl's --xds-address
      --admin-address HOST:PORT  with <proxy>: read its config from this admin API
  -h, --help                     show this help
`;

const usageError = (message: string): number => {
  process.stderr.write(`Error: ${message}\nRun 'skein proxy-status --help' for usage.\n`);
  return 2;
};

async function compareOne(ref: string, namespace: string | undefined, address: string, adminAddress: string | undefined): Promise<string> {
  const proxy = matchProxy(ref, namespace, await fetchProxies(address), address);
  const peer = discoveryPeer(address);
  const path = `/debug/config_dump?proxyID=${encodeURIComponent(proxy.nodeId)}`;
  const answer = await request(peer, path);
  if (answer.status === 404) {
    throw new CtlError(`the control plane at ${address} does not serve ${path} (404), so there is nothing to compare with; skein discovery serves it, skein xds serve does not`);
  }
  if (answer.status !== 200) throw new CtlError(`the discovery server at ${address} answered ${answer.status} to GET ${path}: ${answer.text.trim().split('\n')[0] ?? ''}`);
  const generated = ConfigDump.parse(answer.text, `${path} of ${address}`);
  const running = await fetchConfigDump(adminAddress ? { adminAddress } : { adminAddress: adminAddressOf(proxy), proxyName: proxy.name });
  return compareConfigs(generated, running);
}

export async function proxyStatusCommand(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(
    argv,
    {
      namespace: { type: 'string', short: 'n' },
      'discovery-address': { type: 'string' },
      'xds-address': { type: 'string' },
      'admin-address': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  );
  if (!parsed.ok) return usageError(parsed.error);
  const { values: v, positionals } = parsed;
  if (v.help) {
    process.stdout.write(PROXY_STATUS_USAGE);
    return 0;
  }
  if (positionals.length > 1) return usageError(`unexpected arguments "${positionals.slice(1).join(' ')}": give at most one proxy`);
  const address = discoveryAddress(v['discovery-address'] ?? v['xds-address']);
  try {
    if (positionals[0]) {
      process.stdout.write(await compareOne(positionals[0], v.namespace, address, v['admin-address']));
      return 0;
    }
    const proxies = (await fetchProxies(address)).filter((p) => !v.namespace || p.namespace === v.namespace);
    process.stdout.write(formatProxyStatus(proxies));
    for (const note of nackNotes(proxies)) process.stderr.write(`${note}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof CtlError)) throw err;
    process.stderr.write(`Error: ${err.message}\n`);
    return 1;
  }
}
