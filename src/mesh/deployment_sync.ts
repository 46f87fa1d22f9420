// The mesh follows its folder for workloads the way a cluster follows `kubectl apply`:
// on every change the config store reports, the Deployments the folder declares now
// (and the Secrets container env may read) go to the supervisor, which reconciles
// (reconcile_plan.ts: start new ones, drain removed ones, scale, roll).
//
// An edit that makes a Deployment invalid does not delete it: the store reports the
// error and skips the object, but `kubectl apply` of an invalid object would change
// nothing, so its pods keep running on the last good spec until the YAML is fixed
// (or the Deployment really is removed).
import path from 'node:path';
import type { ConfigObject } from '../api/istio/types.js';
import type { ConfigIssue, ConfigSnapshot } from '../discovery/config/index.js';
import { planWorkloads, type WorkloadPlan } from './workloads.js';

export interface DesiredWorkloads {
  plans: WorkloadPlan[];
  /** Running Deployments kept on their last good spec because their YAML has an error. */
  kept: WorkloadPlan[];
}

/** True when an error in `issues` is about this Deployment (by name, or unnamed in its file). */
export function hasErrorAbout(plan: WorkloadPlan, issues: readonly ConfigIssue[]): boolean {
  return issues.some((i) => {
    if (i.severity !== 'error') return false;
    if (i.kind === 'Deployment' && i.name === plan.name && (i.namespace ?? 'default') === plan.namespace) return true;
    // an object broken so badly its name is unknown: it may be this one
    return i.name === undefined && i.file === plan.deployment.source.file;
  });
}

/** The Deployments to run: those the folder declares, plus running ones its errors hide. */
export function desiredWorkloads(objects: readonly ConfigObject[], issues: readonly ConfigIssue[], running: readonly WorkloadPlan[]): DesiredWorkloads {
  const plans = planWorkloads(objects, path.dirname);
  const declared = new Set(plans.map((p) => p.key));
  const kept = running.filter((r) => !declared.has(r.key) && hasErrorAbout(r, issues));
  return { plans: [...plans, ...kept], kept };
}

export function secretsOf(objects: readonly ConfigObject[]): Map<string, ConfigObject<'Secret'>> {
  const secrets = new Map<string, ConfigObject<'Secret'>>();
  for (const obj of objects) if (obj.kind === 'Secret') secrets.set(`${obj.metadata.namespace}/${obj.metadata.name}`, obj as ConfigObject<'Secret'>);
  return secrets;
}

/** What DeploymentSync drives (MeshSupervisor). */
export interface WorkloadTarget {
  runningPlans(): WorkloadPlan[];
  apply(plans: readonly WorkloadPlan[], secrets: ReadonlyMap<string, ConfigObject<'Secret'>>): void;
}

/** Feeds each config change to the supervisor; says once when a broken Deployment is kept. */
export class DeploymentSync {
  private keptKeys = new Set<string>();

  constructor(
    private readonly target: WorkloadTarget,
    private readonly line: (message: string) => void,
  ) {}

  onConfig(snapshot: ConfigSnapshot): void {
    const desired = desiredWorkloads(snapshot.objects, snapshot.issues, this.target.runningPlans());
    const kept = new Set(desired.kept.map((p) => p.key));
    for (const key of kept) {
      if (!this.keptKeys.has(key)) this.line(`deployment ${key}: its YAML has an error (above); its pods keep running as they are until it is fixed`);
    }
    this.keptKeys = kept;
    this.target.apply(desired.plans, secretsOf(snapshot.objects));
  }
}
