// The proxy's main process: loads the bootstrap, runs cluster discovery, drives the
// data plane(s), serves the admin API, and shuts down cleanly (drain first).
import fs from 'node:fs';
import os from 'node:os';
import { loadBootstrap, type Bootstrap } from '../../api/bootstrap.js';
import { ConfigError, formatIssue } from '../../api/json/issues.js';
import { durationMs } from '../../api/json/wkt.js';
import { spanOf } from '../../api/json/spans.js';
import { releaseProtoRoot } from '../../api/proto/root.js';
import { releaseYamlParser } from '../../api/yaml/source.js';
import { logger, logRegistry, normalizeLevel } from '../../common/logger.js';
import { AdminServer } from '../admin/admin_server.js';
import type { StatsOf } from '../stats/declare.js';
import { LISTENER_MANAGER_STATS, SERVER_STATS } from './server_stats.js';
import { StatsStore } from '../stats/store.js';
import { CLUSTER_STATS } from '../upstream/cluster_stats.js';
import { ClusterManager } from '../upstream/cluster_manager.js';
import { createDiscovery } from '../upstream/discovery/index.js';
import { SecretManager } from '../tls/secret_manager.js';
import { TransportSocketMatcher } from '../tls/transport_socket_matches.js';
import { createUpstreamTls } from '../tls/upstream.js';
import { ClusterRegistry, type ClusterEntry } from './cluster_registry.js';
import { DataPlane } from './data_plane.js';
import { ListenerRegistry, type ListenerEntry } from './listener_registry.js';
import { DynamicConfig } from './xds/dynamic_config.js';
import type { XdsSubscriber } from '../xds/subscriber.js';
import type { LocalInfo } from './factory_context.js';
import type { ProxyOptions } from './options.js';
import { Runtime } from './runtime.js';
import { InProcessWorkers, ProcessWorkers, type Workers } from './workers.js';
import { SKEIN_VERSION } from '../../common/version.js';

const log = logger('main');
const configLog = logger('config');

export type ServerState = 'LIVE' | 'DRAINING' | 'PRE_INITIALIZING' | 'INITIALIZING';
const STATE_CODE: Record<ServerState, number> = { LIVE: 0, DRAINING: 1, PRE_INITIALIZING: 2, INITIALIZING: 3 };

export type { ClusterEntry, ListenerEntry };

export class Server {
  state: ServerState = 'PRE_INITIALIZING';
  readonly stats = new StatsStore();
  readonly serverStats: StatsOf<typeof SERVER_STATS>;
  readonly listenerManagerStats: StatsOf<typeof LISTENER_MANAGER_STATS>;
  readonly startTime = new Date();
  bootstrap!: Bootstrap;
  runtime!: Runtime;
  localInfo!: LocalInfo;
  workers!: Workers;
  admin?: AdminServer;
  clusterRegistry!: ClusterRegistry;
  listenerRegistry!: ListenerRegistry;
  dynamic!: DynamicConfig;
  bootstrapLoadedAt = new Date();
  /** Builds listeners and TLS contexts without serving them: how updates are checked before use. */
  private checker!: DataPlane;
  private timers: NodeJS.Timeout[] = [];
  private shuttingDown?: Promise<void>;
  healthCheckFailed = false;

  constructor(readonly options: ProxyOptions) {
    this.serverStats = SERVER_STATS.create(this.stats.scope('server.'));
    this.listenerManagerStats = LISTENER_MANAGER_STATS.create(this.stats.scope('listener_manager.'));
  }

  /** Active clusters by name (admin /clusters, config_dump). */
  get clusters(): ReadonlyMap<string, ClusterEntry> {
    return this.clusterRegistry?.active ?? new Map();
  }

