// The discovery server: istiod's glue from config to xDS. The config store watches
// folders of YAML, the mesh supervisor reports its pods (setPods); both feed one
// PushContext, translation turns it into each connected proxy's resources, and the
// snapshot cache serves them over ADS. Pushes are debounced and per-type versioned
// (Snapshot.fromResources keeps a type's version when its resources are unchanged),
// so a pod scaling sends EDS only and a VirtualService edit sends RDS only.
//
// Nothing bad a user or a proxy does stops the server: a broken file is an issue
// (logged with file:line, the rest keeps serving), a push that cannot be built keeps
// the previous one, and a proxy with a malformed node id gets its stream ended.
import { EventEmitter } from 'node:events';
import { SKEIN_VERSION } from '../../common/version.js';
import { logger as namedLogger } from '../../common/logger.js';
import { ADS_PUSH_ORDER, SHORT_NAME } from '../../api/xds/resource_types.js';
import { ConfigStore, formatConfigIssue, type ConfigIssue } from '../config/index.js';
import { buildPushContext, parseProxy } from '../model/index.js';
import { resolveMeshConfig } from '../model/mesh_config.js';
import type { MeshConfig, Proxy, PushContext } from '../model/types.js';
import type { LocalPod } from '../registry/index.js';
import { SnapshotCache } from '../xds/cache/snapshot_cache.js';
import type { Node } from '../xds/cache/types.js';
import { BadRequestError } from '../xds/codec.js';
import type { XdsMetricsSnapshot } from '../xds/metrics.js';
import { XdsServer } from '../xds/server.js';
import { PushDebouncer } from './debouncer.js';
import { startDebugHttpServer, type DebugHttpServer } from '../debug_http_server.js';
import { renderMetrics } from './debug/prometheus.js';
import { debugRoutes, type DebugSource } from './debug/routes.js';
import { buildSyncz, discoveryIdentity, type SyncStatusEntry } from './debug/syncz.js';
import { configzView, proxyConfigDump, registryView } from './debug/views.js';
import { DEFAULTS, type DiscoveryServerOptions, type PushEvent } from './options.js';
import { nodeFingerprint, ProxyTable, type ProxyEntry } from './proxy_table.js';
import { ProxyWatcher } from './proxy_watcher.js';
import { SnapshotPublisher, WarningLog } from './snapshot_publisher.js';

export class DiscoveryServer extends EventEmitter<{ push: [PushEvent] }> {
  /** "istiod-<hash>": this instance's name in proxy-status's ISTIOD column. */
  readonly identity: string;
  readonly store: ConfigStore;
  private readonly log;
  private readonly mesh: MeshConfig;
  private readonly cache = new SnapshotCache();
  private readonly xds: XdsServer;
  private readonly proxies = new ProxyTable();
  private readonly publisher: SnapshotPublisher;
  private readonly debouncer: PushDebouncer;
  private pods: LocalPod[];
  private push: PushContext | undefined;
  private pushNumber = 0;
  private lastPush: (PushEvent & { at: string }) | undefined;
  private readonly triggers: Record<string, number> = {};
  private pushSecondsSum = 0;
  private loggedIssues = new Set<string>();
  private readonly rejectedIds = new Set<string>();
  private debug: DebugHttpServer | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private state: 'new' | 'starting' | 'running' | 'closed' = 'new';

  constructor(private readonly options: DiscoveryServerOptions) {
    super();
    this.log = options.logger ?? namedLogger('discovery');
    this.identity = options.identity ?? discoveryIdentity();
    this.mesh = resolveMeshConfig(options.meshConfig);
    this.pods = [...(options.initialPods ?? [])];
    this.store = new ConfigStore(options.configPaths, { debounceMs: options.debounceMs ?? DEFAULTS.debounceMs });
    const warnings = new WarningLog(this.log);
    this.publisher = new SnapshotPublisher(this.cache, options.buildResources, this.log, warnings);
    this.xds = new XdsServer({ cache: new ProxyWatcher(this.cache, (node) => this.admit(node)) });
    const quiet = options.debounceMs ?? DEFAULTS.debounceMs;
    this.debouncer = new PushDebouncer(quiet, Math.max(quiet * 10, 1000), (reasons) => this.runPush(reasons));
  }

