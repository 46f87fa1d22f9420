// Istio's resource names (pilot/pkg/model BuildSubsetKey and friends). Every other
// tool keys on them — istioctl's tables, stats, dashboards — so they are exact.

export const BLACKHOLE_CLUSTER = 'BlackHoleCluster';
export const PASSTHROUGH_CLUSTER = 'PassthroughCluster';

/** "outbound|80||catalog.istioinaction.svc.cluster.local", "outbound|80|v1|catalog...". */
export function outboundClusterName(port: number, subset: string | undefined, hostname: string): string {
  return `outbound|${port}|${subset ?? ''}|${hostname}`;
}

/** "inbound|8080||": the sidecar's cluster to its own application on a target port. */
export function inboundClusterName(targetPort: number): string {
  return `inbound|${targetPort}||`;
}

export interface ClusterKey {
  direction: 'inbound' | 'outbound';
  port: number;
  subset: string;
  hostname: string;
}

export function parseClusterName(name: string): ClusterKey | undefined {
  const parts = name.split('|');
  if (parts.length !== 4) return undefined;
  const [direction, port, subset, hostname] = parts as [string, string, string, string];
  if (direction !== 'inbound' && direction !== 'outbound') return undefined;
  const n = Number(port);
  if (!Number.isInteger(n) || n <= 0) return undefined;
  return { direction, port: n, subset, hostname };
}

/** Route metadata `istio.config`, from which istioctl shows "name.namespace" in its VIRTUAL SERVICE column. */
export function virtualServiceConfigPath(namespace: string, name: string): string {
  return `/apis/networking.istio.io/v1alpha3/namespaces/${namespace}/virtual-service/${name}`;
}

/** Cluster metadata `istio.config` for the DestinationRule that shaped a cluster. */
export function destinationRuleConfigPath(namespace: string, name: string): string {
  return `/apis/networking.istio.io/v1alpha3/namespaces/${namespace}/destination-rule/${name}`;
}

/** SDS secret names istiod serves for a credentialName. */
export function credentialSecretName(credentialName: string): string {
  return `kubernetes://${credentialName}`;
}

export function credentialCaSecretName(credentialName: string): string {
  return `kubernetes://${credentialName}-cacert`;
}
