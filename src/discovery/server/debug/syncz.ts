// `/debug/syncz`: the xDS server's per-stream status (the exact entries `skein xds
// serve` serves) plus what `skein proxy-status` prints next to the sync states, which
// only the discovery server knows: the proxy's istioctl name (POD.NS), its cluster
// id, type and Istio version from the node, and which control plane it is connected
// to (the ISTIOD column).
import { createHash } from 'node:crypto';
import os from 'node:os';
import type { ProxyStatusEntry } from '../../xds/status.js';
import type { ProxyTable } from '../proxy_table.js';

export interface SyncStatusEntry extends ProxyStatusEntry {
  /** istioctl's NAME: "POD.NS" ("" when the node id did not parse). */
  proxy: string;
  proxyType: string;
  /** CLUSTER column: metadata CLUSTER_ID, "Kubernetes" by default. */
  clusterId: string;
  /** VERSION column: metadata ISTIO_VERSION. */
  istioVersion: string;
  /** ISTIOD column: the discovery server this stream is connected to. */
  discovery: string;
  /** The version of each type the discovery server currently has for this proxy (what SYNCED compares against). */
  currentVersions: Record<string, string>;
}

/**
 * "istiod-<hash>": like istiod's pod name, one per running discovery server, stable
 * for its lifetime, so proxy-status across restarts shows which instance served whom.
 */
export function discoveryIdentity(seed = `${os.hostname()}:${process.pid}:${Date.now()}`): string {
  return `istiod-${createHash('sha256').update(seed).digest('hex').slice(0, 10)}`;
}

export function buildSyncz(
  entries: readonly ProxyStatusEntry[],
  table: ProxyTable,
  discovery: string,
  currentVersions: (nodeId: string) => Record<string, string>,
): SyncStatusEntry[] {
  return entries.map((e) => {
    const p = table.get(e.nodeId)?.proxy;
    return {
      ...e,
      proxy: p ? `${p.podName}.${p.namespace}` : '',
      proxyType: p?.type ?? '',
      clusterId: p?.clusterId ?? '',
      istioVersion: p?.istioVersion ?? '',
      discovery,
      currentVersions: currentVersions(e.nodeId),
    };
  });
}
