// Istio's mesh-wide defaults (what `istioctl install --set profile=default` gives).
import type { MeshConfig } from './types.js';
import { DEFAULT_DOMAIN_SUFFIX } from './hosts.js';

export const DEFAULT_MESH_CONFIG: Readonly<MeshConfig> = Object.freeze({
  trustDomain: 'cluster.local',
  domainSuffix: DEFAULT_DOMAIN_SUFFIX,
  rootNamespace: 'istio-system',
  connectTimeout: '10s',
  outboundTrafficPolicy: 'ALLOW_ANY',
  filterGatewayClusterConfig: false,
  discoveryAddress: 'istiod.istio-system.svc:15010',
  clusterId: 'Kubernetes',
});

/** Defaults overlaid with whatever the caller set (undefined values do not erase defaults). */
export function resolveMeshConfig(partial: Partial<MeshConfig> | undefined): MeshConfig {
  const out: MeshConfig = { ...DEFAULT_MESH_CONFIG };
  for (const [k, v] of Object.entries(partial ?? {})) {
    if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  }
  return out;
}

/** The DNS suffix of Kubernetes service hosts ("cluster.local"). */
export function domainSuffixOf(mesh: MeshConfig): string {
  return mesh.domainSuffix ?? DEFAULT_DOMAIN_SUFFIX;
}
