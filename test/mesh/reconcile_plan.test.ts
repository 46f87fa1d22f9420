// The Deployment controller's decisions as a pure function: new and removed
// Deployments, replicas edits against `mesh scale` (the last write wins), and rolling
// updates with maxSurge 1 / maxUnavailable 0, driven step by step by a fake kubelet
// that checks the ready count never drops below `replicas`.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { planReconcile, podActions, scaleDownOrder, type AppliedDeployment, type CurrentWorkload, type DesiredDeployment, type PodState } from '../../src/mesh/reconcile_plan.js';

const KEY = 'istioinaction/catalog';

function pod(name: string, hash: string, healthy = true, createdAt = 0): PodState {
  return { name, hash, healthy, createdAt };
}

function workload(applied: Partial<AppliedDeployment>, pods: PodState[]): CurrentWorkload {
  return { key: KEY, hash: 'a', yamlReplicas: 1, replicas: 1, rolling: false, ...applied, pods };
}

const desired = (hash: string, replicas: number, key = KEY): DesiredDeployment => ({ key, hash, replicas });

/** A tiny cluster: applies the planner's actions, creates pods unready, readies them on demand. */
class FakeCluster {
  pods: PodState[] = [];
  applied: AppliedDeployment[] = [];
  changes: string[] = [];
  private clock = 0;
  private serial = 0;

  /** Plans and applies until nothing is left to do (what the supervisor does). */
  reconcile(want: DesiredDeployment[]): void {
    for (let pass = 0; pass < 20; pass++) {
      const current = this.applied.map((a) => ({ ...a, pods: this.pods.filter((p) => p.name.startsWith(a.key.split('/')[1]!)) }));
      const plan = planReconcile(want, current);
      this.changes.push(...plan.changes.map((c) => c.type));
      const removed = new Set(plan.actions.flatMap((a) => (a.type === 'remove' ? a.pods : [])));
      this.pods = this.pods.filter((p) => !removed.has(p.name));
      for (const a of plan.actions) {
        if (a.type !== 'create') continue;
        const hash = plan.applied.find((x) => x.key === a.key)!.hash;
        for (let i = 0; i < a.count; i++) this.pods.push(pod(`${a.key.split('/')[1]}-${hash}-${this.serial++}`, hash, false, this.clock++));
      }
      this.applied = plan.applied;
      if (plan.actions.length === 0) return;
    }
    assert.fail('no fixed point after 20 passes');
  }

  /** Marks the oldest unready pod ready, as its readiness probe would. */
  readyOne(): boolean {
    const p = this.pods.find((x) => !x.healthy);
    if (!p) return false;
    p.healthy = true;
    return true;
  }

  ready(): number {
    return this.pods.filter((p) => p.healthy).length;
  }
}

describe('planReconcile: Deployments come and go', () => {
  it('creates a new Deployment with its replicas, from its template', () => {
    const plan = planReconcile([desired('a', 2)], []);
    assert.deepEqual(plan.changes, [{ type: 'added', key: KEY, replicas: 2 }]);
    assert.deepEqual(plan.actions, [{ type: 'create', key: KEY, count: 2 }]);
    assert.deepEqual(plan.applied, [{ key: KEY, hash: 'a', yamlReplicas: 2, replicas: 2, rolling: false }]);
  });

  it('removes every pod of a deleted Deployment and forgets it', () => {
    const plan = planReconcile([], [workload({ replicas: 2 }, [pod('c-1', 'a'), pod('c-2', 'a', false)])]);
    assert.deepEqual(plan.changes, [{ type: 'removed', key: KEY }]);
    assert.deepEqual(plan.actions, [{ type: 'remove', key: KEY, pods: ['c-1', 'c-2'], why: 'deleted' }]);
    assert.deepEqual(plan.applied, []);
  });

  it('does nothing when nothing changed', () => {
    const plan = planReconcile([desired('a', 1)], [workload({}, [pod('c-1', 'a')])]);
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.actions, []);
  });

  it('creates no pod for replicas 0', () => {
    assert.deepEqual(planReconcile([desired('a', 0)], []).actions, []);
  });
});

