// From (PushContext, Proxy) to a snapshot in the cache, for one proxy. Translation
// is pure and the cache refuses inconsistent snapshots, so this is where their
// failures are caught: a proxy whose new config cannot be built or is inconsistent
// is logged and keeps what it has, and every other proxy still gets its push.
//
// The work behind a snapshot is shared between proxies and pushes (push_round.ts):
// beginPush() starts a push's shared state; publish() then builds one proxy's.
import { ADS_PUSH_ORDER, CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../api/xds/resource_types.js';
import type { Logger } from '../../common/logger.js';
import type { PushContext, ProxyResources } from '../model/types.js';
import { decodeXdsResource, ResourceDecodeError } from '../translate/index.js';
import { ResourcePool } from '../xds/cache/resource_pool.js';
import { Snapshot, type ResourcesByType } from '../xds/cache/snapshot.js';
import type { SnapshotCache } from '../xds/cache/snapshot_cache.js';
import type { ProxyEntry } from './proxy_table.js';
import { PushRound, type BuildResources, type BuiltConfig, type RoundStats } from './push_round.js';

export type { BuildResources } from './push_round.js';

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
  /** Translation speaks proto3 JSON; the cache packs in-memory messages. Decoding validates every resource. */
  private readonly pool = new ResourcePool((typeUrl, json) => decodeXdsResource(typeUrl, json as Record<string, unknown>));
  private round: PushRound | undefined;

  /** `build` replaces the default translator (tests); undefined is translate/'s, with sharing between proxies. */
  constructor(
    private readonly cache: SnapshotCache,
    private readonly build: BuildResources | undefined,
    private readonly log: Logger,
    readonly warnings: WarningLog,
  ) {}

  /**
   * Starts publishing `push`; `previous` is the push published before it (when only
   * endpoints changed between the two, proxies get just their new endpoints).
   * Returns how proxies will be rebuilt.
   */
  beginPush(push: PushContext, previous: PushContext | undefined): 'endpoints' | 'full' {
    this.pool.nextGeneration();
    this.round = new PushRound(push, previous, this.pool, this.build);
    return this.round.kind;
  }

  /** How the current push's configs were made, and how many resources had to be packed for it. */
  roundStats(): RoundStats & { scope: 'endpoints' | 'full'; packed: number } {
    return { scope: this.round?.kind ?? 'full', ...(this.round?.stats ?? { translated: 0, shared: 0, endpointUpdates: 0 }), packed: this.pool.packed };
  }

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
    if (this.round?.push !== push) this.beginPush(push, undefined);
    let snapshot: Snapshot;
    let config: BuiltConfig;
    try {
      config = this.round!.configFor(entry, (warnings) => this.warnings.add(warnings));
      snapshot = Snapshot.fromCached(version, config.maps, entry.snapshot);
    } catch (err) {
      const detail = err instanceof ResourceDecodeError ? err.message : ((err as Error).stack ?? String(err));
      return this.refuse(id, `cannot generate config: ${detail}`);
    }
    entry.builtAtPush = pushNumber;
    const previous = entry.snapshot;
    if (previous && ADS_PUSH_ORDER.every((t) => previous.version(t) === snapshot.version(t))) {
      this.problems.delete(id);
      remember(entry, push, config);
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
    remember(entry, push, config);
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

/** What the next push needs to know about the snapshot the proxy is now served. */
function remember(entry: ProxyEntry, push: PushContext, config: BuiltConfig): void {
  entry.basis = push;
  entry.endpointPlan = config.endpointPlan;
  entry.warnings = config.warnings;
}
