// What the local mesh's Deployment controller does next, as a pure function: from the
// Deployments the folder declares (desired) and what runs (each workload's applied
// spec and its pods), the spec changes to report and the pod actions to take. The
// supervisor applies the actions and calls it again until nothing is left to do, and
// again whenever a pod's health changes — level-triggered like a Kubernetes controller,
// so an edit in the middle of a rollout (or a rollback) needs no special case.
//
// Rules, Kubernetes' where it has one:
// - replicas: the last write wins. A YAML `replicas` that differs from the one last
//   read applies; an unchanged one leaves a `mesh scale` in force (kubectl apply's
//   three-way merge does the same: it only patches fields that changed in the file).
// - template change (the pod template's hash): a rolling update with maxSurge 1 and
//   maxUnavailable 0: one new pod at a time, an old pod removed only once enough new
//   ones are ready that the ready count stays at `replicas`.
// - scale-down picks not-ready pods first, then the newest (the ReplicaSet controller's order).

/** maxSurge of the rolling update: how many pods above `replicas` may exist while rolling. */
export const MAX_SURGE = 1;

/** A Deployment as the folder declares it. */
export interface DesiredDeployment {
  /** "namespace/name" */
  key: string;
  /** The pod template's hash (the ReplicaSet part of pod names). */
  hash: string;
  /** spec.replicas as written in the YAML. */
  replicas: number;
}

/** What the controller last applied for a Deployment. */
export interface AppliedDeployment {
  key: string;
  /** The template the pods are rolled to. */
  hash: string;
  /** spec.replicas as last read from the YAML (to tell an edit from a `mesh scale`). */
  yamlReplicas: number;
  /** The replicas in force: the YAML's, or a later `mesh scale`. */
  replicas: number;
  /** True from a template change until every pod runs the new template and is ready. */
  rolling: boolean;
}

export interface PodState {
  name: string;
  /** The template hash the pod was created from. */
  hash: string;
  healthy: boolean;
  /** Creation time (ms); newer pods go first on scale-down. */
  createdAt: number;
}

export interface CurrentWorkload extends AppliedDeployment {
  /** Pods that count: not the ones already terminating. */
  pods: readonly PodState[];
}

export type SpecChange =
  | { type: 'added'; key: string; replicas: number }
  | { type: 'removed'; key: string }
  | { type: 'scaled'; key: string; from: number; to: number }
  | { type: 'rolling'; key: string }
  | { type: 'rolled-out'; key: string; replicas: number };

export type PodAction =
  | { type: 'create'; key: string; count: number }
  | { type: 'remove'; key: string; pods: string[]; why: 'scale-down' | 'rollout' | 'deleted' };

export interface ReconcilePlan {
  /** The applied spec of every workload that remains (a removed Deployment is absent). */
  applied: AppliedDeployment[];
  changes: SpecChange[];
  actions: PodAction[];
}

/** The ReplicaSet controller's scale-down order: not-ready pods first, then the newest. */
export function scaleDownOrder(pods: readonly PodState[]): PodState[] {
  return [...pods].sort((a, b) => Number(a.healthy) - Number(b.healthy) || b.createdAt - a.createdAt);
}

export function planReconcile(desired: readonly DesiredDeployment[], current: readonly CurrentWorkload[]): ReconcilePlan {
  const plan: ReconcilePlan = { applied: [], changes: [], actions: [] };
  const currentByKey = new Map(current.map((w) => [w.key, w]));
  const desiredKeys = new Set(desired.map((d) => d.key));

  for (const w of current) {
    if (desiredKeys.has(w.key)) continue;
    plan.changes.push({ type: 'removed', key: w.key });
    if (w.pods.length > 0) plan.actions.push({ type: 'remove', key: w.key, pods: w.pods.map((p) => p.name), why: 'deleted' });
  }

  for (const d of desired) {
    const w = currentByKey.get(d.key);
    if (!w) {
      plan.changes.push({ type: 'added', key: d.key, replicas: d.replicas });
      plan.applied.push({ key: d.key, hash: d.hash, yamlReplicas: d.replicas, replicas: d.replicas, rolling: false });
      if (d.replicas > 0) plan.actions.push({ type: 'create', key: d.key, count: d.replicas });
      continue;
    }
    const applied = applySpec(d, w, plan.changes);
    plan.actions.push(...podActions(applied, w.pods));
    if (applied.rolling && rolloutComplete(applied, w.pods)) {
      applied.rolling = false;
      plan.changes.push({ type: 'rolled-out', key: d.key, replicas: applied.replicas });
    }
    plan.applied.push(applied);
  }
  return plan;
}

