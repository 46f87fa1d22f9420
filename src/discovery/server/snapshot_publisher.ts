// From (PushContext, Proxy) to a snapshot in the cache, for one proxy. Translation
// is pure and the cache refuses inconsistent snapshots, so this is where their
// failures are caught: a proxy whose new config cannot be built or is inconsistent
// is logged and keeps what it has, and every other proxy still gets its push.
import { ADS_PUSH_ORDER, CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../api/xds/resource_types.js';
import type { Logger } from '../../common/logger.js';
import type { PushContext, ProxyResources } from '../model/types.js';
import { decodeProxyResources, ResourceDecodeError } from '../translate/index.js';
import { Snapshot, type ResourcesByType } from '../xds/cache/snapshot.js';
import type { SnapshotCache } from '../xds/cache/snapshot_cache.js';
import type { ProxyEntry } from './proxy_table.js';

/** Translation: proto3-JSON-shaped resources (decoded and validated here before packing). */
export type BuildResources = (push: PushContext, proxy: ProxyEntry['proxy']) => ProxyResources;

/** Translation warnings: logged once when they appear, not per proxy per push. */
export class WarningLog {
  private active = new Set<string>();
  private next: Set<string> | undefined;

  constructor(private readonly log: Logger) {}

  /** Starts collecting a push's warnings; `end()` makes them the active set. */
  begin(): void {
    this.next = new Set();
  }

  add(warnings: readonly string[] | undefined): void {
    for (const w of warnings ?? []) {
      if (!this.active.has(w) && !this.next?.has(w)) this.log.warn(w);
      (this.next ?? this.active).add(w);
    }
  }

  end(): void {
    if (this.next) this.active = this.next;
    this.next = undefined;
  }

  current(): string[] {
    return [...this.active].sort();
  }
}

export type PublishOutcome = 'changed' | 'unchanged' | 'refused';

export interface PublishProblem {
  proxy: string;
  message: string;
  at: string;
}

export function toResourcesByType(r: ProxyResources): ResourcesByType {
  return {
    [CLUSTER_TYPE]: r.clusters,
    [ENDPOINT_TYPE]: r.endpoints,
    [LISTENER_TYPE]: r.listeners,
    [ROUTE_TYPE]: r.routes,
    [SECRET_TYPE]: r.secrets,
  };
}

export class SnapshotPublisher {
  /** The last failure per proxy id, cleared by its next success (for /debug/config_issues). */
  readonly problems = new Map<string, PublishProblem>();

  constructor(
    private readonly cache: SnapshotCache,
    private readonly build: BuildResources,
    private readonly log: Logger,
    readonly warnings: WarningLog,
  ) {}

  /**
   * Builds `entry`'s resources from `push` and publishes them as push `pushNumber`.
   * 'unchanged' when every type came out as before (nothing is republished);
   * 'refused' (logged) when the proxy keeps its previous snapshot.
   */
  publish(push: PushContext, entry: ProxyEntry, pushNumber: number): PublishOutcome {
    const id = entry.proxy.id;
    // A proxy's versions only need to be unique for that proxy: the push number,
    // with a suffix when it is rebuilt again within the same push (a reconnect with
    // different metadata), since an equal version would not be sent.
    if (entry.builtAtPush === pushNumber) entry.rebuildsInPush++;
    else entry.rebuildsInPush = 0;
    const version = entry.rebuildsInPush ? `${pushNumber}.${entry.rebuildsInPush}` : String(pushNumber);
    let snapshot: Snapshot;
    try {
      const resources = this.build(push, entry.proxy);
      this.warnings.add((resources as ProxyResources & { warnings?: string[] }).warnings);
      // Translation speaks proto3 JSON; the cache packs in-memory messages. Decoding
      // validates every resource, so a translation bug is caught here, per proxy.
      snapshot = Snapshot.fromResources(version, toResourcesByType(decodeProxyResources(resources)), entry.snapshot);
    } catch (err) {
      const detail = err instanceof ResourceDecodeError ? err.message : ((err as Error).stack ?? String(err));
      return this.refuse(id, `cannot generate config: ${detail}`);
    }
    entry.builtAtPush = pushNumber;
    const previous = entry.snapshot;
    if (previous && ADS_PUSH_ORDER.every((t) => previous.version(t) === snapshot.version(t))) {
      this.problems.delete(id);
      return 'unchanged';
    }
    const errors = snapshot.consistencyErrors();
    if (errors.length) return this.refuse(id, `generated config is inconsistent: ${errors.join('; ')}`);
    try {
      this.cache.setSnapshot(id, snapshot);
    } catch (err) {
      return this.refuse(id, (err as Error).message);
    }
    entry.snapshot = snapshot;
    this.problems.delete(id);
    return 'changed';
  }

  private refuse(id: string, message: string): 'refused' {
    const first = this.problems.get(id)?.message !== message;
    this.problems.set(id, { proxy: id, message, at: new Date().toISOString() });
    const tail = 'it keeps its previous config';
    // The same failure on every push is one problem: log it in full once.
    if (first) this.log.error(`proxy ${id}: ${message}; ${tail}`);
    else this.log.debug(`proxy ${id}: still failing (${message.split('\n')[0]}); ${tail}`);
    return 'refused';
  }
}
