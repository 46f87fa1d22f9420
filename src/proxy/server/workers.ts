// The main process drives its data planes through this interface. With
// --concurrency 1 there is one data plane in this process; with N > 1 there are N
// worker processes (node:cluster shares the listening sockets between them), each
// told the same things over IPC and asked for stats when admin needs them.
import cluster, { type Worker } from 'node:cluster';
import { ConfigError } from '../../api/json/issues.js';
import { logger, logRegistry, type LogLevel } from '../../common/logger.js';
import { snapshotFromWire, takeSnapshot, type StatsSnapshot } from '../stats/snapshot.js';
import type { StatsStore } from '../stats/store.js';
import type { Cluster } from '../upstream/cluster_info.js';
import type { HostDescription } from '../upstream/host.js';
import { DataPlane, mergeHostReports, type HostReport, type ListenerReport } from './data_plane.js';
import type { ListenerProto } from '../listener/listener_config.js';
import type { RouteConfiguration } from './route_configs.js';
import type { envoy } from '../../api/envoy-types.generated.js';
import type { WorkerCommand, WorkerInit, WorkerReply, WorkerRequest } from './worker_protocol.js';

const log = logger('main');

type Secret = envoy.extensions.transport_sockets.tls.v3.Secret;

export interface Workers {
  readonly count: number;
  addOrUpdateCluster(config: Cluster, path: string, hosts: HostDescription[]): Promise<void>;
  removeCluster(name: string): Promise<void>;
  updateMembership(name: string, hosts: HostDescription[]): void;
  /** `drainMs`: how long connections of a replaced listener may drain before they close. */
  addOrUpdateListener(config: ListenerProto, path: string, drainMs?: number): Promise<void>;
  removeListener(name: string, drainMs: number): Promise<void>;
  /** RDS: installs or (config undefined) removes a route configuration everywhere. */
  setRouteConfig(name: string, config: RouteConfiguration | undefined): Promise<void>;
  /** SDS: installs or (secret undefined) removes a secret delivered over xDS. */
  setSecret(name: string, secret: Secret | undefined, version?: string): Promise<void>;
  drainListeners(options: { inboundOnly?: boolean; graceful?: boolean; drainMs: number }): Promise<void>;
  statsSnapshots(): Promise<StatsSnapshot[]>;
  hostReports(): Promise<HostReport[]>;
  listenerReports(): Promise<ListenerReport[]>;
  openConnections(): Promise<number>;
  setLogLevels(levels: Array<[string, LogLevel]>): void;
  resetCounters(): void;
  shutdown(): Promise<void>;
}

/** --concurrency 1: the data plane runs here and shares the main stats store. */
export class InProcessWorkers implements Workers {
  readonly count = 1;
  constructor(
    readonly plane: DataPlane,
    private readonly stats: StatsStore,
  ) {}
  async addOrUpdateCluster(config: Cluster, path: string, hosts: HostDescription[]): Promise<void> {
    this.plane.addOrUpdateCluster(config, path, hosts);
  }
  async removeCluster(name: string): Promise<void> {
    this.plane.removeCluster(name);
  }
  updateMembership(name: string, hosts: HostDescription[]): void {
    this.plane.updateMembership(name, hosts);
  }
  async addOrUpdateListener(config: ListenerProto, path: string, drainMs = 0): Promise<void> {
    await this.plane.addOrUpdateListener(config, path, drainMs);
  }
  async removeListener(name: string, drainMs: number): Promise<void> {
    this.plane.removeListener(name, drainMs);
  }
  async setRouteConfig(name: string, config: RouteConfiguration | undefined): Promise<void> {
    if (config) this.plane.routeConfigs.set(name, config);
    else this.plane.routeConfigs.remove(name);
  }
  async setSecret(name: string, secret: Secret | undefined, version?: string): Promise<void> {
    if (secret) this.plane.secrets.update(name, secret, 'ads', version);
    else this.plane.secrets.remove(name, 'ads');
  }
  async drainListeners(options: { inboundOnly?: boolean; graceful?: boolean; drainMs: number }): Promise<void> {
    this.plane.drainListeners(options);
  }
  async statsSnapshots(): Promise<StatsSnapshot[]> {
    return []; // shares the main store, which the caller snapshots itself
  }
  async hostReports(): Promise<HostReport[]> {
    return this.plane.hostReports();
  }
  async listenerReports(): Promise<ListenerReport[]> {
    return this.plane.listenerReports();
  }
  async openConnections(): Promise<number> {
    return this.plane.openConnections();
  }
  setLogLevels(): void {
    // same process: the registry is already shared
  }
  resetCounters(): void {
    this.stats.resetCounters();
  }
  async shutdown(): Promise<void> {
    await this.plane.shutdown();
  }
}

/** --concurrency N > 1: N worker processes. */
export class ProcessWorkers implements Workers {
  private readonly workers: Worker[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }>();

  private constructor(readonly count: number) {}

