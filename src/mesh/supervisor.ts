// The kubelet and Deployment controller of the local mesh: turns each Deployment into
// its replicas (pod names, pod indexes, processes), tells the discovery server which
// pods exist and which are healthy (setPods → endpoints), follows the folder's
// Deployments as they change (reconcile_plan.ts decides: create, scale, roll, delete),
// and stops everything. A pod leaves like it does in Kubernetes with Istio: its
// endpoint is withdrawn first, it is stopped once the proxies have ACKed that (or
// after a short deadline).
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
import { planReconcile, type AppliedDeployment, type PodState, type SpecChange } from './reconcile_plan.js';
import type { PodKind, WorkloadPlan } from './workloads.js';

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
  /** The latest spec, for pods created from now on (running pods keep the plan they started with). */
  plan: WorkloadPlan;
  applied: AppliedDeployment;
  pods: PodRunner[];
}

/** Reconcile passes in a row before giving up (each pass only creates or removes pods, so a few suffice). */
const MAX_PASSES = 50;

export class MeshSupervisor {
  private readonly workloads = new Map<string, Workload>();
  /** The Deployments the folder declares, in start order (gateways first). */
  private desired: WorkloadPlan[] = [];
  private secrets: ReadonlyMap<string, ConfigObject<'Secret'>>;
  /** Pods being stopped: no longer published, still shown (Terminating). */
  private readonly terminating = new Set<PodRunner>();
  private readonly forwarders = new Map<PodRunner, TcpForwarder[]>();
  private readonly usedIndexes = new Set<number>();
  private nextIndex: number;
  private stopped = false;
  private reconcileQueued = false;

  constructor(private readonly o: SupervisorOptions) {
    this.nextIndex = o.firstPodIndex ?? 1;
    this.secrets = o.secrets;
  }

  /** Creates every Deployment's replicas, publishes them, then starts their processes. */
  async start(plans: readonly WorkloadPlan[]): Promise<void> {
    this.desired = [...plans];
    const created = this.reconcile({ quiet: true });
    await Promise.all(created.map((p) => this.launch(p)));
  }

  /**
   * The folder changed: the Deployments it declares now (and the Secrets env may
   * read). New ones start, removed ones drain, replicas and template changes apply.
   */
  apply(plans: readonly WorkloadPlan[], secrets?: ReadonlyMap<string, ConfigObject<'Secret'>>): void {
    if (this.stopped) return;
    if (secrets) this.secrets = secrets;
    this.desired = [...plans];
    for (const plan of plans) {
      const w = this.workloads.get(plan.key);
      if (!w) continue;
      // like Istio's injector, a namespace label change only affects pods created from now on
      if (w.plan.kind !== plan.kind && w.plan.hash === plan.hash) {
        this.o.line(`deployment ${plan.key}: new pods ${KIND_WORDS[plan.kind]} (the namespace's injection label changed); running pods stay as they are until replaced`);
      }
      w.plan = plan;
    }
    this.launchAll(this.reconcile());
  }