describe('planReconcile: replicas, the last write wins', () => {
  it('scales up when the YAML says more', () => {
    const plan = planReconcile([desired('a', 3)], [workload({}, [pod('c-1', 'a')])]);
    assert.deepEqual(plan.changes, [{ type: 'scaled', key: KEY, from: 1, to: 3 }]);
    assert.deepEqual(plan.actions, [{ type: 'create', key: KEY, count: 2 }]);
    assert.equal(plan.applied[0]!.yamlReplicas, 3);
  });

  it('scales down not-ready pods first, then the newest', () => {
    const pods = [pod('old', 'a', true, 1), pod('newest', 'a', true, 3), pod('unready', 'a', false, 0), pod('mid', 'a', true, 2)];
    const plan = planReconcile([desired('a', 2)], [workload({ yamlReplicas: 4, replicas: 4 }, pods)]);
    assert.deepEqual(plan.actions, [{ type: 'remove', key: KEY, pods: ['unready', 'newest'], why: 'scale-down' }]);
    assert.deepEqual(scaleDownOrder(pods).map((p) => p.name), ['unready', 'newest', 'mid', 'old']);
  });

  it('keeps a `mesh scale` while the YAML replicas stay as they were', () => {
    // YAML said 1, mesh scale made it 3; an unrelated edit re-reads replicas: 1
    const plan = planReconcile([desired('a', 1)], [workload({ yamlReplicas: 1, replicas: 3 }, [pod('c-1', 'a'), pod('c-2', 'a'), pod('c-3', 'a')])]);
    assert.deepEqual(plan.changes, []);
    assert.deepEqual(plan.actions, []);
    assert.equal(plan.applied[0]!.replicas, 3);
  });

  it('lets a later YAML edit of replicas override the `mesh scale`', () => {
    const plan = planReconcile([desired('a', 2)], [workload({ yamlReplicas: 1, replicas: 3 }, [pod('c-1', 'a', true, 1), pod('c-2', 'a', true, 2), pod('c-3', 'a', true, 3)])]);
    assert.deepEqual(plan.changes, [{ type: 'scaled', key: KEY, from: 3, to: 2 }]);
    assert.deepEqual(plan.actions, [{ type: 'remove', key: KEY, pods: ['c-3'], why: 'scale-down' }]);
    assert.deepEqual(plan.applied[0], { key: KEY, hash: 'a', yamlReplicas: 2, replicas: 2, rolling: false });
  });

  it('reports no scaling when the YAML catches up with a `mesh scale`', () => {
    const plan = planReconcile([desired('a', 2)], [workload({ yamlReplicas: 1, replicas: 2 }, [pod('c-1', 'a'), pod('c-2', 'a')])]);
    assert.deepEqual(plan.changes, []);
    assert.equal(plan.applied[0]!.yamlReplicas, 2);
  });
});

