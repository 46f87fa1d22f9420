// The control plane's /debug/syncz, read the same way whether it comes from
// `skein discovery` (which adds the istioctl name, cluster id, Istio version and
// its own identity to each entry) or from `skein xds serve --status-port` (which
// only has the xDS node). One proxy may have several streams (one per type when it
// does not use ADS, or an old stream still closing after a reconnect); they are
// merged into one proxy, the newest stream winning for each type.
import { CtlError } from './errors.js';
import { isObject, str, type Json } from './fields.js';
import { discoveryPeer, getOk, parseJson } from './http.js';
import { parseNodeId, type ProxyIdentity } from './node_id.js';

export type SyncState = 'SYNCED' | 'NOT SENT' | 'STALE';

export interface TypeSync {
  state: SyncState;
  ackedVersion?: string;
  sentVersion?: string;
  lastNack?: { message: string; version: string; at?: string };
}

/** One connected proxy, as the CLI sees it. */
export interface SyncedProxy extends ProxyIdentity {
  clusterId: string;
  istioVersion: string;
  /** The ISTIOD column: which control plane instance serves it. */
  discovery: string;
  /** By istioctl's column names: CDS, LDS, EDS, RDS, ECDS. */
  types: Record<string, TypeSync>;
  metadata: Json;
}

/** The xDS types proxy-status shows, in istioctl's column order. */
export const STATUS_TYPES = ['CDS', 'LDS', 'EDS', 'RDS', 'ECDS'] as const;

const ECDS_URL = 'type.googleapis.com/envoy.config.core.v3.TypedExtensionConfig';

function typeKey(key: string): string {
  return key === ECDS_URL ? 'ECDS' : key;
}

function typeSync(v: unknown): TypeSync | undefined {
  if (!isObject(v)) return undefined;
  const state = v.state === 'SYNCED' || v.state === 'STALE' || v.state === 'NOT SENT' ? v.state : undefined;
  if (!state) return undefined;
  const out: TypeSync = { state };
  if (typeof v.ackedVersion === 'string') out.ackedVersion = v.ackedVersion;
  if (typeof v.sentVersion === 'string') out.sentVersion = v.sentVersion;
  if (isObject(v.lastNack)) out.lastNack = { message: str(v.lastNack, 'message'), version: str(v.lastNack, 'version'), at: str(v.lastNack, 'at') };
  return out;
}

/**
 * Merges /debug/syncz entries into one record per node. `fallbackDiscovery` fills the
 * ISTIOD column when the server does not name itself (`skein xds serve`).
 */
export function proxiesFromSyncz(body: unknown, fallbackDiscovery: string): SyncedProxy[] {
  if (!Array.isArray(body)) throw new CtlError('/debug/syncz did not return a list of proxies');
  const byNode = new Map<string, { proxy: SyncedProxy; streams: Map<string, number> }>();
  for (const e of body) {
    if (!isObject(e) || typeof e.nodeId !== 'string' || e.nodeId === '') continue;
    const streamId = typeof e.streamId === 'number' ? e.streamId : 0;
    let slot = byNode.get(e.nodeId);
    if (!slot) {
      const identity = parseNodeId(e.nodeId);
      const metadata = isObject(e.nodeMetadata) ? e.nodeMetadata : {};
      const name = typeof e.proxy === 'string' && e.proxy !== '' ? e.proxy : identity.name;
      const clusterId = str(e, 'clusterId') || str(metadata, 'CLUSTER_ID') || (identity.istio ? 'Kubernetes' : str(e, 'nodeCluster'));
      const proxy: SyncedProxy = {
        ...identity,
        name,
        clusterId,
        istioVersion: str(e, 'istioVersion') || str(metadata, 'ISTIO_VERSION'),
        discovery: str(e, 'discovery') || fallbackDiscovery,
        types: {},
        metadata,
      };
      slot = { proxy, streams: new Map() };
      byNode.set(e.nodeId, slot);
    }
    for (const [key, value] of Object.entries(isObject(e.types) ? e.types : {})) {
      const t = typeKey(key);
      const sync = typeSync(value);
      if (!sync || (slot.streams.get(t) ?? -1) > streamId) continue;
      slot.streams.set(t, streamId);
      slot.proxy.types[t] = sync;
    }
  }
  return [...byNode.values()].map((s) => s.proxy).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** Every proxy connected to the discovery server at `address`. */
export async function fetchProxies(address: string): Promise<SyncedProxy[]> {
  const text = await getOk(discoveryPeer(address), '/debug/syncz');
  return proxiesFromSyncz(parseJson(text, `/debug/syncz of ${address}`), address);
}

/** The state shown for a type: NOT SENT when the proxy never subscribed to it. */
export function stateOf(p: SyncedProxy, type: string): SyncState {
  return p.types[type]?.state ?? 'NOT SENT';
}
