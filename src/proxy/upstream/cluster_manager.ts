// The data plane's clusters by name. Adding a cluster with a known name swaps in the
// new definition for the next requests while in-flight ones finish on the old pools.
import { ConfigError } from '../../api/json/issues.js';
import { logger } from '../../common/logger.js';
import type { StatsStore } from '../stats/store.js';
import { TransportSocketMatcher } from '../tls/transport_socket_matches.js';
import { createUpstreamTls } from '../tls/upstream.js';
import type { SecretManager } from '../tls/secret_manager.js';
import { ClusterInfo, type Cluster } from './cluster_info.js';
import type { HostDescription } from './host.js';
import { loadBalancerFactories } from './lb/index.js';
import { ThreadLocalCluster, defaultPoolFactory, type PoolFactory } from './thread_local_cluster.js';

const log = logger('upstream');

export class ClusterManager {
  private readonly clusters = new Map<string, ThreadLocalCluster>();

  constructor(
    private readonly stats: StatsStore,
    private readonly secrets?: SecretManager,
    private readonly poolFactory: PoolFactory = defaultPoolFactory,
  ) {}

  /**
   * Set on a data plane that only checks config: cluster names then come from the
   * main process's registry instead of clusters built here.
   */
  knownNames?: Pick<ClusterManager, 'hasCluster'>;

  hasCluster(name: string): boolean {
    return this.knownNames ? this.knownNames.hasCluster(name) : this.clusters.has(name);
  }

  get(name: string): ThreadLocalCluster | undefined {
    return this.clusters.get(name);
  }

  names(): string[] {
    return [...this.clusters.keys()];
  }

  all(): ThreadLocalCluster[] {
    return [...this.clusters.values()];
  }

  /** Validates what the data plane needs of a cluster definition (LB config, protocol). */
  static validate(config: Cluster, path: string): void {
    const policy = config.lb_policy ?? 'ROUND_ROBIN';
    const factory = loadBalancerFactories.get(policy);
    if (!factory) throw ConfigError.single(`${path}.lb_policy`, `load balancing policy ${policy} is not supported by skein`);
    try {
      factory.validate?.(config);
    } catch (err) {
      throw ConfigError.single(`${path}.lb_policy`, (err as Error).message);
    }
  }

  /** Adds or replaces a cluster; the old definition's pools drain in the background. */
  addOrUpdate(config: Cluster, path: string, initialHosts: HostDescription[] = []): ThreadLocalCluster {
    ClusterManager.validate(config, path);
    const info = new ClusterInfo(config, this.stats.scope(''), path);
    // UpstreamTlsContext (transport_socket): pools connect with TLS using these options.
    info.upstreamTls = createUpstreamTls(config, path, { secrets: this.secrets, stats: info.scope });
    info.socketMatches = TransportSocketMatcher.create(config, path, { secrets: this.secrets, stats: info.scope });
    const cluster = new ThreadLocalCluster(info, this.poolFactory);
    const previous = this.clusters.get(info.name);
    cluster.updateHosts(previous && initialHosts.length === 0 ? previous.allHosts().map((h) => h.description) : initialHosts);
    this.clusters.set(info.name, cluster);
    if (previous) previous.drain().catch((err) => log.debug(`draining old cluster ${info.name}: ${(err as Error).message}`));
    return cluster;
  }

  remove(name: string): boolean {
    const cluster = this.clusters.get(name);
    if (!cluster) return false;
    this.clusters.delete(name);
    cluster.info.upstreamTls?.close();
    cluster.info.socketMatches?.close();
    cluster.drain().catch((err) => log.debug(`draining removed cluster ${name}: ${(err as Error).message}`));
    return true;
  }

  updateHosts(name: string, hosts: HostDescription[]): void {
    this.clusters.get(name)?.updateHosts(hosts);
  }

  async shutdown(): Promise<void> {
    await Promise.allSettled([...this.clusters.values()].map((c) => c.destroy()));
    this.clusters.clear();
  }
}