  /** The spec each running Deployment's new pods get. */
  runningPlans(): WorkloadPlan[] {
    return [...this.workloads.values()].map((w) => w.plan);
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

  /** `mesh scale`: in force until the YAML's replicas change (the last write wins). */
  async scale(namespace: string, name: string, replicas: number): Promise<{ previous: number; replicas: number }> {
    const w = this.workloads.get(`${namespace}/${name}`);
    if (!w) throw new NotFoundError(`deployments.apps "${name}" not found in namespace ${namespace}`);
    if (this.stopped) throw new Error('the mesh is stopping');
    const previous = w.applied.replicas;
    w.applied.replicas = replicas;
    if (previous !== replicas) this.o.line(`deployment ${w.plan.key}: scaled ${previous} → ${replicas}`);
    await Promise.all(this.reconcile().map((p) => this.launchOrFail(p)));
    return { previous, replicas };
  }

  /**
   * Moves every workload towards its spec (reconcile_plan.ts), pass after pass until
   * there is nothing left to do. Synchronous: pods to remove are withdrawn and pods
   * to create are published at once; returns the created pods, which the caller
   * launches. Runs again whenever a pod's health changes (a rollout's next step).
   */
  private reconcile(o: { quiet?: boolean } = {}): PodRunner[] {
    if (this.stopped) return [];
    const created: PodRunner[] = [];
    const removed: PodRunner[] = [];
    try {
      for (let pass = 0; pass < MAX_PASSES; pass++) {
        const plan = planReconcile(
          this.desired.map((p) => ({ key: p.key, hash: p.hash, replicas: p.replicas })),
          [...this.workloads.values()].map((w) => ({ ...w.applied, pods: w.pods.map(podState) })),
        );
        if (!o.quiet) for (const c of plan.changes) this.o.line(describeChange(c));
        // removals first, while a deleted Deployment's workload is still there to take its pods from
        for (const action of plan.actions) {
          if (action.type !== 'remove') continue;
          const w = this.workloads.get(action.key)!;
          const victims = w.pods.filter((p) => action.pods.includes(p.info.name));
          w.pods = w.pods.filter((p) => !victims.includes(p));
          for (const v of victims) this.terminating.add(v);
          removed.push(...victims);
        }
        this.adoptApplied(plan.applied);
        for (const action of plan.actions) {
          if (action.type !== 'create') continue;
          const w = this.workloads.get(action.key)!;
          for (let i = 0; i < action.count; i++) created.push(this.createPod(w));
        }
        if (plan.actions.length === 0) break;
      }
    } catch (err) {
      // e.g. no pod address left: report it, and still apply what was decided so far
      this.o.line(`cannot reconcile the Deployments: ${(err as Error).message}`);
    }
    if (created.length > 0 || removed.length > 0) {
      this.publish();
      this.o.server.flushPush();
    }
    if (removed.length > 0) void this.drainAndStop(removed);
    return created;
  }

  /** Takes the plan's applied specs: new workloads appear, removed ones go. */
  private adoptApplied(applied: readonly AppliedDeployment[]): void {
    const plans = new Map(this.desired.map((p) => [p.key, p]));
    const keep = new Set(applied.map((a) => a.key));
    for (const key of this.workloads.keys()) if (!keep.has(key)) this.workloads.delete(key);
    // new workloads in desired order (gateways first): their pods get indexes in that order
    for (const a of applied) {
      const w = this.workloads.get(a.key);
      if (w) w.applied = a;
      else this.workloads.set(a.key, { plan: plans.get(a.key)!, applied: a, pods: [] });
    }
  }

  /** Health changed somewhere: the next step of a rollout may be due. */
  private reconcileSoon(): void {
    if (this.reconcileQueued || this.stopped) return;
    this.reconcileQueued = true;
    setImmediate(() => {
      this.reconcileQueued = false;
      this.launchAll(this.reconcile());
    });
  }

  private launchAll(pods: PodRunner[]): void {
    for (const p of pods) void this.launchOrFail(p);
  }

  /** Launches a pod created while the mesh runs; a launch that throws fails that pod only. */
  private launchOrFail(pod: PodRunner): Promise<void> {
    return this.launch(pod).catch((err: unknown) => pod.fail((err as Error).message));
  }

  private async drainAndStop(pods: PodRunner[]): Promise<void> {
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
      {
        changed: () => {
          this.publish();
          this.reconcileSoon();
        },
        line: (m) => this.o.line(m),
      },
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
      secrets: this.secrets,
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

const KIND_WORDS: Record<PodKind, string> = { sidecar: 'get a sidecar', plain: 'run without a sidecar', gateway: 'run as gateways' };

function podState(p: PodRunner): PodState {
  return { name: p.info.name, hash: p.info.plan.hash, healthy: p.healthy, createdAt: p.createdAt.getTime() };
}

/** `[mesh] deployment istioinaction/catalog: scaled 1 → 2` and the like. */
export function describeChange(c: SpecChange): string {
  const what = (() => {
    switch (c.type) {
      case 'added':
        return `created (${plural(c.replicas, 'replica')})`;
      case 'removed':
        return 'deleted: draining its pods';
      case 'scaled':
        return `scaled ${c.from} → ${c.to}`;
      case 'rolling':
        return 'rolling out (template changed)';
      case 'rolled-out':
        return `rolled out (${plural(c.replicas, 'pod')} on the new template)`;
    }
  })();
  return `deployment ${c.key}: ${what}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
