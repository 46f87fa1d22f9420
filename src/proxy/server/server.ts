// The proxy's main process: loads the bootstrap, runs cluster discovery, drives the
// data plane(s), serves the admin API, and shuts down cleanly (drain first).
import fs from 'node:fs';
import os from 'node:os';
import { loadBootstrap, type Bootstrap } from '../../api/bootstrap.js';
import { ConfigError, formatIssue } from '../../api/json/issues.js';
import { durationMs } from '../../api/json/wkt.js';
import { spanOf } from '../../api/json/spans.js';
import { logger, logRegistry, normalizeLevel } from '../../common/logger.js';
import { AdminServer } from '../admin/admin_server.js';
import type { ListenerProto } from '../listener/listener_config.js';
import type { StatsOf } from '../stats/declare.js';
import { LISTENER_MANAGER_STATS, SERVER_STATS } from './server_stats.js';
import { StatsStore } from '../stats/store.js';
import type { Cluster } from '../upstream/cluster_info.js';
import { CLUSTER_MANAGER_STATS, CLUSTER_STATS } from '../upstream/cluster_stats.js';
import { ClusterManager } from '../upstream/cluster_manager.js';
import { createDiscovery } from '../upstream/discovery/index.js';
import type { ClusterDiscovery } from '../upstream/discovery/types.js';
import type { HostDescription } from '../upstream/host.js';
import { DataPlane } from './data_plane.js';
import type { LocalInfo } from './factory_context.js';
import type { ProxyOptions } from './options.js';
import { Runtime } from './runtime.js';
import { InProcessWorkers, ProcessWorkers, type Workers } from './workers.js';
import { SKEIN_VERSION } from '../../common/version.js';

const log = logger('main');
const configLog = logger('config');

export type ServerState = 'LIVE' | 'DRAINING' | 'PRE_INITIALIZING' | 'INITIALIZING';
const STATE_CODE: Record<ServerState, number> = { LIVE: 0, DRAINING: 1, PRE_INITIALIZING: 2, INITIALIZING: 3 };

export interface ClusterEntry {
  config: Cluster;
  path: string;
  addedViaApi: boolean;
  lastUpdated: Date;
  discovery: ClusterDiscovery;
  hosts: HostDescription[];
}

export interface ListenerEntry {
  config: ListenerProto;
  path: string;
  lastUpdated: Date;
}

export class Server {
  state: ServerState = 'PRE_INITIALIZING';
  readonly stats = new StatsStore();
  readonly serverStats: StatsOf<typeof SERVER_STATS>;
  readonly listenerManagerStats: StatsOf<typeof LISTENER_MANAGER_STATS>;
  readonly clusterManagerStats: StatsOf<typeof CLUSTER_MANAGER_STATS>;
  readonly startTime = new Date();
  bootstrap!: Bootstrap;
  runtime!: Runtime;
  localInfo!: LocalInfo;
  workers!: Workers;
  admin?: AdminServer;
  readonly clusters = new Map<string, ClusterEntry>();
  readonly listeners = new Map<string, ListenerEntry>();
  bootstrapLoadedAt = new Date();
  private timers: NodeJS.Timeout[] = [];
  private shuttingDown?: Promise<void>;
  healthCheckFailed = false;

  constructor(readonly options: ProxyOptions) {
    this.serverStats = SERVER_STATS.create(this.stats.scope('server.'));
    this.listenerManagerStats = LISTENER_MANAGER_STATS.create(this.stats.scope('listener_manager.'));
    this.clusterManagerStats = CLUSTER_MANAGER_STATS.create(this.stats.scope('cluster_manager.'));
  }

  setState(state: ServerState): void {
    this.state = state;
    this.serverStats.state.set(STATE_CODE[state]);
    this.serverStats.live.set(state === 'LIVE' ? 1 : 0);
  }

  /** Loads and validates config. Throws ConfigError (with every issue) when it is bad. */
  loadConfig(): void {
    const { bootstrap, warnings } = loadBootstrap({ configPath: this.options.configPath, configYaml: this.options.configYaml });
    for (const w of warnings) configLog.warn(formatIssue(w));
    this.bootstrap = bootstrap;
    const node = { ...(bootstrap.node ?? {}) };
    if (this.options.serviceNode) node.id = this.options.serviceNode;
    if (this.options.serviceCluster) node.cluster = this.options.serviceCluster;
    if (this.options.serviceZone) node.locality = { ...(node.locality ?? {}), zone: this.options.serviceZone };
    this.localInfo = { nodeId: node.id ?? '', clusterName: node.cluster ?? '', node };
    this.runtime = Runtime.fromBootstrap(bootstrap.layered_runtime);
  }

