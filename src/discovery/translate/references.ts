// The clusters a set of listeners and route configurations send traffic to: route
// actions (cluster, weighted_clusters, request mirrors) and tcp_proxy. Used for
// PILOT_FILTER_GATEWAY_CLUSTER_CONFIG, where a gateway gets only those clusters.
import type { Json } from './envoy.js';

export function referencedClusters(...groups: Json[][]): Set<string> {
  const out = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) {
      for (const x of v) walk(x);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v as Json)) {
      if (k === 'cluster' && typeof x === 'string') out.add(x);
      else if (k === 'weighted_clusters' && x && typeof x === 'object') {
        for (const c of ((x as Json).clusters as Json[] | undefined) ?? []) if (typeof c.name === 'string') out.add(c.name);
      } else walk(x);
    }
  };
  for (const g of groups) walk(g);
  return out;
}
