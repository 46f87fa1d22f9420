// The supervisor following the folder's Deployments with real processes and a
// stand-in discovery server: a replicas edit scales, a `mesh scale` holds until the
// YAML's replicas change, a template edit rolls the pods one at a time without the
// published healthy count ever dropping, a new Deployment starts and a removed one's
// processes stop.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigObject } from '../../src/api/istio/types.js';
import type { PushContext } from '../../src/discovery/model/types.js';
import type { LocalPod } from '../../src/discovery/registry/types.js';
import { MeshSupervisor, type ControlPlane } from '../../src/mesh/supervisor.js';
import { planWorkloads } from '../../src/mesh/workloads.js';
import { tempDir } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

// far from a running `skein mesh up` (127.1.0.x) and the other tests (127.1.201.x, 127.1.202.x)
const FIRST_INDEX = 203 * 256 + 1;

/** Records every set of pods published, to check what the endpoints looked like at each moment. */
class RecordingControlPlane implements ControlPlane {
  pods: LocalPod[] = [];
  history: LocalPod[][] = [];
  setPods(pods: readonly LocalPod[]): void {
    this.pods = [...pods];
    this.history.push(this.pods);
  }
  flushPush(): void {}
  proxyStatus() {
    return [];
  }
  pushContext(): PushContext {
    return { services: () => [], servicesVisibleFrom: () => [], endpoints: () => [] } as unknown as PushContext;
  }
}

function echoDeployment(name: string, replicas: number, env: Record<string, string> = {}): ConfigObject<'Deployment'> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'plain', labels: {}, annotations: {} },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: {
          containers: [
            {
              name: 'echo',
              command: ['skein', 'echo'],
              args: ['--port', '3000'],
              env: Object.entries(env).map(([k, value]) => ({ name: k, value })),
              ports: [{ containerPort: 3000, name: 'http' }],
            } as never,
          ],
        },
      },
    },
    source: { file: path.join(process.cwd(), 'deploy.yaml'), line: 1 },
  };
}

const plans = (...deployments: ConfigObject<'Deployment'>[]) => planWorkloads(deployments, path.dirname);

describe('local mesh supervisor following the folder', { timeout: 120_000 }, () => {
  const runDir = tempDir('skein-reconcile-');
  const server = new RecordingControlPlane();
  const lines: string[] = [];
  const supervisor = new MeshSupervisor({
    server,
    xdsPort: 1,
    runDir,
    mesh: { clusterId: 'Kubernetes', trustDomain: 'cluster.local' },
    secrets: new Map(),
    line: (m) => lines.push(m),
    stopGraceMs: 2000,
    drainDeadlineMs: 100,
    firstPodIndex: FIRST_INDEX,
  });
  after(async () => {
    await supervisor.stop();
    fs.rmSync(runDir, { recursive: true, force: true });
  });

  const published = (deployment: string) => server.pods.filter((p) => p.deployment === deployment);
  const healthy = (deployment: string) => published(deployment).filter((p) => p.healthy);
  const detail = () => `${lines.join('\n')}\n${JSON.stringify(supervisor.status(), null, 1)}`;

  it('scales when the YAML replicas change', async () => {
    await supervisor.start(plans(echoDeployment('echo', 1)));
    await waitFor(() => healthy('echo').length === 1, 'one healthy echo pod', { detail });
    supervisor.apply(plans(echoDeployment('echo', 2)), new Map());
    assert.ok(lines.includes('deployment plain/echo: scaled 1 → 2'), detail());
    await waitFor(() => healthy('echo').length === 2, 'two healthy echo pods', { detail });
  });

  it('keeps a `mesh scale` until the YAML replicas change again', async () => {
    await supervisor.scale('plain', 'echo', 3);
    assert.ok(lines.includes('deployment plain/echo: scaled 2 → 3'), detail());
    await waitFor(() => healthy('echo').length === 3, 'three healthy echo pods', { detail });
    supervisor.apply(plans(echoDeployment('echo', 2)), new Map()); // an unrelated edit: replicas still 2
    assert.equal(published('echo').length, 3, 'the scale holds');
    supervisor.apply(plans(echoDeployment('echo', 1)), new Map());
    assert.ok(lines.includes('deployment plain/echo: scaled 3 → 1'), detail());
    assert.equal(published('echo').length, 1, 'the YAML edit wins');
    supervisor.apply(plans(echoDeployment('echo', 2)), new Map());
    await waitFor(() => healthy('echo').length === 2 && supervisor.status().length === 2, 'back to two pods', { detail });
  });

  it('rolls a template change one pod at a time, never fewer than 2 healthy endpoints', async () => {
    const before = published('echo').map((p) => p.name);
    const from = server.history.length;
    supervisor.apply(plans(echoDeployment('echo', 2, { GREETING: 'hello' })), new Map());
    assert.ok(lines.includes('deployment plain/echo: rolling out (template changed)'), detail());
    await waitFor(() => lines.includes('deployment plain/echo: rolled out (2 pods on the new template)'), 'the rollout to finish', { detail });
    const after = published('echo');
    assert.equal(after.length, 2);
    assert.ok(after.every((p) => p.healthy && !before.includes(p.name)), 'two new, healthy pods');
    const newHash = /^echo-([0-9a-f]{10})-/.exec(after[0]!.name)![1];
    assert.ok(before.every((n) => !n.includes(newHash!)), 'new pods have the new template hash');
    for (const snapshot of server.history.slice(from)) {
      const ready = snapshot.filter((p) => p.deployment === 'echo' && p.healthy).length;
      assert.ok(ready >= 2, `a published state with ${ready} healthy echo endpoints`);
      assert.ok(snapshot.filter((p) => p.deployment === 'echo').length <= 3, 'at most one pod above replicas');
    }
    await waitFor(() => supervisor.status().filter((p) => p.deployment === 'echo').length === 2, 'the old pods stopped', { detail });
  });

  it('starts a new Deployment and stops a removed one', async () => {
    const echo = echoDeployment('echo', 2, { GREETING: 'hello' });
    supervisor.apply(plans(echo, echoDeployment('other', 1)), new Map());
    assert.ok(lines.includes('deployment plain/other: created (1 replica)'), detail());
    await waitFor(() => healthy('other').length === 1, 'the new Deployment healthy', { detail });
    const pids = supervisor.allPods().filter((p) => p.info.plan.name === 'other').flatMap((p) => p.pids());
    assert.ok(pids.length === 1);
    supervisor.apply(plans(echo), new Map());
    assert.ok(lines.includes('deployment plain/other: deleted: draining its pods'), detail());
    assert.equal(published('other').length, 0, 'withdrawn at once');
    await waitFor(() => supervisor.status().every((p) => p.deployment !== 'other'), 'its pod stopped', { detail });
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
    assert.equal(healthy('echo').length, 2, 'the rest keeps running');
    await assert.rejects(supervisor.scale('plain', 'other', 1), /not found/);
  });
});