  /** --mode validate: build everything (no sockets, no DNS) and report. */
  validate(): void {
    this.loadConfig();
    const plane = new DataPlane({ stats: new StatsStore(), runtime: this.runtime, localInfo: this.localInfo, bind: false, staticSecrets: this.bootstrap.static_resources?.secrets });
    const issues: ConfigError[] = [];
    const tryIt = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        if (err instanceof ConfigError) issues.push(err);
        else throw err;
      }
    };
    const res = this.bootstrap.static_resources ?? {};
    const seenClusters = new Set<string>();
    (res.clusters ?? []).forEach((c, i) => tryIt(() => {
      if (seenClusters.has(c.name ?? '')) throw ConfigError.single(`static_resources.clusters[${i}].name`, `cluster manager: duplicate cluster '${c.name}' found`, spanOf(c));
      seenClusters.add(c.name ?? '');
      createDiscovery(c, `static_resources.clusters[${i}]`, CLUSTER_STATS.create(new StatsStore().scope('')));
      plane.addOrUpdateCluster(c, `static_resources.clusters[${i}]`);
    }));
    const seenListeners = new Set<string>();
    (res.listeners ?? []).forEach((l, i) => tryIt(() => {
      if (seenListeners.has(l.name ?? '')) throw ConfigError.single(`static_resources.listeners[${i}].name`, `error adding listener '${l.name}': duplicate listener name`, spanOf(l));
      seenListeners.add(l.name ?? '');
      plane.buildListener(l, `static_resources.listeners[${i}]`);
    }));
    if (issues.length) throw new ConfigError(issues.flatMap((e) => e.issues));
  }

  async start(): Promise<void> {
    const started = performance.now();
    this.setState('PRE_INITIALIZING');
    this.loadConfig();
    this.validate();
    log.info(`initializing epoch 0 (base id=${this.options.baseId}, hot restart version=disabled)`);
    log.info(`statically linked extensions: see skein docs/compatibility.md`);
    this.serverStats.concurrency.set(this.options.concurrency);
    this.serverStats.version.set(0);
    this.setState('INITIALIZING');
    const plane = this.options.concurrency === 1 ? new DataPlane({ stats: this.stats, runtime: this.runtime, localInfo: this.localInfo, bind: true, staticSecrets: this.bootstrap.static_resources?.secrets }) : undefined;
    this.workers = plane
      ? new InProcessWorkers(plane, this.stats)
      : await ProcessWorkers.start(this.options.concurrency, {
          localInfo: this.localInfo,
          layeredRuntime: this.bootstrap.layered_runtime,
          staticSecrets: this.bootstrap.static_resources?.secrets,
          logLevels: logRegistry.components(),
          logFormat: logRegistry.format,
        });
    await this.startAdmin();
    const res = this.bootstrap.static_resources ?? {};
    log.info(`cm init: initializing cds`);
    await Promise.all((res.clusters ?? []).map((c, i) => this.addCluster(c, `static_resources.clusters[${i}]`, false)));
    log.info('cm init: all clusters initialized');
    for (const [i, l] of (res.listeners ?? []).entries()) await this.addListener(l, `static_resources.listeners[${i}]`);
    this.listenerManagerStats.workers_started.set(1);
    this.startTimers();
    this.setState('LIVE');
    this.serverStats.initialization_time_ms.record(performance.now() - started);
    log.info('all dependencies initialized. starting workers');
    log.info('starting main dispatch loop');
  }

  private async startAdmin(): Promise<void> {
    const adminConfig = this.bootstrap.admin;
    const sock = adminConfig?.address?.socket_address;
    if (!sock) return;
    this.admin = new AdminServer(this, adminConfig!);
    const bound = await this.admin.listen(sock.address ?? '127.0.0.1', sock.port_value ?? 0);
    log.info(`admin address: ${bound.address}:${bound.port}`);
    if (this.options.adminAddressPath) fs.writeFileSync(this.options.adminAddressPath, `${bound.address}:${bound.port}`);
  }

  async addCluster(config: Cluster, path: string, viaApi: boolean): Promise<void> {
    const name = config.name ?? '';
    const clusterStats = CLUSTER_STATS.create(this.stats.scope(`cluster.${config.alt_stat_name || name}.`));
    const discovery = createDiscovery(config, path, clusterStats);
    const previous = this.clusters.get(name);
    const entry: ClusterEntry = { config, path, addedViaApi: viaApi, lastUpdated: new Date(), discovery, hosts: [] };
    this.clusters.set(name, entry);
    previous?.discovery.stop();
    let first = true;
    const firstHosts = new Promise<void>((resolve) => {
      discovery.start((hosts) => {
        entry.hosts = hosts;
        this.onMembership(name, hosts, clusterStats);
        if (first) {
          first = false;
          resolve();
        } else this.workers.updateMembership(name, hosts);
      });
    });
    await Promise.race([firstHosts, discovery.initialized]);
    await this.workers.addOrUpdateCluster(config, path, entry.hosts);
    if (previous) this.clusterManagerStats.cluster_modified.inc();
    else this.clusterManagerStats.cluster_added.inc();
    this.clusterManagerStats.active_clusters.set(this.clusters.size);
  }

  private onMembership(_name: string, hosts: HostDescription[], stats: ReturnType<typeof CLUSTER_STATS.create>): void {
    const healthy = hosts.filter((h) => !h.edsHealth || h.edsHealth === 'HEALTHY' || h.edsHealth === 'UNKNOWN').length;
    const degraded = hosts.filter((h) => h.edsHealth === 'DEGRADED').length;
    if (stats.membership_total.value !== hosts.length || stats.membership_healthy.value !== healthy) stats.membership_change.inc();
    stats.membership_total.set(hosts.length);
    stats.membership_healthy.set(healthy);
    stats.membership_degraded.set(degraded);
    stats.max_host_weight.set(hosts.reduce((m, h) => Math.max(m, h.weight), 0));
  }

  async addListener(config: ListenerProto, path: string): Promise<void> {
    const name = config.name ?? '';
    try {
      await this.workers.addOrUpdateListener(config, path);
    } catch (err) {
      this.listenerManagerStats.listener_create_failure.inc();
      throw err;
    }
    const existed = this.listeners.has(name);
    this.listeners.set(name, { config, path, lastUpdated: new Date() });
    if (existed) this.listenerManagerStats.listener_modified.inc();
    else this.listenerManagerStats.listener_added.inc();
    this.listenerManagerStats.listener_create_success.inc();
    this.listenerManagerStats.total_listeners_active.set(this.listeners.size);
  }

  private startTimers(): void {
    const flushMs = durationMs(this.bootstrap.stats_flush_interval, 5000);
    const flush = setInterval(() => this.stats.flushHistogramIntervals(), flushMs);
    const gauges = setInterval(() => this.updateServerGauges(), 1000);
    flush.unref();
    gauges.unref();
    this.timers.push(flush, gauges);
    this.updateServerGauges();
  }

  updateServerGauges(): void {
    const mem = process.memoryUsage();
    this.serverStats.uptime.set(Math.floor((Date.now() - this.startTime.getTime()) / 1000));
    this.serverStats.memory_allocated.set(mem.heapUsed);
    this.serverStats.memory_heap_size.set(mem.heapTotal);
    this.serverStats.memory_physical_size.set(mem.rss);
  }

  setLogLevel(component: string | undefined, level: string): void {
    const l = normalizeLevel(level);
    if (component) logRegistry.setLevel(component, l);
    else logRegistry.setAll(l);
    this.workers?.setLogLevels(logRegistry.components());
  }

  /** Graceful stop: stop accepting, let responses finish (up to the drain time), exit. */
  shutdown(reason: string): Promise<void> {
    if (this.shuttingDown) return this.shuttingDown;
    this.shuttingDown = (async () => {
      log.info(`shutting down (${reason})`);
      this.setState('DRAINING');
      const drainMs = this.options.drainStrategy === 'immediate' ? 0 : this.options.drainTimeS * 1000;
      await this.workers?.drainListeners({ drainMs, graceful: false }).catch(() => undefined);
      const deadline = Date.now() + Math.min(drainMs, 30_000);
      while (Date.now() < deadline && ((await this.workers?.openConnections().catch(() => 0)) ?? 0) > 0) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const t of this.timers) clearInterval(t);
      for (const c of this.clusters.values()) c.discovery.stop();
      await this.workers?.shutdown();
      await this.admin?.close();
      log.info('exiting');
    })();
    return this.shuttingDown;
  }

  serverInfo(): Record<string, unknown> {
    return {
      version: `skein/${SKEIN_VERSION}/Envoy-compatible/RELEASE/Node.js-${process.version}`,
      state: this.state,
      hot_restart_version: 'disabled',
      command_line_options: {
        base_id: String(this.options.baseId),
        concurrency: this.options.concurrency,
        config_path: this.options.configPath ?? '',
        config_yaml: this.options.configYaml ?? '',
        log_level: this.options.logLevel,
        component_log_level: this.options.componentLogLevel ?? '',
        service_cluster: this.localInfo?.clusterName ?? '',
        service_node: this.localInfo?.nodeId ?? '',
        service_zone: this.options.serviceZone ?? '',
        mode: this.options.mode === 'validate' ? 'Validate' : this.options.mode === 'init_only' ? 'InitOnly' : 'Serve',
        drain_time: `${this.options.drainTimeS}s`,
        drain_strategy: this.options.drainStrategy === 'immediate' ? 'Immediate' : 'Gradual',
        parent_shutdown_time: `${this.options.parentShutdownTimeS}s`,
        disable_hot_restart: true,
      },
      node: this.localInfo?.node ?? {},
      uptime_current_epoch: `${Math.floor((Date.now() - this.startTime.getTime()) / 1000)}s`,
      uptime_all_epochs: `${Math.floor((Date.now() - this.startTime.getTime()) / 1000)}s`,
      hostname: os.hostname(),
    };
  }
}

export { ClusterManager };