  static async start(count: number, init: WorkerInit): Promise<ProcessWorkers> {
    const pool = new ProcessWorkers(count);
    // SCHED_NONE: each worker accepts on the shared socket itself (the kernel spreads
    // connections), instead of the primary accepting and passing every connection.
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    cluster.setupPrimary({ serialization: 'advanced', silent: false });
    const ready: Array<Promise<void>> = [];
    for (let i = 0; i < count; i++) {
      const worker = cluster.fork({ SKEIN_PROXY_WORKER: '1', SKEIN_WORKER_ID: String(i) });
      ready.push(
        new Promise<void>((resolve, reject) => {
          worker.on('message', (msg: WorkerReply) => (msg.ready ? resolve() : pool.onReply(msg)));
          worker.once('exit', (code) => reject(new Error(`worker ${i} exited during start (code ${code})`)));
        }),
      );
      worker.on('exit', (code) => {
        if (!pool.stopping) log.critical(`worker ${i} exited unexpectedly (code ${code})`);
      });
      pool.workers.push(worker);
    }
    await Promise.all(ready);
    await pool.broadcast({ op: 'init', init });
    return pool;
  }

  private stopping = false;

  private onReply(msg: WorkerReply): void {
    const waiter = this.pending.get(msg.id);
    if (!waiter) return;
    this.pending.delete(msg.id);
    if (msg.error) waiter.reject(msg.error.issues ? new ConfigError(msg.error.issues) : new Error(msg.error.message));
    else waiter.resolve(msg);
  }

  private request(worker: Worker, body: WorkerCommand): Promise<WorkerReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      // A worker that died or hung must not hang admin requests or shutdown.
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`worker ${worker.id} did not answer "${body.op}" within 10s`));
      }, 10_000);
      timer.unref();
      this.pending.set(id, {
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      if (!worker.isConnected()) {
        this.pending.get(id)!.reject(new Error(`worker ${worker.id} is gone`));
        this.pending.delete(id);
        return;
      }
      worker.send({ ...body, id } as WorkerRequest);
    });
  }

  private broadcast(body: WorkerCommand): Promise<WorkerReply[]> {
    return Promise.all(this.workers.map((w) => this.request(w, body)));
  }

  async addOrUpdateCluster(config: Cluster, path: string, hosts: HostDescription[]): Promise<void> {
    await this.broadcast({ op: 'cluster', config, path, hosts });
  }
  async removeCluster(name: string): Promise<void> {
    await this.broadcast({ op: 'removeCluster', name });
  }
  updateMembership(name: string, hosts: HostDescription[]): void {
    void this.broadcast({ op: 'membership', name, hosts }).catch((err) => log.error(`membership update failed: ${(err as Error).message}`));
  }
  async addOrUpdateListener(config: ListenerProto, path: string, drainMs = 0): Promise<void> {
    await this.broadcast({ op: 'listener', config, path, drainMs });
  }
  async removeListener(name: string, drainMs: number): Promise<void> {
    await this.broadcast({ op: 'removeListener', name, drainMs });
  }
  async setRouteConfig(name: string, config: RouteConfiguration | undefined): Promise<void> {
    await this.broadcast({ op: 'routeConfig', name, config });
  }
  async setSecret(name: string, secret: Secret | undefined, version?: string): Promise<void> {
    await this.broadcast({ op: 'secret', name, secret, version });
  }
  async drainListeners(options: { inboundOnly?: boolean; graceful?: boolean; drainMs: number }): Promise<void> {
    await this.broadcast({ op: 'drain', ...options });
  }
  async statsSnapshots(): Promise<StatsSnapshot[]> {
    const replies = await this.broadcast({ op: 'stats' });
    return replies.map((r) => snapshotFromWire(r.snapshot));
  }
  async hostReports(): Promise<HostReport[]> {
    const replies = await this.broadcast({ op: 'hosts' });
    return mergeHostReports(replies.map((r) => r.hosts ?? []));
  }
  async listenerReports(): Promise<ListenerReport[]> {
    const replies = await this.broadcast({ op: 'listeners' });
    const first = replies[0]?.listeners ?? [];
    return first.map((l) => ({ ...l, connections: replies.reduce((n, r) => n + (r.listeners?.find((x) => x.name === l.name)?.connections ?? 0), 0) }));
  }
  async openConnections(): Promise<number> {
    const replies = await this.broadcast({ op: 'listeners' });
    return replies.reduce((n, r) => n + (r.listeners ?? []).reduce((m, l) => m + l.connections, 0), 0);
  }
  setLogLevels(levels: Array<[string, LogLevel]>): void {
    void this.broadcast({ op: 'logLevels', levels }).catch(() => undefined);
  }
  resetCounters(): void {
    void this.broadcast({ op: 'resetCounters' }).catch(() => undefined);
  }
  async shutdown(): Promise<void> {
    this.stopping = true;
    await Promise.race([this.broadcast({ op: 'shutdown' }), new Promise((r) => setTimeout(r, 2000))]).catch(() => undefined);
    for (const w of this.workers) w.kill('SIGKILL');
  }
}

/** The main store plus every worker's, in one view (main first: its gauges win). */
export async function collectSnapshots(main: StatsStore, workers: Workers): Promise<StatsSnapshot[]> {
  return [takeSnapshot(main), ...(await workers.statsSnapshots())];
}

export { logRegistry };