/** The new applied spec of a workload the folder still declares, noting what changed. */
function applySpec(d: DesiredDeployment, w: CurrentWorkload, changes: SpecChange[]): AppliedDeployment {
  const next: AppliedDeployment = { key: w.key, hash: w.hash, yamlReplicas: w.yamlReplicas, replicas: w.replicas, rolling: w.rolling };
  if (d.replicas !== w.yamlReplicas) {
    // an edit of the YAML's replicas: it wins over any earlier `mesh scale`
    next.yamlReplicas = d.replicas;
    if (d.replicas !== w.replicas) changes.push({ type: 'scaled', key: w.key, from: w.replicas, to: d.replicas });
    next.replicas = d.replicas;
  }
  if (d.hash !== w.hash) {
    next.hash = d.hash;
    next.rolling = true;
    changes.push({ type: 'rolling', key: w.key });
  }
  return next;
}

function rolloutComplete(applied: AppliedDeployment, pods: readonly PodState[]): boolean {
  return pods.every((p) => p.hash === applied.hash) && pods.filter((p) => p.healthy).length >= applied.replicas;
}

/** Pod creations and removals that move one workload towards its applied spec. */
export function podActions(applied: AppliedDeployment, pods: readonly PodState[]): PodAction[] {
  const { key, replicas } = applied;
  const actions: PodAction[] = [];
  let fresh = pods.filter((p) => p.hash === applied.hash);
  const old = pods.filter((p) => p.hash !== applied.hash);

  if (fresh.length > replicas) {
    const extra = scaleDownOrder(fresh).slice(0, fresh.length - replicas);
    actions.push({ type: 'remove', key, pods: extra.map((p) => p.name), why: 'scale-down' });
    fresh = fresh.filter((p) => !extra.includes(p));
  }
  if (old.length === 0) {
    if (fresh.length < replicas) actions.push({ type: 'create', key, count: replicas - fresh.length });
    return actions;
  }

  // Rolling: at most replicas + MAX_SURGE pods, new ones up to replicas.
  const create = Math.max(0, Math.min(replicas - fresh.length, replicas + MAX_SURGE - (fresh.length + old.length)));
  if (create > 0) actions.push({ type: 'create', key, count: create });

  // maxUnavailable 0: old pods may go only while the ready count stays >= replicas.
  // Kubernetes' budget (all pods - minimum available - new pods not yet available)
  // simplifies to this; not-ready old pods use it first, as they serve nothing.
  const healthyFresh = fresh.filter((p) => p.healthy).length;
  let budget = Math.max(0, healthyFresh + old.length - replicas);
  const victims: PodState[] = [];
  for (const p of scaleDownOrder(old.filter((p) => !p.healthy))) {
    if (budget === 0) break;
    victims.push(p);
    budget--;
  }
  const healthyOld = scaleDownOrder(old.filter((p) => p.healthy));
  const spareReady = Math.max(0, healthyFresh + healthyOld.length - replicas);
  victims.push(...healthyOld.slice(0, Math.min(budget, spareReady)));
  if (victims.length > 0) actions.push({ type: 'remove', key, pods: victims.map((p) => p.name), why: 'rollout' });
  return actions;
}
