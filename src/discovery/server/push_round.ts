// One push's shared work, used for every proxy published against that PushContext
// (the push itself, and proxies that connect before the next one). istiod builds
// per-push caches the same way: what does not depend on the proxy is built once.
//
//   full builds    — translation with a TranslationMemo (clusters and endpoints shared
//                    between proxies); gateways with the same translation key (the
//                    replicas of one gateway Deployment) share their whole result;
//                    everything is packed through the ResourcePool, so each distinct
//                    resource is validated, encoded and hashed once.
//   endpoint-only  — when nothing but endpoints changed since the previous push, a
//                    proxy's snapshot is its previous one with the affected
//                    ClusterLoadAssignments rebuilt; every other type is reused as is.
import { ADS_PUSH_ORDER, CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, type XdsTypeUrl } from '../../api/xds/resource_types.js';
import { endpointChanges, type EndpointChanges } from '../model/endpoint_changes.js';
import type { Proxy, ProxyResources, PushContext } from '../model/types.js';
import { buildProxyResources, endpointsOnlyInEds, rebuildAssignments, sharedTranslationKey, TranslationMemo, type EndpointPlan } from '../translate/index.js';
import type { ResourcePool } from '../xds/cache/resource_pool.js';
import type { CachedResource, CachedResourcesByType, Snapshot } from '../xds/cache/snapshot.js';
import type { ProxyEntry } from './proxy_table.js';

/** Translation: proto3-JSON-shaped resources (decoded and validated before packing). */
export type BuildResources = (push: PushContext, proxy: Proxy) => ProxyResources;

/** A proxy's config, packed: what a snapshot is made of, plus what the next push needs to know. */
export interface BuiltConfig {
  readonly maps: CachedResourcesByType;
  readonly warnings: readonly string[];
  /** Set when built by the default translator: lets an endpoint-only push rebuild just the endpoints. */
  readonly endpointPlan?: EndpointPlan;
}

const KINDS: Record<XdsTypeUrl, keyof Omit<ProxyResources, 'warnings'>> = {
  [CLUSTER_TYPE]: 'clusters',
  [ENDPOINT_TYPE]: 'endpoints',
  [LISTENER_TYPE]: 'listeners',
  [ROUTE_TYPE]: 'routes',
  [SECRET_TYPE]: 'secrets',
};

type ResourceMap = ReadonlyMap<string, CachedResource>;

/** How a round's configs came about (for tests, and to see sharing work). */
export interface RoundStats {
  /** Proxies translated. */
  translated: number;
  /** Proxies that got another proxy's translation (same sharing key). */
  shared: number;
  /** Proxies that got their previous config with new endpoints. */
  endpointUpdates: number;
}

export class PushRound {
  /** Set when the default translator runs (a custom one gets no memo and no sharing by key). */
  private readonly memo: TranslationMemo | undefined;
  /** Endpoint changes since `previous`, when an endpoint-only update is possible. */
  private readonly changes: EndpointChanges | undefined;
  private readonly sharedBuilds = new Map<string, BuiltConfig | { error: unknown; warnings: readonly string[] }>();
  /** previous EDS map → the replacements' versions → the updated map (shared by proxies that shared the map). */
  private readonly updatedMaps = new WeakMap<ResourceMap, Map<string, ResourceMap>>();
  readonly stats: RoundStats = { translated: 0, shared: 0, endpointUpdates: 0 };

  constructor(
    readonly push: PushContext,
    private readonly previous: PushContext | undefined,
    private readonly pool: ResourcePool,
    private readonly build: BuildResources | undefined,
  ) {
    this.memo = build ? undefined : new TranslationMemo(push);
    const changes = this.memo && previous ? endpointChanges(previous, push) : undefined;
    this.changes = changes && endpointsOnlyInEds(push, changes) ? changes : undefined;
  }

  /** How this round rebuilds the proxies: 'endpoints' when only endpoints changed since the last push. */
  get kind(): 'endpoints' | 'full' {
    return this.changes ? 'endpoints' : 'full';
  }

