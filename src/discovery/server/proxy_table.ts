// The proxies the discovery server builds config for: every node that opened a
// stream, parsed once into the model's Proxy, with the snapshot it is being served.
// istiod pushes only to connected proxies; we also keep a disconnected one for a
// grace period so a proxy that reconnects (a restart, a control-plane blip) keeps
// its snapshot versions and is not sent everything again as if new.
import type { Snapshot } from '../xds/cache/snapshot.js';
import type { Node } from '../xds/cache/types.js';
import type { Proxy, PushContext } from '../model/types.js';
import type { EndpointPlan } from '../translate/index.js';

export interface ProxyEntry {
  proxy: Proxy;
  /** What the proxy was parsed from, to notice a reconnect with different metadata. */
  fingerprint: string;
  /** What the cache serves to it (the last snapshot that passed the consistency check). */
  snapshot?: Snapshot;
  /** The push its snapshot was built from: an endpoint-only push compares with it. */
  basis?: PushContext;
  /** What its ClusterLoadAssignments were built from (default translator only). */
  endpointPlan?: EndpointPlan;
  /** Translation warnings of the build it is served, repeated when a push reuses that build. */
  warnings?: readonly string[];
  /** The push number its snapshot was last built at (0: never). */
  builtAtPush: number;
  /** Off-cycle rebuilds within one push (reconnects with new metadata), for unique versions. */
  rebuildsInPush: number;
  /** Date.now() when a stream of it was last seen alive. */
  lastSeen: number;
}

/** What identifies a node's parse result: id, cluster, metadata and locality. */
export function nodeFingerprint(node: Node): string {
  const n = node as { id?: string; cluster?: string; metadata?: unknown; locality?: unknown };
  return JSON.stringify([n.id ?? '', n.cluster ?? '', n.metadata ?? null, n.locality ?? null]);
}

export class ProxyTable {
  private readonly entries = new Map<string, ProxyEntry>();

  get size(): number {
    return this.entries.size;
  }

  get(id: string): ProxyEntry | undefined {
    return this.entries.get(id);
  }

  values(): IterableIterator<ProxyEntry> {
    return this.entries.values();
  }

  /**
   * A proxy by node id, or by istioctl's names: "POD.NS", or "POD" when only one
   * namespace has such a pod.
   */
  find(ref: string): ProxyEntry | undefined {
    const exact = this.entries.get(ref);
    if (exact) return exact;
    const all = [...this.entries.values()];
    const byName = all.filter((e) => `${e.proxy.podName}.${e.proxy.namespace}` === ref);
    if (byName.length === 1) return byName[0];
    const byPod = all.filter((e) => e.proxy.podName === ref);
    return byPod.length === 1 ? byPod[0] : undefined;
  }

  /** Adds a proxy, or replaces the parse result of a known one (its snapshot is kept, for its versions). */
  upsert(proxy: Proxy, fingerprint: string): ProxyEntry {
    const known = this.entries.get(proxy.id);
    if (known) {
      known.proxy = proxy;
      known.fingerprint = fingerprint;
      known.lastSeen = Date.now();
      // Its served config was built for the old metadata: the next build is a full one.
      known.basis = undefined;
      known.endpointPlan = undefined;
      return known;
    }
    const entry: ProxyEntry = { proxy, fingerprint, builtAtPush: 0, rebuildsInPush: 0, lastSeen: Date.now() };
    this.entries.set(proxy.id, entry);
    return entry;
  }

  /**
   * Marks the proxies with a live stream as seen now and removes those without one
   * for longer than `graceMs`; returns the removed ids.
   */
  sweep(liveIds: ReadonlySet<string>, graceMs: number, now = Date.now()): string[] {
    const removed: string[] = [];
    for (const [id, entry] of this.entries) {
      if (liveIds.has(id)) entry.lastSeen = now;
      else if (now - entry.lastSeen >= graceMs) {
        this.entries.delete(id);
        removed.push(id);
      }
    }
    return removed;
  }

  clear(): void {
    this.entries.clear();
  }
}
