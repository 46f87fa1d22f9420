// What one worker runs: the listeners it accepts on and the clusters it forwards to.
// The main process tells it what to run (clusters, membership, listeners); with
// --concurrency 1 the data plane lives in the main process itself.
import { ConfigError } from '../../api/json/issues.js';
import type { envoy } from '../../api/envoy-types.generated.js';
import { SecretManager } from '../tls/secret_manager.js';
import { logger } from '../../common/logger.js';
import '../extensions/builtin.js';
import { ActiveListener } from '../listener/listener.js';
import { ListenerGeneration, type ListenerProto } from '../listener/listener_config.js';
import type { StatsStore } from '../stats/store.js';
import type { Cluster } from '../upstream/cluster_info.js';
import { ClusterManager } from '../upstream/cluster_manager.js';
import type { HostDescription } from '../upstream/host.js';
import type { ListenerFactoryContext, LocalInfo, ServerFactoryContext } from './factory_context.js';
import { DynamicRouteConfigs } from './route_configs.js';
import type { Runtime } from './runtime.js';

const log = logger('config');

export interface HostReport {
  cluster: string;
  address: string;
  hostname: string;
  weight: number;
  priority: number;
  zone?: string;
  region?: string;
  subZone?: string;
  healthFlags: string[];
  counters: Record<string, number>;
  activeRequests: number;
  activeConnections: number;
}

export interface ListenerReport {
  name: string;
  address: string;
  port: number;
  connections: number;
}

export interface DataPlaneOptions {
  stats: StatsStore;
  runtime: Runtime;
  localInfo: LocalInfo;
  /** Bootstrap static_resources.secrets (TLS certificates referenced by name). */
  staticSecrets?: envoy.extensions.transport_sockets.tls.v3.Secret[];
  /** false: build and validate everything but never bind sockets (--mode validate, shadow copy). */
  bind: boolean;
  /** A config checker's source of cluster names (it builds no clusters itself). */
  clusterNames?: Pick<ClusterManager, 'hasCluster'>;
  /** --pod-ip: listeners on 0.0.0.0 / :: bind this address instead. */
  wildcardBindAddress?: string;
}

export class DataPlane {
  readonly clusterManager: ClusterManager;
  readonly listeners = new Map<string, ActiveListener>();
  private draining = false;
  private readonly context: ServerFactoryContext;

  readonly secrets = new SecretManager();
  readonly routeConfigs: DynamicRouteConfigs;

