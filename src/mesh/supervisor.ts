// The kubelet and ReplicaSet controller of the local mesh: turns each Deployment into
// its replicas (pod names, pod indexes, processes), tells the discovery server which
// pods exist and which are healthy (setPods → endpoints), scales, and stops everything.
// Scaling down drains like Kubernetes with Istio: the pod's endpoint is withdrawn first,
// the pod is stopped once the proxies have ACKed that (or after a short deadline).
import os from 'node:os';
import type { ConfigObject } from '../api/istio/types.js';
import { MAX_LOCAL_PODS, podIp } from '../discovery/model/local_addresses.js';
import type { MeshConfig, PushContext } from '../discovery/model/types.js';
import type { LocalPod } from '../discovery/registry/types.js';
import { endpointPicker, TcpForwarder } from './forwarder.js';
import { AppCommandError } from './images.js';
import { planPodLaunch, type LaunchContext } from './launch.js';
import { PodRunner, type PodStatus } from './pod.js';
import { newPodName } from './pod_names.js';
import type { WorkloadPlan } from './workloads.js';

/** The part of the DiscoveryServer the supervisor drives. */
export interface ControlPlane {
  setPods(pods: readonly LocalPod[]): void;
  pushContext(): PushContext | undefined;
  flushPush(): void;
  /** Per-stream sync state; a type is "STALE" while its latest push is not ACKed. */
  proxyStatus(): { types: Record<string, { state: string }> }[];
}

export interface SupervisorOptions {
  server: ControlPlane;
  xdsPort: number;
  runDir: string;
  mesh: Pick<MeshConfig, 'clusterId' | 'trustDomain'> & { domainSuffix?: string };
  secrets: ReadonlyMap<string, ConfigObject<'Secret'>>;
  line(message: string): void;
  /** Grace period between SIGTERM and SIGKILL (default 5 s). */
  stopGraceMs?: number;
  /** Longest wait for proxies to ACK a withdrawn endpoint before its pod stops (default 5 s). */
  drainDeadlineMs?: number;
  /** The first pod index handed out (default 1: pod IP 127.1.0.1). */
  firstPodIndex?: number;
}

export class NotFoundError extends Error {}

interface Workload {
  plan: WorkloadPlan;
  pods: PodRunner[];
}

export class MeshSupervisor {
  private readonly workloads = new Map<string, Workload>();
  /** Pods being stopped: no longer published, still shown (Terminating). */
  private readonly terminating = new Set<PodRunner>();
  private readonly forwarders = new Map<PodRunner, TcpForwarder[]>();
  private readonly usedIndexes = new Set<number>();
  private nextIndex: number;
  private stopped = false;

  constructor(private readonly o: SupervisorOptions) {
    this.nextIndex = o.firstPodIndex ?? 1;
  }

  /** Creates every Deployment's replicas, publishes them, then starts their processes. */
  async start(plans: readonly WorkloadPlan[]): Promise<void> {
    const created: PodRunner[] = [];
    for (const plan of plans) {
      const w: Workload = { plan, pods: [] };
      this.workloads.set(plan.key, w);
      for (let i = 0; i < plan.replicas; i++) created.push(this.createPod(w));
    }
    this.publish();
    this.o.server.flushPush();
    await Promise.all(created.map((p) => this.launch(p)));
  }

  workload(namespace: string, name: string): WorkloadPlan | undefined {
    return this.workloads.get(`${namespace}/${name}`)?.plan;
  }

  allPods(): PodRunner[] {
    return [...[...this.workloads.values()].flatMap((w) => w.pods), ...this.terminating];
  }

  status(): PodStatus[] {
    return this.allPods()
      .map((p) => p.status())
      .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  }

  /** True when every pod that should run is healthy. */
  allReady(): boolean {
    return [...this.workloads.values()].every((w) => w.pods.every((p) => p.healthy));
  }

  async scale(namespace: string, name: string, replicas: number): Promise<{ previous: number; replicas: number }> {
    const w = this.workloads.get(`${namespace}/${name}`);
    if (!w) throw new NotFoundError(`deployments.apps "${name}" not found in namespace ${namespace}`);
    if (this.stopped) throw new Error('the mesh is stopping');
    const previous = w.pods.length;
    w.plan.replicas = replicas;
    if (replicas > previous) {
      const created: PodRunner[] = [];
      while (w.pods.length < replicas) created.push(this.createPod(w));
      this.publish();
      this.o.server.flushPush();
      await Promise.all(created.map((p) => this.launch(p)));
    } else if (replicas < previous) {
      // like the ReplicaSet controller: not-ready pods go first, then the newest
      const victims = [...w.pods]
        .sort((a, b) => Number(a.healthy) - Number(b.healthy) || b.createdAt.getTime() - a.createdAt.getTime())
        .slice(0, previous - replicas);
      w.pods = w.pods.filter((p) => !victims.includes(p));
      for (const v of victims) this.terminating.add(v);
      void this.drainAndStop(victims);
    }
    return { previous, replicas };
  }

