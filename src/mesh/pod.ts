// A running pod of the local mesh: its containers (app processes and, for injected pods
// and gateways, the `skein proxy` one) as ManagedProcesses, and its readiness. A pod is
// healthy when every container is running and has passed its readiness check since it
// last started; the supervisor publishes that as the endpoint's health.
import type { LocalPod } from '../discovery/registry/types.js';
import { ManagedProcess, type ProcessSpec } from './process.js';
import type { WorkloadPlan } from './workloads.js';

const PROBE_INTERVAL_MS = 200;

export interface ContainerLaunch {
  spec: ProcessSpec;
  ready(): Promise<boolean>;
}

export interface PodIdentityInfo {
  name: string;
  namespace: string;
  index: number;
  podIp: string;
  plan: WorkloadPlan;
}

export interface PodStatus {
  namespace: string;
  name: string;
  deployment: string;
  kind: WorkloadPlan['kind'];
  ready: string;
  status: string;
  restarts: number;
  createdAt: string;
  ip: string;
}

interface Container {
  launch: ContainerLaunch;
  process: ManagedProcess;
  ready: boolean;
  probing: boolean;
}

export class PodRunner {
  readonly createdAt = new Date();
  private readonly containers: Container[] = [];
  private terminating = false;
  private wasHealthy = false;
  private failed: string | undefined;

  constructor(
    readonly info: PodIdentityInfo,
    private readonly events: { changed(pod: PodRunner): void; line(message: string): void },
  ) {}

  get fullName(): string {
    return `${this.info.name}.${this.info.namespace}`;
  }

  get healthy(): boolean {
    return !this.terminating && this.failed === undefined && this.containers.length > 0 && this.containers.every((c) => c.process.running && c.ready);
  }

  /** The pod as the registry sees it. */
  localPod(): LocalPod {
    const { plan } = this.info;
    return {
      name: this.info.name,
      namespace: this.info.namespace,
      index: this.info.index,
      labels: plan.labels,
      serviceAccount: plan.serviceAccount,
      namedPorts: plan.namedPorts,
      healthy: this.healthy,
      deployment: plan.name,
    };
  }

  /** A pod that cannot run at all (e.g. an image the mesh does not know): kept, shown as failed. */
  fail(reason: string): void {
    this.failed = reason;
    this.events.line(`pod ${this.fullName} cannot start: ${reason}`);
  }

  start(launches: ContainerLaunch[]): void {
    for (const launch of launches) {
      const container: Container = {
        launch,
        ready: false,
        probing: false,
        process: new ManagedProcess(launch.spec, {
          started: () => this.probe(container),
          exited: (description, restartInMs) => {
            container.ready = false;
            this.events.line(`pod ${this.fullName} container ${launch.spec.name} ${description}; restarting in ${Math.round(restartInMs / 100) / 10}s (log: ${launch.spec.logFile})`);
            this.noteHealth();
          },
        }),
      };
      this.containers.push(container);
    }
    for (const c of this.containers) c.process.start();
    this.events.line(`pod ${this.fullName} ${this.info.podIp} started`);
  }

  private probe(container: Container): void {
    container.ready = false;
    if (container.probing) return;
    container.probing = true;
    const tick = async () => {
      if (this.terminating || !container.process.running) {
        container.probing = false;
        return;
      }
      if (await container.launch.ready()) {
        container.probing = false;
        // it may have exited while the probe was in flight
        container.ready = container.process.running;
        this.noteHealth();
        return;
      }
      setTimeout(() => void tick(), PROBE_INTERVAL_MS);
    };
    void tick();
  }

  private noteHealth(): void {
    const healthy = this.healthy;
    if (healthy === this.wasHealthy) return;
    this.wasHealthy = healthy;
    if (healthy) this.events.line(`pod ${this.fullName} ready`);
    this.events.changed(this);
  }

  /** Process ids of the running containers (each leads its process group). */
  pids(): number[] {
    return this.containers.map((c) => c.process.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Stops every container (SIGTERM, SIGKILL after graceMs). */
  async stop(graceMs: number): Promise<void> {
    this.terminating = true;
    this.wasHealthy = false;
    await Promise.all(this.containers.map((c) => c.process.stop(graceMs)));
    this.events.line(`pod ${this.fullName} stopped`);
  }

  /** Immediate SIGKILL of every container. */
  kill(): void {
    this.terminating = true;
    for (const c of this.containers) c.process.kill();
  }

  status(): PodStatus {
    const total = this.containers.length;
    const readyCount = this.containers.filter((c) => c.process.running && c.ready).length;
    const restarts = this.containers.reduce((n, c) => n + c.process.restarts, 0);
    let status = 'Running';
    if (this.failed !== undefined) status = 'Error';
    else if (this.terminating) status = 'Terminating';
    else if (this.containers.some((c) => c.process.backingOff)) status = 'CrashLoopBackOff';
    else if (readyCount < total && restarts === 0 && this.containers.some((c) => !c.ready)) status = readyCount === 0 ? 'ContainerCreating' : 'Running';
    return {
      namespace: this.info.namespace,
      name: this.info.name,
      deployment: this.info.plan.name,
      kind: this.info.plan.kind,
      ready: `${readyCount}/${total || this.info.plan.containers.length}`,
      status,
      restarts,
      createdAt: this.createdAt.toISOString(),
      ip: this.info.podIp,
    };
  }
}
