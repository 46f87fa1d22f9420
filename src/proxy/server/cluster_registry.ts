// The main process's clusters: static ones from the bootstrap and dynamic ones from
// CDS. A new or changed cluster warms first — its discovery produces the first host
// list (EDS: the first assignment or initial_fetch_timeout) and its SDS secrets
// arrive — and only then replaces the active one in the data planes, so requests
// never see a cluster without endpoints that is about to get some.
import type { envoy } from '../../api/envoy-types.generated.js';
import { secretRefsOfCluster } from '../../api/xds/references.js';
import { logger } from '../../common/logger.js';
import type { StatsOf } from '../stats/declare.js';
import type { StatsStore } from '../stats/store.js';
import type { Cluster } from '../upstream/cluster_info.js';
import { ClusterManager } from '../upstream/cluster_manager.js';
import { CLUSTER_MANAGER_STATS, CLUSTER_STATS, type ClusterStats } from '../upstream/cluster_stats.js';
import { createDiscovery } from '../upstream/discovery/index.js';
import type { ClusterDiscovery } from '../upstream/discovery/types.js';
import type { HostDescription } from '../upstream/host.js';
import type { XdsSubscriber } from '../xds/subscriber.js';
import type { Workers } from './workers.js';
import type { NamedResources } from './xds/named_resources.js';

const log = logger('upstream');

type Secret = envoy.extensions.transport_sockets.tls.v3.Secret;

export interface ClusterEntry {
  config: Cluster;
  path: string;
  addedViaApi: boolean;
  /** CDS version_info the cluster arrived with. */
  versionInfo?: string;
  lastUpdated: Date;
  discovery: ClusterDiscovery;
  hosts: HostDescription[];
  /** The reference this cluster holds on its SDS secrets (released when it goes). */
  secretOwner?: string;
}

export interface ClusterRegistryDeps {
  stats: StatsStore;
  workers(): Workers;
  xds(): XdsSubscriber | undefined;
  secrets: NamedResources<Secret>;
  /** Deeper checks that need the data plane's builders (TLS contexts); throws ConfigError. */
  check(config: Cluster, path: string): void;
}

export class ClusterRegistry {
  readonly active = new Map<string, ClusterEntry>();
  readonly warming = new Map<string, ClusterEntry>();
  readonly managerStats: StatsOf<typeof CLUSTER_MANAGER_STATS>;
  private generation = 0;
  private readonly abandoners = new Map<ClusterEntry, () => void>();

  constructor(private readonly deps: ClusterRegistryDeps) {
    this.managerStats = CLUSTER_MANAGER_STATS.create(deps.stats.scope('cluster_manager.'));
  }

  /** Config of the active or warming cluster of that name (CDS skips unchanged ones). */
  current(name: string): Cluster | undefined {
    return (this.warming.get(name) ?? this.active.get(name))?.config;
  }

  /**
   * Accepts a cluster: checks it now (throws ConfigError) and starts warming it.
   * `warmed` resolves when it is active in every data plane (or was superseded).
   */
  add(config: Cluster, path: string, options: { viaApi: boolean; versionInfo?: string }): { warmed: Promise<void> } {
    const name = config.name ?? '';
    ClusterManager.validate(config, path);
    this.deps.check(config, path);
    const stats = CLUSTER_STATS.create(this.deps.stats.scope(`cluster.${config.alt_stat_name || name}.`));
    const discovery = createDiscovery(config, path, stats, this.deps.xds());
    const secretRefs = secretRefsOfCluster(config, path);
    const secretOwner = `cluster/${name}/${++this.generation}`;
    const entry: ClusterEntry = { config, path, addedViaApi: options.viaApi, versionInfo: options.versionInfo, lastUpdated: new Date(), discovery, hosts: [], secretOwner };
    // Subscriptions open here so that an unusable config source is an error of this update.
    let gotHosts!: () => void;
    const firstHosts = new Promise<void>((resolve) => (gotHosts = resolve));
    let secretsReady: Promise<void>;
    try {
      discovery.start((hosts) => {
        entry.hosts = hosts;
        recordMembership(hosts, stats);
        if (this.active.get(name) === entry) this.deps.workers().updateMembership(name, hosts);
        gotHosts();
      });
      secretsReady = this.deps.secrets.acquire(secretOwner, secretRefs);
    } catch (err) {
      discovery.stop();
      this.deps.secrets.release(secretOwner);
      throw err;
    }
    this.abandonWarming(name);
    this.warming.set(name, entry);
    this.updateGauges();
    const discovered = Promise.race([firstHosts, discovery.initialized]);
    return { warmed: this.warm(entry, Promise.all([discovered, secretsReady]).then(() => undefined)) };
  }