  private async drainAndStop(pods: PodRunner[]): Promise<void> {
    this.publish();
    this.o.server.flushPush();
    await this.waitForProxiesSynced(this.o.drainDeadlineMs ?? 5000);
    await Promise.all(pods.map((p) => this.stopPod(p)));
  }

  /** Waits until no proxy has an un-ACKed push (bounded by `deadlineMs`). */
  private async waitForProxiesSynced(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    while (Date.now() < deadline) {
      const stale = this.o.server.proxyStatus().some((e) => Object.values(e.types).some((t) => t.state === 'STALE'));
      if (!stale) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  private async stopPod(pod: PodRunner): Promise<void> {
    await pod.stop(this.o.stopGraceMs ?? 5000);
    await Promise.all((this.forwarders.get(pod) ?? []).map((f) => f.close()));
    this.forwarders.delete(pod);
    this.terminating.delete(pod);
    this.usedIndexes.delete(pod.info.index);
  }

  /** Stops every pod (SIGTERM, then SIGKILL after the grace period). */
  async stop(): Promise<void> {
    this.stopped = true;
    const pods = this.allPods();
    for (const w of this.workloads.values()) w.pods = [];
    for (const p of pods) this.terminating.add(p);
    await Promise.all(pods.map((p) => this.stopPod(p)));
  }

  /** SIGKILL everything now (a second Ctrl-C). */
  kill(): void {
    this.stopped = true;
    for (const p of this.allPods()) p.kill();
  }

  private allocateIndex(): number {
    for (let tries = 0; tries < MAX_LOCAL_PODS; tries++) {
      const index = this.nextIndex;
      this.nextIndex = index >= MAX_LOCAL_PODS ? 1 : index + 1;
      if (!this.usedIndexes.has(index)) {
        this.usedIndexes.add(index);
        return index;
      }
    }
    throw new Error(`more than ${MAX_LOCAL_PODS} pods: no local pod address left`);
  }

  private createPod(w: Workload): PodRunner {
    const taken = new Set(this.allPods().map((p) => p.info.name));
    const index = this.allocateIndex();
    const pod = new PodRunner(
      { name: newPodName(w.plan.name, w.plan.hash, taken), namespace: w.plan.namespace, index, podIp: podIp(index), plan: w.plan },
      { changed: () => this.publish(), line: (m) => this.o.line(m) },
    );
    w.pods.push(pod);
    return pod;
  }

  private launchContext(push: PushContext): LaunchContext {
    return {
      push,
      xdsPort: this.o.xdsPort,
      runDir: this.o.runDir,
      domainSuffix: this.o.mesh.domainSuffix ?? 'cluster.local',
      clusterId: this.o.mesh.clusterId,
      trustDomain: this.o.mesh.trustDomain,
      secrets: this.o.secrets,
      nodeName: os.hostname(),
      baseEnv: process.env,
    };
  }

  private async launch(pod: PodRunner): Promise<void> {
    const push = this.o.server.pushContext();
    if (!push) throw new Error('the discovery server has no config yet');
    let plan;
    try {
      plan = planPodLaunch(pod.info, this.launchContext(push));
    } catch (err) {
      if (!(err instanceof AppCommandError)) throw err;
      pod.fail(err.message);
      return;
    }
    for (const w of plan.warnings) this.o.line(`pod ${pod.fullName}: ${w}`);
    if (pod.info.plan.kind === 'plain') await this.openServiceViews(pod, plan.views);
    pod.start(plan.launches);
  }

  /**
   * A pod without a sidecar still reaches services at its own service addresses
   * (*_SERVICE_HOST): kube-proxy style forwarders to the endpoints stand in for the
   * sidecar's outbound listeners.
   */
  private async openServiceViews(pod: PodRunner, views: ReturnType<typeof planPodLaunch>['views']): Promise<void> {
    const suffix = this.o.mesh.domainSuffix ?? 'cluster.local';
    const opened: TcpForwarder[] = [];
    for (const v of views) {
      for (const p of v.ports) {
        const f = new TcpForwarder(endpointPicker(() => this.o.server.pushContext(), `${v.name}.${v.namespace}.svc.${suffix}`, p.port));
        try {
          await f.listen(v.address, p.port);
          opened.push(f);
        } catch (err) {
          this.o.line(`pod ${pod.fullName}: cannot listen on ${v.address}:${p.port} for service ${v.namespace}/${v.name}: ${(err as Error).message}`);
        }
      }
    }
    this.forwarders.set(pod, opened);
  }

  private publish(): void {
    if (this.stopped) return;
    const pods = [...this.workloads.values()].flatMap((w) => w.pods.map((p) => p.localPod()));
    this.o.server.setPods(pods);
  }
}