  /** Loads the config, then serves xDS and the debug port; rejects (having cleaned up) if a port is taken. */
  async start(): Promise<{ xdsPort: number; debugPort?: number }> {
    if (this.state !== 'new') throw new Error('the discovery server was already started');
    this.state = 'starting';
    const o = this.options;
    try {
      const xdsHost = o.xdsHost ?? DEFAULTS.xdsHost;
      const xdsPort = await listenOrExplain('xDS', xdsHost, o.xdsPort ?? DEFAULTS.xdsPort, (port) => this.xds.listen(port, xdsHost).then((r) => r.port));
      let debugPort: number | undefined;
      const wantDebug = o.debugPort ?? DEFAULTS.debugPort;
      if (wantDebug >= 0) {
        const debugHost = o.debugHost ?? DEFAULTS.debugHost;
        this.debug = await listenOrExplain('debug', debugHost, wantDebug, (port) => startDebugHttpServer(debugRoutes(this.debugSource()), port, debugHost));
        debugPort = this.debug.port;
      }
      this.store.on('change', (change: { issues: readonly ConfigIssue[] }) => {
        if (this.state !== 'running') return;
        this.logIssues(change.issues);
        this.debouncer.schedule('config');
      });
      await this.store.start();
      if (this.state !== 'starting') throw new Error('the discovery server was closed while starting');
      this.logIssues(this.store.issues());
      this.state = 'running';
      this.runPush(['initial']);
      const grace = o.forgetAfterMs ?? DEFAULTS.forgetAfterMs;
      this.sweepTimer = setInterval(() => this.sweep(grace), Math.max(50, Math.min(grace, 5000)));
      this.sweepTimer.unref();
      return { xdsPort, debugPort };
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  /** The local mesh's pods changed (started, stopped, scaled): push after the debounce. */
  setPods(pods: readonly LocalPod[]): void {
    this.pods = [...pods];
    if (this.state === 'running') this.debouncer.schedule('pods');
  }

  /** The current PushContext (undefined until the first config load finished). */
  pushContext(): PushContext | undefined {
    return this.push;
  }

  /** True once the first config load finished and config is being served. */
  get ready(): boolean {
    return this.state === 'running' && this.push !== undefined;
  }

  /** `/debug/syncz`: one entry per connected proxy stream. */
  proxyStatus(): SyncStatusEntry[] {
    return buildSyncz(this.xds.proxyStatus(), this.proxies, this.identity, (id) => this.currentVersions(id));
  }

  /** The proxies config is generated for (connected, or disconnected within the grace period). */
  connectedProxies(): Proxy[] {
    return [...this.proxies.values()].map((e) => e.proxy);
  }

  /** What a proxy (node id, POD.NS or POD) is being served, as an Envoy ConfigDump; undefined if unknown. */
  configDump(ref: string): Record<string, unknown> | undefined {
    const entry = this.proxies.find(ref);
    return entry && proxyConfigDump(entry);
  }

  metrics(): XdsMetricsSnapshot {
    return this.xds.metrics();
  }

  /** Runs a pending debounced push now (tests, and `mesh` before it reports readiness). */
  flushPush(): void {
    this.debouncer.flush();
  }

  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.debouncer.close();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.store.close();
    this.store.removeAllListeners('change');
    const debug = this.debug;
    this.debug = undefined;
    await Promise.all([this.xds.close(), debug?.close()]);
    this.proxies.clear();
  }

  // ---- pushes -------------------------------------------------------------------

  private runPush(reasons: string[]): void {
    if (this.state !== 'running') return;
    const reason = reasons.join(', ');
    const started = performance.now();
    let push: PushContext;
    const previous = this.push;
    try {
      push = buildPushContext({ objects: this.store.objects(), pods: this.pods, meshConfig: this.mesh, previous });
    } catch (err) {
      this.log.error(`cannot build the mesh model (${reason}): ${(err as Error).stack ?? err}; proxies keep their current config`);
      return;
    }
    this.push = push;
    const number = ++this.pushNumber;
    const kind = this.publisher.beginPush(push, previous);
    const warnings = this.publisher.warnings;
    warnings.begin();
    warnings.add(push.warnings);
    let pushed = 0;
    let changed = 0;
    for (const entry of this.proxies.values()) {
      const outcome = this.publisher.publish(push, entry, number);
      if (outcome !== 'refused') pushed++;
      if (outcome === 'changed') changed++;
    }
    warnings.end();
    const durationMs = Math.round((performance.now() - started) * 100) / 100;
    for (const r of reasons) this.triggers[r] = (this.triggers[r] ?? 0) + 1;
    this.pushSecondsSum += durationMs / 1000;
    const event: PushEvent = { version: String(number), proxies: pushed, changed, durationMs, reason, scope: kind };
    this.lastPush = { ...event, at: new Date().toISOString() };
    this.log.info(`push v${number}: ${pushed} proxies, ${durationMs} ms (${reason})${kind === 'endpoints' ? ', endpoints only' : ''}`);
    try {
      this.emit('push', event);
    } catch (err) {
      // A listener's bug must not take the push loop (or the process) down with it.
      this.log.error(`a 'push' listener failed: ${(err as Error).stack ?? err}`);
    }
  }

  /**
   * The first watch of a stream: parse the node, and when it is new (or reconnected
   * with different metadata, or missed pushes) generate its snapshot now.
   */
  private admit(node: Node): void {
    const id = node.id ?? '';
    const fingerprint = nodeFingerprint(node);
    const known = this.proxies.get(id);
    if (known && known.fingerprint === fingerprint) {
      known.lastSeen = Date.now();
      if (this.push && known.builtAtPush !== this.pushNumber) this.publisher.publish(this.push, known, this.pushNumber);
      return;
    }
    let proxy: Proxy;
    try {
      proxy = parseProxy(node as Parameters<typeof parseProxy>[0]);
    } catch (err) {
      this.rejectNode(id, (err as Error).message);
      throw new BadRequestError((err as Error).message);
    }
    const entry = this.proxies.upsert(proxy, fingerprint);
    if (!known) this.log.info(`proxy ${id} connected: ${proxy.type} ${proxy.podName}.${proxy.namespace}`);
    else this.log.info(`proxy ${id} reconnected with different metadata; regenerating its config`);
    if (this.push) this.publisher.publish(this.push, entry, this.pushNumber);
  }

  /** A malformed node reconnects again and again; say why in full once per id. */
  private rejectNode(id: string, message: string): void {
    if (this.rejectedIds.has(id)) return this.log.debug(`refused xDS stream again: ${message}`);
    if (this.rejectedIds.size >= 1000) this.rejectedIds.clear();
    this.rejectedIds.add(id);
    this.log.warn(`refused xDS stream: ${message}; the proxy gets no config`);
  }

  private sweep(graceMs: number): void {
    const live = new Set(this.xds.proxyStatus().map((e) => e.nodeId));
    for (const id of this.proxies.sweep(live, graceMs)) {
      this.cache.clearSnapshot(id);
      this.publisher.problems.delete(id);
      this.log.debug(`forgot proxy ${id}: no stream for ${graceMs} ms`);
    }
  }

  private currentVersions(id: string): Record<string, string> {
    const snapshot = this.proxies.get(id)?.snapshot;
    return Object.fromEntries(ADS_PUSH_ORDER.map((t) => [SHORT_NAME[t], snapshot?.version(t) ?? '']));
  }

  /** Logs each config issue once, when it appears; says so when all are fixed. */
  private logIssues(issues: readonly ConfigIssue[]): void {
    const now = new Set<string>();
    for (const issue of issues) {
      const text = formatConfigIssue(issue);
      now.add(text);
      if (this.loggedIssues.has(text)) continue;
      if (issue.severity === 'error') this.log.error(`config: ${text}`);
      else this.log.warn(`config: ${text}`);
    }
    if (now.size === 0 && this.loggedIssues.size > 0) this.log.info('config: every reported issue is resolved');
    this.loggedIssues = now;
  }

  // ---- debug pages ----------------------------------------------------------------

  private debugSource(): DebugSource {
    return {
      ready: () => this.ready,
      metricsText: () => this.metricsText(),
      syncz: () => this.proxyStatus(),
      configDump: (ref) => this.configDump(ref),
      proxyNames: () => [...this.proxies.values()].map((e) => `${e.proxy.podName}.${e.proxy.namespace} (${e.proxy.id})`),
      registry: () => registryView(this.push),
      configz: () => configzView(this.store.objects()),
      configIssues: () => ({
        config: this.store.issues().map((i) => ({ ...i, text: formatConfigIssue(i) })),
        translation: this.publisher.warnings.current(),
        proxies: [...this.publisher.problems.values()],
      }),
      pushStatus: () => ({ discovery: this.identity, lastPush: this.lastPush ?? null, proxies: this.proxies.size, pending: this.debouncer.pending }),
      xdsMetrics: () => this.xds.metrics(),
    };
  }

  private metricsText(): string {
    const push = this.push;
    return renderMetrics(this.xds.metrics(), {
      version: SKEIN_VERSION,
      pushTriggers: this.triggers,
      pushCount: this.pushNumber,
      pushSecondsSum: this.pushSecondsSum,
      lastPushVersion: this.pushNumber,
      proxies: this.proxies.size,
      services: push?.services().length ?? 0,
      virtualServices: push?.virtualServices().length ?? 0,
      configIssues: this.store.issues().length,
      configObjects: this.store.objects().length,
    });
  }
}

/** Binds, turning "address in use" into a message that names the port and what it is for. */
async function listenOrExplain<T>(what: string, host: string, port: number, listen: (port: number) => Promise<T>): Promise<T> {
  try {
    return await listen(port);
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const inUse = /EADDRINUSE|address already in use/i.test(message);
    const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
    throw new Error(inUse ? `cannot listen for ${what} on ${where}: the port is already in use` : `cannot listen for ${what} on ${where}: ${message}`, { cause: err });
  }
}

export type { ProxyEntry };
