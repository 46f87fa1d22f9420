// Who is connecting: Istio proxies identify themselves by their xDS node id,
// "TYPE~IP~POD.NS~NS.svc.cluster.local", plus node metadata that pilot-agent fills in
// (LABELS, NAMESPACE, WORKLOAD_NAME, CLUSTER_ID, ISTIO_VERSION, INSTANCE_IPS). skein's
// agent sends the same keys, plus SKEIN_APP_ADDRESS for local-mesh sidecars. The
// xDS server rejects a stream whose node does not parse, with this error's message.
import { isIP } from 'node:net';
import { podIndexOf } from './local_addresses.js';
import type { Proxy, ProxyType } from './types.js';

export class ProxyIdError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProxyIdError';
  }
}

export interface XdsNode {
  id?: string;
  cluster?: string;
  metadata?: Record<string, unknown>;
  locality?: { region?: string; zone?: string; subZone?: string; sub_zone?: string };
}

const PROXY_TYPES: readonly ProxyType[] = ['sidecar', 'router'];

export function parseProxy(node: XdsNode): Proxy {
  const id = node.id ?? '';
  const fail = (what: string): never => {
    throw new ProxyIdError(`invalid proxy id "${id}": ${what} (expected TYPE~IP~POD.NAMESPACE~NAMESPACE.svc.cluster.local)`);
  };
  if (id === '') fail('the node id is empty');
  const parts = id.split('~');
  if (parts.length !== 4) fail(`it has ${parts.length} "~"-separated parts, not 4`);
  const [type, ip, podAndNs, dnsDomain] = parts as [string, string, string, string];
  if (!(PROXY_TYPES as readonly string[]).includes(type)) fail(`unknown proxy type "${type}" (want sidecar or router)`);
  if (podAndNs === '') fail('the POD.NAMESPACE part is empty');

  const metadata = node.metadata ?? {};
  const ipAddresses = instanceIps(metadata) ?? [ip];
  for (const addr of ipAddresses) {
    if (isIP(addr) === 0) fail(`"${addr}" is not an IP address`);
  }

  const dot = podAndNs.lastIndexOf('.');
  const podName = dot > 0 ? podAndNs.slice(0, dot) : podAndNs;
  const idNamespace = dot > 0 ? podAndNs.slice(dot + 1) : '';
  const namespace = stringOf(metadata.NAMESPACE) || idNamespace || dnsDomain.split('.')[0] || '';
  if (namespace === '') fail('it names no namespace (POD.NAMESPACE) and metadata has no NAMESPACE');

  const labels = labelsOf(metadata.LABELS);
  const proxy: Proxy = {
    type: type as ProxyType,
    id,
    ipAddresses,
    podName,
    namespace,
    dnsDomain,
    labels,
    metadata,
    clusterId: stringOf(metadata.CLUSTER_ID) || 'Kubernetes',
    workloadName: stringOf(metadata.WORKLOAD_NAME) || workloadNameOf(podName),
    istioVersion: stringOf(metadata.ISTIO_VERSION),
  };
  const app = stringOf(metadata.SKEIN_APP_ADDRESS);
  if (app !== '') proxy.appAddress = app;
  const index = podIndexOf(ipAddresses[0]!);
  if (index !== undefined) proxy.localPodIndex = index;
  const locality = localityOf(node.locality);
  if (locality !== undefined) proxy.locality = locality;
  return proxy;
}

function stringOf(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

function instanceIps(metadata: Record<string, unknown>): string[] | undefined {
  const raw = stringOf(metadata.INSTANCE_IPS);
  if (raw === '') return undefined;
  const ips = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  return ips.length > 0 ? ips : undefined;
}

/** LABELS arrives as a Struct (an object of strings); tolerate non-string values by stringifying them. */
function labelsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return out;
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    const s = stringOf(val);
    if (s !== '' || val === '') out[k] = s;
  }
  return out;
}

/** "webapp-7b8c9d-abcde" → "webapp": a Deployment's pod name minus ReplicaSet hash and pod suffix. */
function workloadNameOf(podName: string): string {
  const m = /^(.+)-[a-z0-9]{5,10}-[a-z0-9]{5}$/.exec(podName);
  return m ? m[1]! : podName;
}

function localityOf(l: XdsNode['locality']): string | undefined {
  if (!l) return undefined;
  const sub = l.subZone ?? l.sub_zone ?? '';
  const region = l.region ?? '';
  const zone = l.zone ?? '';
  if (region === '' && zone === '' && sub === '') return undefined;
  return `${region}/${zone}/${sub}`;
}