  /** Active listeners by name. */
  get listeners(): ReadonlyMap<string, ListenerEntry> {
    return this.listenerRegistry?.active ?? new Map();
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
    // Control planes read who is asking from the node (Istio: metadata, user agent).
    const node = { user_agent_name: 'skein', user_agent_version: SKEIN_VERSION, ...(bootstrap.node ?? {}) };
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
      createDiscovery(c, `static_resources.clusters[${i}]`, CLUSTER_STATS.create(new StatsStore().scope('')), VALIDATE_ONLY_SUBSCRIBER);
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
    // validate() loads the config (it is also --mode validate's entry): loading it
    // again here read and checked the whole bootstrap twice.
    this.validate();
    log.info(`initializing epoch 0 (base id=${this.options.baseId}, hot restart version=disabled)`);
    log.info(`statically linked extensions: see skein docs/compatibility.md`);
    this.serverStats.concurrency.set(this.options.concurrency);
    this.serverStats.version.set(0);
    this.setState('INITIALIZING');
    const wildcardBindAddress = this.options.podIp;
    const plane = this.options.concurrency === 1 ? new DataPlane({ stats: this.stats, runtime: this.runtime, localInfo: this.localInfo, bind: true, staticSecrets: this.bootstrap.static_resources?.secrets, wildcardBindAddress }) : undefined;
    this.workers = plane
      ? new InProcessWorkers(plane, this.stats)
      : await ProcessWorkers.start(this.options.concurrency, {
          localInfo: this.localInfo,
          layeredRuntime: this.bootstrap.layered_runtime,
          staticSecrets: this.bootstrap.static_resources?.secrets,
          logLevels: logRegistry.components(),
          logFormat: logRegistry.format,
          wildcardBindAddress,
        });
    this.createRegistries();
    await this.startAdmin();
    const res = this.bootstrap.static_resources ?? {};
    // Primary clusters first (static, DNS): the xDS cluster an EDS cluster's
    // subscription goes through must be up before that subscription is made.
    const statics = (res.clusters ?? []).map((c, i) => ({ c, path: `static_resources.clusters[${i}]` }));
    for (const secondary of [false, true]) {
      const round = statics.filter(({ c }) => (c.type === 'EDS') === secondary);
      await Promise.all(round.map(({ c, path }) => this.clusterRegistry.add(c, path, { viaApi: false }).warmed));
    }
    await this.dynamic.startCds(this.clusterRegistry);
    for (const [i, l] of (res.listeners ?? []).entries()) await this.listenerRegistry.add(l, `static_resources.listeners[${i}]`, { viaApi: false }).active;
    await this.dynamic.startLds(this.listenerRegistry);
    this.listenerManagerStats.workers_started.set(1);
    this.startTimers();
    this.setState('LIVE');
    this.serverStats.initialization_time_ms.record(performance.now() - started);
    log.info('all dependencies initialized. starting workers');
    log.info('starting main dispatch loop');
    // Every config is built; what only reading it needed can go (docs/architecture.md,
    // "Memory"). YAML was the bootstrap's (xDS config arrives as protobuf). Without an
    // xDS client (one opens with the first subscription: CDS, LDS, EDS, RDS or SDS)
    // no config can arrive later, so the proto types are not needed until admin asks.
    releaseYamlParser();
    if (!this.dynamic.xdsClient) releaseProtoRoot();
  }

  private createRegistries(): void {
    // The checker shares no state with the data planes: it only needs the names of
    // active clusters (routes' validate_clusters) and the static secrets.
    const names = { hasCluster: (name: string) => this.clusters.has(name) };
    this.checker = new DataPlane({
      stats: new StatsStore(),
      runtime: this.runtime,
      localInfo: this.localInfo,
      bind: false,
      staticSecrets: this.bootstrap.static_resources?.secrets,
      clusterNames: names,
    });
    const checkSecrets = new SecretManager();
    if (this.bootstrap.static_resources?.secrets?.length) checkSecrets.addStatic(this.bootstrap.static_resources.secrets);
    this.dynamic = new DynamicConfig({
      bootstrap: this.bootstrap,
      localInfo: this.localInfo,
      stats: this.stats,
      runtime: this.runtime,
      workers: () => this.workers,
      clusterNames: () => names,
      clusters: () => this.clusterRegistry,
    });
    this.clusterRegistry = new ClusterRegistry({
      stats: this.stats,
      workers: () => this.workers,
      // Lazy: the xDS client opens on the first subscription, not for every static cluster.
      xds: () => ({ subscribe: (request) => this.dynamic.subscriber().subscribe(request) }),
      secrets: this.dynamic.secrets,
      check: (config, path) => {
        const deps = { secrets: checkSecrets, stats: new StatsStore().scope('') };
        createUpstreamTls(config, path, deps)?.close();
        TransportSocketMatcher.create(config, path, deps)?.close();
      },
    });
    this.listenerRegistry = new ListenerRegistry({
      stats: this.listenerManagerStats,
      workers: () => this.workers,
      routes: this.dynamic.routes,
      secrets: this.dynamic.secrets,
      check: (config, path) => this.checker.buildListener(config, path).close(),
      drainMs: () => this.options.drainTimeS * 1000,
    });
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
      this.dynamic?.stop();
      this.listenerRegistry?.stop();
      this.clusterRegistry?.stop();
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

/** --mode validate opens no streams: an xDS source is only checked for shape. */
const VALIDATE_ONLY_SUBSCRIBER: XdsSubscriber = {
  subscribe: () => ({ updateResourceInterest: () => undefined, cancel: () => undefined }),
};
