// The mesh supervisor with real processes and a stand-in discovery server: pods of a
// plain (not injected) Deployment come up on their own pod IPs and are published
// healthy, reach a service through their kube-proxy forwarders, scale up and down, are
// restarted after they die, fail clearly for an unknown image, and all stop.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { ConfigObject } from '../../src/api/istio/types.js';
import { podIp, serviceViewAddress } from '../../src/discovery/model/local_addresses.js';
import type { Endpoint, PushContext, Service } from '../../src/discovery/model/types.js';
import type { LocalPod } from '../../src/discovery/registry/types.js';
import { MeshSupervisor, type ControlPlane } from '../../src/mesh/supervisor.js';
import { planWorkloads } from '../../src/mesh/workloads.js';
import { tempDir } from '../helpers/process.js';
import { waitFor } from '../helpers/wait.js';

// far from the addresses a running `skein mesh up` hands out (127.1.0.x)
const FIRST_INDEX = 201 * 256 + 1;

const ECHO_SERVICE: Service = {
  hostname: 'echo.plain.svc.cluster.local',
  name: 'echo',
  namespace: 'plain',
  ports: [{ name: 'http', port: 8081, protocol: 'HTTP', targetPort: 3000 }],
  resolution: 'ClientSideLB',
  meshExternal: false,
  selector: { app: 'echo' },
  serviceType: 'ClusterIP',
  labels: {},
  exportTo: ['*'],
  origin: 'Kubernetes',
  localIndex: 7,
};

/** The discovery server as the supervisor sees it: pods in, endpoints out. */
class FakeControlPlane implements ControlPlane {
  pods: LocalPod[] = [];
  setPods(pods: readonly LocalPod[]): void {
    this.pods = [...pods];
  }
  flushPush(): void {}
  proxyStatus() {
    return [];
  }
  pushContext(): PushContext {
    const endpoints: Endpoint[] = this.pods
      .filter((p) => p.labels.app === 'echo')
      .map((p) => ({ address: podIp(p.index), port: 3000, servicePortName: 'http', servicePort: 8081, labels: p.labels, serviceAccount: p.serviceAccount, locality: '', network: '', namespace: p.namespace, healthy: p.healthy, workloadName: p.name }));
    return {
      services: () => [ECHO_SERVICE],
      servicesVisibleFrom: () => [ECHO_SERVICE],
      endpoints: (hostname: string) => (hostname === ECHO_SERVICE.hostname ? endpoints : []),
    } as unknown as PushContext;
  }
}

function deployment(name: string, container: Record<string, unknown>): ConfigObject<'Deployment'> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'plain', labels: {}, annotations: {} },
    spec: { replicas: 2, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [container as never] } } },
    source: { file: path.join(process.cwd(), 'deploy.yaml'), line: 1 },
  };
}

async function echo(url: string): Promise<{ pod: string; namespace: string }> {
  return (await (await fetch(url)).json()) as { pod: string; namespace: string };
}