describe('planReconcile: rolling updates (maxSurge 1, maxUnavailable 0)', () => {
  it('starts one new pod and keeps the old one until the new one is ready', () => {
    const plan = planReconcile([desired('b', 1)], [workload({}, [pod('c-a-1', 'a')])]);
    assert.deepEqual(plan.changes, [{ type: 'rolling', key: KEY }]);
    assert.deepEqual(plan.actions, [{ type: 'create', key: KEY, count: 1 }]);
    assert.equal(plan.applied[0]!.rolling, true);

    const waiting = podActions({ key: KEY, hash: 'b', yamlReplicas: 1, replicas: 1, rolling: true }, [pod('c-a-1', 'a'), pod('c-b-1', 'b', false)]);
    assert.deepEqual(waiting, [], 'nothing until the new pod is ready');

    const next = podActions({ key: KEY, hash: 'b', yamlReplicas: 1, replicas: 1, rolling: true }, [pod('c-a-1', 'a'), pod('c-b-1', 'b', true)]);
    assert.deepEqual(next, [{ type: 'remove', key: KEY, pods: ['c-a-1'], why: 'rollout' }]);
  });

  it('reports the rollout done once only new, ready pods are left', () => {
    const plan = planReconcile([desired('b', 1)], [workload({ hash: 'b', rolling: true }, [pod('c-b-1', 'b')])]);
    assert.deepEqual(plan.changes, [{ type: 'rolled-out', key: KEY, replicas: 1 }]);
    assert.equal(plan.applied[0]!.rolling, false);
  });

  for (const replicas of [1, 2, 3]) {
    it(`rolls ${replicas} replica(s) one at a time, never below ${replicas} ready nor above ${replicas + 1} pods`, () => {
      const cluster = new FakeCluster();
      cluster.reconcile([desired('a', replicas)]);
      while (cluster.readyOne()) cluster.reconcile([desired('a', replicas)]);
      assert.equal(cluster.ready(), replicas);

      cluster.reconcile([desired('b', replicas)]);
      for (let step = 0; step < 20 && cluster.pods.some((p) => p.hash === 'a' || !p.healthy); step++) {
        assert.ok(cluster.ready() >= replicas, `ready ${cluster.ready()} < ${replicas}`);
        assert.ok(cluster.pods.length <= replicas + 1, `${cluster.pods.length} pods`);
        assert.ok(cluster.readyOne(), 'a pod to make ready');
        cluster.reconcile([desired('b', replicas)]);
      }
      assert.deepEqual(cluster.pods.map((p) => [p.hash, p.healthy]), Array.from({ length: replicas }, () => ['b', true]));
      assert.deepEqual(cluster.changes.filter((c) => c !== 'added'), ['rolling', 'rolled-out']);
    });
  }

  it('holds a rollout whose new pods never get ready, the old ones serving', () => {
    const plan = planReconcile([desired('b', 2)], [workload({ hash: 'b', replicas: 2, yamlReplicas: 2, rolling: true }, [pod('c-a-1', 'a'), pod('c-a-2', 'a'), pod('c-b-1', 'b', false)])]);
    assert.deepEqual(plan.actions, []);
    assert.deepEqual(plan.changes, []);
  });

  it('replaces a failed new pod when the template changes again (or is rolled back)', () => {
    // rolled a → b, b's pod never got ready; the template goes back to a
    const pods = [pod('c-a-1', 'a'), pod('c-b-1', 'b', false)];
    const plan = planReconcile([desired('a', 1)], [workload({ hash: 'b', rolling: true }, pods)]);
    assert.deepEqual(plan.changes, [{ type: 'rolling', key: KEY }]);
    // a's pod is the new template's already: only the unready b pod goes
    assert.deepEqual(plan.actions, [{ type: 'remove', key: KEY, pods: ['c-b-1'], why: 'rollout' }]);
  });

  it('removes not-ready old pods before ready ones, within the budget', () => {
    const actions = podActions({ key: KEY, hash: 'c', yamlReplicas: 2, replicas: 2, rolling: true }, [pod('a-1', 'a', true), pod('b-1', 'b', false), pod('c-1', 'c', true), pod('c-2', 'c', true)]);
    assert.deepEqual(actions, [{ type: 'remove', key: KEY, pods: ['b-1', 'a-1'], why: 'rollout' }]);
  });

  it('scales the old pods away at once when the new replicas are 0', () => {
    const plan = planReconcile([desired('b', 0)], [workload({ replicas: 2, yamlReplicas: 2 }, [pod('a-1', 'a'), pod('a-2', 'a')])]);
    assert.deepEqual(plan.actions, [{ type: 'remove', key: KEY, pods: ['a-1', 'a-2'], why: 'rollout' }]);
  });

  it('follows a replicas change in the middle of a rollout', () => {
    const actions = podActions({ key: KEY, hash: 'b', yamlReplicas: 1, replicas: 1, rolling: true }, [pod('a-1', 'a'), pod('a-2', 'a'), pod('b-1', 'b'), pod('b-2', 'b', false, 5)]);
    assert.deepEqual(actions, [
      { type: 'remove', key: KEY, pods: ['b-2'], why: 'scale-down' },
      { type: 'remove', key: KEY, pods: ['a-1', 'a-2'], why: 'rollout' },
    ]);
  });
});