  constructor(private readonly options: DataPlaneOptions) {
    if (options.staticSecrets?.length) this.secrets.addStatic(options.staticSecrets, 'static_resources.secrets');
    this.clusterManager = new ClusterManager(options.stats, this.secrets);
    this.clusterManager.knownNames = options.clusterNames;
    this.routeConfigs = new DynamicRouteConfigs(options.runtime, this.clusterManager);
    const context: ServerFactoryContext & Pick<ListenerFactoryContext, 'routeConfigProviders'> = {
      runtime: options.runtime,
      stats: options.stats,
      clusterManager: this.clusterManager,
      localInfo: options.localInfo,
      secretManager: this.secrets,
      routeConfigProviders: (rds) => this.routeConfigs.provider(rds),
    };
    this.context = context;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  addOrUpdateCluster(config: Cluster, path: string, hosts: HostDescription[] = []): void {
    this.clusterManager.addOrUpdate(config, path, hosts);
  }

  removeCluster(name: string): void {
    this.clusterManager.remove(name);
  }

  updateMembership(name: string, hosts: HostDescription[]): void {
    this.clusterManager.updateHosts(name, hosts);
  }

  /** Builds (validates) a listener without binding it. Throws ConfigError. */
  buildListener(config: ListenerProto, path: string): ListenerGeneration {
    return new ListenerGeneration(config, path, this.context, () => this.draining);
  }

  /**
   * Adds a listener or replaces one with the same name. Same address: the socket is
   * kept and new connections get the new config; different address: bind anew and
   * drain the old one.
   */
  async addOrUpdateListener(config: ListenerProto, path: string, drainMs = 0): Promise<ActiveListener> {
    const generation = this.buildListener(config, path);
    const name = config.name ?? '';
    const existing = this.listeners.get(name);
    const addressKey = JSON.stringify(config.address ?? {});
    for (const [otherName, other] of this.listeners) {
      if (otherName !== name && JSON.stringify(other.config.address ?? {}) === addressKey && config.address?.socket_address?.port_value) {
        const s = config.address.socket_address;
        throw ConfigError.single(`${path}.address`, `error adding listener '${name}': has duplicate address '${s.address}:${s.port_value}' as existing listener '${otherName}'`);
      }
    }
    if (existing && JSON.stringify(existing.config.address ?? {}) === addressKey) {
      existing.update(generation, drainMs);
      log.info(`listener '${name}' updated in place`);
      return existing;
    }
    const listener = new ActiveListener(generation, this.options.stats, this.options.bind && config.bind_to_port?.value !== false, this.options.wildcardBindAddress);
    await listener.bind();
    this.listeners.set(name, listener);
    if (existing) existing.retire(drainMs);
    return listener;
  }

  removeListener(name: string, drainMs: number): boolean {
    const listener = this.listeners.get(name);
    if (!listener) return false;
    this.listeners.delete(name);
    listener.retire(drainMs);
    return true;
  }

  /**
   * admin /drain_listeners and shutdown: stop accepting and ask connections to close
   * after their current response. `graceful` keeps the sockets open for drainMs.
   */
  drainListeners(options: { inboundOnly?: boolean; graceful?: boolean; drainMs: number }): void {
    this.draining = true;
    for (const listener of this.listeners.values()) {
      if (options.inboundOnly && listener.config.traffic_direction !== 'INBOUND') continue;
      listener.generation.startDraining();
      if (!options.graceful) listener.stopListening();
      else setTimeout(() => listener.stopListening(), options.drainMs).unref();
    }
  }

  openConnections(): number {
    let n = 0;
    for (const l of this.listeners.values()) n += l.connectionCount();
    return n;
  }

  listenerReports(): ListenerReport[] {
    return [...this.listeners.values()].map((l) => ({
      name: l.name,
      address: l.boundAddress?.address ?? l.config.address?.socket_address?.address ?? '',
      port: l.boundAddress?.port ?? l.config.address?.socket_address?.port_value ?? 0,
      connections: l.connectionCount(),
    }));
  }

  hostReports(): HostReport[] {
    const out: HostReport[] = [];
    for (const cluster of this.clusterManager.all()) {
      for (const host of cluster.allHosts()) {
        const loc = host.description.locality;
        out.push({
          cluster: cluster.name,
          address: host.address,
          hostname: host.hostname,
          weight: host.weight,
          priority: host.priority,
          region: loc?.region,
          zone: loc?.zone,
          subZone: loc?.sub_zone,
          healthFlags: [...host.healthFlags],
          counters: { ...host.counters },
          activeRequests: host.activeRequests,
          activeConnections: host.activeConnections,
        });
      }
    }
    return out;
  }

  async shutdown(): Promise<void> {
    this.secrets.close();
    for (const l of this.listeners.values()) {
      l.close();
      l.closeConnections();
    }
    this.listeners.clear();
    await this.clusterManager.shutdown();
  }
}

/** Merges host reports of several workers (counters add up). */
export function mergeHostReports(lists: HostReport[][]): HostReport[] {
  const byKey = new Map<string, HostReport>();
  for (const list of lists) {
    for (const r of list) {
      const key = `${r.cluster}\u0000${r.address}`;
      const prev = byKey.get(key);
      if (!prev) {
        byKey.set(key, { ...r, counters: { ...r.counters } });
        continue;
      }
      for (const [k, v] of Object.entries(r.counters)) prev.counters[k] = (prev.counters[k] ?? 0) + v;
      prev.activeRequests += r.activeRequests;
      prev.activeConnections += r.activeConnections;
    }
  }
  return [...byKey.values()];
}