describe('local mesh supervisor', { timeout: 120_000 }, () => {
  const runDir = tempDir('skein-supervisor-');
  const server = new FakeControlPlane();
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

  const healthyPods = () => server.pods.filter((p) => p.healthy);

  it('runs each replica on its own pod IP and publishes it once ready', async () => {
    const plans = planWorkloads(
      [
        // `skein echo` reports $POD_NAME and $NAMESPACE; --host defaults to the pod's address
        deployment('echo', {
          name: 'echo',
          command: ['skein', 'echo'],
          args: ['--port', '3000'],
          env: [{ name: 'NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } }],
          ports: [{ containerPort: 3000, name: 'http' }],
        }),
        deployment('db', { name: 'db', image: 'postgres:16' }),
      ],
      path.dirname,
    );
    await supervisor.start(plans);
    await waitFor(() => healthyPods().length === 2, 'two healthy echo pods', { detail: () => lines.join('\n') });
    const echoPods = server.pods.filter((p) => p.deployment === 'echo');
    // db's two pods come first (plans are ordered by namespace/name)
    assert.deepEqual(echoPods.map((p) => p.index).sort(), [FIRST_INDEX + 2, FIRST_INDEX + 3]);
    for (const p of echoPods) {
      assert.match(p.name, /^echo-[0-9a-f]{10}-[a-z0-9]{5}$/);
      const answer = await echo(`http://${podIp(p.index)}:3000/`);
      assert.equal(answer.pod, p.name);
      assert.equal(answer.namespace, 'plain');
      assert.ok(lines.includes(`pod ${p.name}.plain ${podIp(p.index)} started`), lines.join('\n'));
      assert.ok(lines.includes(`pod ${p.name}.plain ready`));
      assert.match(fs.readFileSync(path.join(runDir, 'pods', 'plain', p.name, 'echo.log'), 'utf8'), /echo listening on http:\/\/127\.1\.201\.\d+:3000/);
    }
  });

  it('fails the pods of an image it cannot run, and runs the rest', () => {
    const db = supervisor.status().filter((p) => p.deployment === 'db');
    assert.equal(db.length, 2);
    assert.ok(db.every((p) => p.status === 'Error' && p.ready === '0/1'));
    assert.ok(lines.some((l) => /^pod db-\S+\.plain cannot start: container "db": image postgres:16 has no command/.test(l)), lines.join('\n'));
    assert.ok(server.pods.filter((p) => p.deployment === 'db').every((p) => !p.healthy));
  });

  it('gives a pod without a sidecar its service addresses through kube-proxy style forwarders', async () => {
    const [first] = server.pods.filter((p) => p.deployment === 'echo');
    const view = serviceViewAddress(first!.index, ECHO_SERVICE.localIndex);
    const answered = new Set<string>();
    for (let i = 0; i < 4; i++) answered.add((await echo(`http://${view}:8081/`)).pod);
    assert.equal(answered.size, 2, 'round-robin over both healthy endpoints');
  });

  it('restarts a pod whose process dies, unpublished while it is down', async () => {
    const pod = supervisor.allPods().find((p) => p.info.plan.name === 'echo')!;
    const status = () => supervisor.status().find((s) => s.name === pod.info.name)!;
    const [appPid] = pod.pids();
    process.kill(appPid!, 'SIGKILL');
    await waitFor(() => server.pods.find((p) => p.name === pod.info.name)?.healthy === false, 'the pod published unhealthy');
    await waitFor(() => status().restarts === 1 && server.pods.find((p) => p.name === pod.info.name)?.healthy === true, 'the pod restarted and healthy again', {
      detail: () => JSON.stringify(status()),
    });
    assert.ok(lines.some((l) => l.startsWith(`pod ${pod.info.name}.plain container echo killed by SIGKILL; restarting in 1s`)), lines.join('\n'));
  });

  it('scales up and down, withdrawing the endpoint before stopping the pod', async () => {
    await supervisor.scale('plain', 'echo', 3);
    await waitFor(() => healthyPods().length === 3, 'three healthy echo pods');
    const before = server.pods.map((p) => p.name);
    await supervisor.scale('plain', 'echo', 1);
    assert.equal(server.pods.filter((p) => p.deployment === 'echo').length, 1, 'withdrawn at once');
    const gone = before.filter((n) => !server.pods.some((p) => p.name === n));
    assert.equal(gone.length, 2);
    await waitFor(() => supervisor.status().filter((p) => p.deployment === 'echo').length === 1, 'the two pods stopped', { detail: () => JSON.stringify(supervisor.status()) });
    for (const name of gone) assert.ok(lines.includes(`pod ${name}.plain stopped`));
    await assert.rejects(supervisor.scale('plain', 'nope', 1), /deployments.apps "nope" not found in namespace plain/);
  });

  it('stops every pod', async () => {
    const pids = supervisor.allPods().flatMap((p) => p.pids());
    assert.ok(pids.length >= 1);
    await supervisor.stop();
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});
