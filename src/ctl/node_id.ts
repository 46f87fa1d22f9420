// What a proxy is called in the CLI. Istio proxies identify as
// "TYPE~IP~POD.NS~NS.svc.cluster.local" and istioctl names them "POD.NS"; the IP is
// where the proxy's admin API listens (port 15000, as in a pod). Any other node id
// (a `skein xds serve` test node, a plain Envoy) is shown and matched as it is.

export interface ProxyIdentity {
  /** The xDS node id. */
  nodeId: string;
  /** istioctl's NAME: "POD.NS" for Istio ids, the raw id otherwise. */
  name: string;
  istio: boolean;
  type?: string;
  ip?: string;
  pod?: string;
  namespace?: string;
}

/** The admin port of an Istio proxy in its pod (Envoy's admin in Istio listens on 15000). */
export const ISTIO_ADMIN_PORT = 15000;

export function parseNodeId(nodeId: string): ProxyIdentity {
  const parts = nodeId.split('~');
  if (parts.length === 4 && (parts[0] === 'sidecar' || parts[0] === 'router') && parts[2]) {
    const [type, ip, podAndNs] = parts as [string, string, string, string];
    const dot = podAndNs.lastIndexOf('.');
    const pod = dot > 0 ? podAndNs.slice(0, dot) : podAndNs;
    const namespace = dot > 0 ? podAndNs.slice(dot + 1) : (parts[3]!.split('.')[0] ?? '');
    return { nodeId, name: `${pod}.${namespace}`, istio: true, type, ip, pod, namespace };
  }
  return { nodeId, name: nodeId, istio: false };
}

/** "webapp-7b8c9d6f4-abcde" → "webapp": a Deployment's pod name without the ReplicaSet hash and pod suffix. */
export function deploymentOfPod(pod: string): string | undefined {
  const m = /^(.+)-[a-z0-9]{1,10}-[a-z0-9]{5}$/.exec(pod);
  return m ? m[1] : undefined;
}

/** "HOST:PORT" for an address and port; IPv6 literals get brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}