  private async warm(entry: ClusterEntry, ready: Promise<void>): Promise<void> {
    const name = entry.config.name ?? '';
    const abandoned = new Promise<void>((resolve) => this.abandoners.set(entry, resolve));
    await Promise.race([ready, abandoned]);
    this.abandoners.delete(entry);
    if (this.warming.get(name) !== entry) {
      // A newer version of this cluster arrived while this one warmed.
      entry.discovery.stop();
      this.deps.secrets.release(entry.secretOwner!);
      return;
    }
    this.warming.delete(name);
    const previous = this.active.get(name);
    this.active.set(name, entry);
    await this.deps.workers().addOrUpdateCluster(entry.config, entry.path, entry.hosts);
    previous?.discovery.stop();
    if (previous?.secretOwner) this.deps.secrets.release(previous.secretOwner);
    if (previous) this.managerStats.cluster_modified.inc();
    else this.managerStats.cluster_added.inc();
    this.updateGauges();
    log.debug(`cluster '${name}' ${previous ? 'updated' : 'added'} (${entry.hosts.length} hosts)`);
  }

  /** A warming version that will never be used: stop it and let its warm() return. */
  private abandonWarming(name: string): ClusterEntry | undefined {
    const warming = this.warming.get(name);
    if (!warming) return undefined;
    this.warming.delete(name);
    warming.discovery.stop();
    this.abandoners.get(warming)?.();
    return warming;
  }

  /** Removes a dynamic cluster (CDS); in-flight requests finish on its pools. */
  async remove(name: string): Promise<boolean> {
    const warming = this.abandonWarming(name);
    const entry = this.active.get(name);
    if (!entry || !entry.addedViaApi) {
      this.updateGauges();
      return warming !== undefined;
    }
    this.active.delete(name);
    entry.discovery.stop();
    if (entry.secretOwner) this.deps.secrets.release(entry.secretOwner);
    await this.deps.workers().removeCluster(name);
    this.managerStats.cluster_removed.inc();
    this.updateGauges();
    return true;
  }

  stop(): void {
    for (const name of [...this.warming.keys()]) this.abandonWarming(name);
    for (const e of this.active.values()) e.discovery.stop();
  }

  private updateGauges(): void {
    this.managerStats.active_clusters.set(this.active.size);
    this.managerStats.warming_clusters.set(this.warming.size);
  }
}

function recordMembership(hosts: HostDescription[], stats: ClusterStats): void {
  const healthy = hosts.filter((h) => !h.edsHealth || h.edsHealth === 'HEALTHY' || h.edsHealth === 'UNKNOWN').length;
  const degraded = hosts.filter((h) => h.edsHealth === 'DEGRADED').length;
  if (stats.membership_total.value !== hosts.length || stats.membership_healthy.value !== healthy) stats.membership_change.inc();
  stats.membership_total.set(hosts.length);
  stats.membership_healthy.set(healthy);
  stats.membership_degraded.set(degraded);
  stats.max_host_weight.set(hosts.reduce((m, h) => Math.max(m, h.weight), 0));
}
