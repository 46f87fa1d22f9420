// Which proxy `skein proxy-config <proxy>` means, in istioctl's forms:
//   deploy/NAME.NS, deploy/NAME -n NS   the first pod (by name) of Deployment NAME
//   POD.NS, POD -n NS, pod/POD.NS       one pod
//   a full xDS node id                  exactly that proxy
// resolved against the proxies connected to the discovery server (/debug/syncz), as
// istioctl resolves them against the Kubernetes API. The admin API is then the pod
// IP from the node id, port 15000. `--admin-address` skips all of this.
import { CtlError } from './errors.js';
import { str } from './fields.js';
import { deploymentOfPod, hostPort, ISTIO_ADMIN_PORT } from './node_id.js';
import { fetchProxies, type SyncedProxy } from './syncz.js';

export interface ProxyTarget {
  /** How messages name it: "POD.NS" or the node id; unset when only --admin-address named it. */
  name?: string;
  adminAddress: string;
  nodeId?: string;
}

const KINDS: Record<string, 'deploy' | 'pod'> = { deploy: 'deploy', deployment: 'deploy', deployments: 'deploy', pod: 'pod', pods: 'pod', po: 'pod' };

const byName = (a: SyncedProxy, b: SyncedProxy) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function workloadOf(p: SyncedProxy): string | undefined {
  return str(p.metadata, 'WORKLOAD_NAME') || (p.pod ? deploymentOfPod(p.pod) : undefined);
}

/** Splits "NAME.NS" unless -n names the namespace (then the whole string is the name). */
function nameAndNamespace(ref: string, namespace?: string): Array<{ name: string; ns?: string }> {
  // "POD.NS -n NS" names the same pod as "POD -n NS".
  if (namespace) return [{ name: ref.endsWith(`.${namespace}`) ? ref.slice(0, -namespace.length - 1) : ref, ns: namespace }];
  const dot = ref.lastIndexOf('.');
  const out: Array<{ name: string; ns?: string }> = [{ name: ref }];
  if (dot > 0) out.unshift({ name: ref.slice(0, dot), ns: ref.slice(dot + 1) });
  return out;
}

function describeKnown(proxies: readonly SyncedProxy[]): string {
  if (proxies.length === 0) return 'no proxies are connected to it';
  const names = proxies.map((p) => p.name);
  const shown = names.slice(0, 25).join(', ');
  return `the proxies it knows are: ${shown}${names.length > 25 ? `, ... (${names.length} in all)` : ''}`;
}

/** Picks the proxy `ref` names among `proxies` (pure: the resolution rules above). */
export function matchProxy(ref: string, namespace: string | undefined, proxies: readonly SyncedProxy[], discovery: string): SyncedProxy {
  const exact = proxies.find((p) => p.nodeId === ref);
  if (exact) return exact;
  const slash = ref.indexOf('/');
  const kind = slash > 0 ? KINDS[ref.slice(0, slash).toLowerCase()] : 'pod';
  if (!kind) throw new CtlError(`unsupported kind "${ref.slice(0, slash)}" in "${ref}": use deploy/NAME[.NAMESPACE] or POD[.NAMESPACE]`);
  const rest = slash > 0 ? ref.slice(slash + 1) : ref;
  const candidates = nameAndNamespace(rest, namespace);
  let found: SyncedProxy[] = [];
  for (const { name, ns } of candidates) {
    found = proxies.filter((p) => (ns === undefined || p.namespace === ns) && (kind === 'deploy' ? workloadOf(p) === name : p.pod === name || (!p.istio && p.name === name)));
    if (found.length) break;
  }
  const what = kind === 'deploy' ? `deployment "${rest}"` : `proxy "${rest}"`;
  const where = `the discovery server at ${discovery}`;
  if (found.length === 0) throw new CtlError(`${what}${namespace ? ` in namespace ${namespace}` : ''} not found: ${where} has no such proxy; ${describeKnown(proxies)}`);
  const namespaces = [...new Set(found.map((p) => p.namespace))];
  if (namespaces.length > 1) {
    throw new CtlError(`${what} is ambiguous: it exists in namespaces ${namespaces.join(', ')}; name one (${rest}.NAMESPACE or -n NAMESPACE)`);
  }
  if (kind === 'pod' && found.length > 1) throw new CtlError(`${what} matches ${found.length} proxies: ${found.map((p) => p.nodeId).join(', ')}; give the full node id`);
  return [...found].sort(byName)[0]!;
}

/** The admin address of an Istio-style proxy: its pod IP, port 15000. */
export function adminAddressOf(p: SyncedProxy): string {
  const ip = p.ip || str(p.metadata, 'INSTANCE_IPS').split(',')[0]?.trim();
  if (!ip) throw new CtlError(`proxy "${p.name}" has no pod IP in its node id (not TYPE~IP~POD.NS~DOMAIN), so its admin address is unknown: use --admin-address HOST:PORT`);
  return hostPort(ip, ISTIO_ADMIN_PORT);
}

export interface ResolveOptions {
  ref?: string;
  namespace?: string;
  adminAddress?: string;
  discoveryAddress: string;
}

export async function resolveProxy(o: ResolveOptions): Promise<ProxyTarget> {
  if (o.adminAddress) return { adminAddress: o.adminAddress };
  if (!o.ref) throw new CtlError('name a proxy (deploy/NAME.NAMESPACE, POD.NAMESPACE or a node id) or give --admin-address HOST:PORT');
  const proxies = await fetchProxies(o.discoveryAddress);
  const p = matchProxy(o.ref, o.namespace, proxies, o.discoveryAddress);
  return { name: p.name, adminAddress: adminAddressOf(p), nodeId: p.nodeId };
}