  /**
   * `entry`'s config for this push: its previous snapshot with new endpoints when that
   * is enough, else a full build. Translation warnings go to `report` as soon as they
   * are known (also when packing then fails). Throws when translation or packing fails.
   */
  configFor(entry: ProxyEntry, report: (warnings: readonly string[]) => void): BuiltConfig {
    const update = this.endpointUpdate(entry);
    if (!update) return this.fullBuild(entry.proxy, entry.snapshot, report);
    report(update.warnings);
    return update;
  }

  private fullBuild(proxy: Proxy, before: Snapshot | undefined, report: (warnings: readonly string[]) => void): BuiltConfig {
    const key = this.memo && sharedTranslationKey(this.memo, proxy);
    const shared = key === undefined ? undefined : this.sharedBuilds.get(key);
    if (shared && 'error' in shared) {
      report(shared.warnings);
      throw shared.error;
    }
    if (shared) {
      this.stats.shared++;
      report(shared.warnings);
      return shared;
    }
    let built: BuiltConfig;
    let warnings: readonly string[] = [];
    this.stats.translated++;
    try {
      const resources = this.build ? this.build(this.push, proxy) : buildProxyResources(this.push, proxy, { memo: this.memo });
      warnings = (resources as { warnings?: string[] }).warnings ?? [];
      report(warnings);
      const maps: CachedResourcesByType = {};
      for (const typeUrl of ADS_PUSH_ORDER) {
        const previous = before?.resources(typeUrl);
        const packed = (resources[KINDS[typeUrl]] ?? []).map((r) => this.pool.resource(typeUrl, r, previous));
        maps[typeUrl] = this.pool.map(typeUrl, packed, previous);
      }
      built = { maps, warnings, endpointPlan: this.memo?.endpointPlan(resources) };
      // A warning about the proxy itself names it: such a result is that proxy's alone.
      if (key !== undefined && !warnings.some((w) => w.startsWith(`proxy ${proxy.id}:`))) this.sharedBuilds.set(key, built);
    } catch (error) {
      if (key !== undefined) this.sharedBuilds.set(key, { error, warnings });
      throw error;
    }
    return built;
  }

  private endpointUpdate(entry: ProxyEntry): BuiltConfig | undefined {
    const { changes, memo } = this;
    const snapshot = entry.snapshot;
    const plan = entry.endpointPlan;
    if (!changes || !memo || !snapshot || !plan || entry.basis === undefined || entry.basis !== this.previous) return undefined;
    if (entry.proxy.ipAddresses.some((ip) => changes.addresses.has(ip))) return undefined;
    const before = snapshot.resources(ENDPOINT_TYPE);
    const replaced: CachedResource[] = [];
    for (const cla of rebuildAssignments(memo, entry.proxy, plan, changes)) {
      const r = this.pool.resource(ENDPOINT_TYPE, cla, before);
      if (before.get(r.name) !== r) replaced.push(r);
    }
    const maps: CachedResourcesByType = {};
    for (const typeUrl of ADS_PUSH_ORDER) maps[typeUrl] = snapshot.resources(typeUrl);
    maps[ENDPOINT_TYPE] = this.updatedMap(before, replaced);
    this.stats.endpointUpdates++;
    return { maps, warnings: entry.warnings ?? [], endpointPlan: plan };
  }

  private updatedMap(before: ResourceMap, replaced: readonly CachedResource[]): ResourceMap {
    if (replaced.length === 0) return before;
    let byChange = this.updatedMaps.get(before);
    if (!byChange) this.updatedMaps.set(before, (byChange = new Map()));
    const key = replaced.map((r) => r.version).join('');
    let map = byChange.get(key);
    if (!map) {
      const copy = new Map(before);
      for (const r of replaced) copy.set(r.name, r);
      byChange.set(key, (map = copy));
    }
    return map;
  }
}
