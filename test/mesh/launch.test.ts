// What each kind of pod runs: the book's webapp with a sidecar, the gateway alone.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/process.js';
import { loadConfigDirs } from '../../src/discovery/config/index.js';
import type { PushContext, Service } from '../../src/discovery/model/types.js';
import { SKEIN_ARGV } from '../../src/mesh/images.js';
import { planPodLaunch, type LaunchContext } from '../../src/mesh/launch.js';
import { DEFAULT_GATEWAY_FILE } from '../../src/mesh/up.js';
import { planWorkloads, type WorkloadPlan } from '../../src/mesh/workloads.js';

const service = (name: string, namespace: string, port: number, localIndex: number): Service => ({
  hostname: `${name}.${namespace}.svc.cluster.local`, name, namespace, ports: [{ name: 'http', port, protocol: 'HTTP', targetPort: port }],
  resolution: 'ClientSideLB', meshExternal: false, serviceType: 'ClusterIP', labels: {}, exportTo: ['*'], origin: 'Kubernetes', localIndex,
});

describe('local mesh pod launches', () => {
  const runDir = tempDir('skein-launch-');
  after(() => fs.rmSync(runDir, { recursive: true, force: true }));

  async function plans(): Promise<Map<string, WorkloadPlan>> {
    const loaded = await loadConfigDirs([path.join(repoRoot, 'examples', 'coolstore'), DEFAULT_GATEWAY_FILE]);
    assert.deepEqual(loaded.issues, []);
    return new Map(planWorkloads(loaded.objects, path.dirname).map((p) => [p.name, p]));
  }

  const services = [service('catalog', 'istioinaction', 80, 1), service('webapp', 'istioinaction', 80, 2), service('istio-ingressgateway', 'istio-system', 80, 3)];
  const ctx: LaunchContext = {
    push: { servicesVisibleFrom: () => services } as unknown as PushContext,
    xdsPort: 15010,
    runDir,
    domainSuffix: 'cluster.local',
    clusterId: 'Kubernetes',
    trustDomain: 'cluster.local',
    secrets: new Map(),
    nodeName: 'laptop',
    baseEnv: { PATH: '/usr/bin' },
  };

  it("runs the book's webapp as skein webapp on its app address, with a sidecar on its pod IP", async () => {
    const webapp = (await plans()).get('webapp')!;
    assert.equal(webapp.kind, 'sidecar');
    const launch = planPodLaunch({ name: 'webapp-0123456789-bcdfg', namespace: 'istioinaction', index: 3, podIp: '127.1.0.3', plan: webapp }, ctx);
    assert.equal(launch.listenAddress, '127.2.0.3');
    assert.deepEqual(launch.launches.map((l) => l.spec.name), ['webapp', 'istio-proxy']);
    const [app, proxy] = launch.launches as [typeof launch.launches[0], typeof launch.launches[0]];
    assert.deepEqual(app.spec.argv, [...SKEIN_ARGV, 'webapp', '--host', '127.2.0.3', '--port', '8080']);
    assert.equal(app.spec.env.CATALOG_SERVICE_HOST, '127.16.3.1', "the book's catalog.istioinaction, at webapp's own address for catalog");
    assert.equal(app.spec.env.CATALOG_SERVICE_PORT, '80');
    assert.equal(app.spec.env.KUBERNETES_NAMESPACE, 'istioinaction');
    assert.equal(app.spec.cwd, path.join(repoRoot, 'examples', 'coolstore'));
    assert.equal(app.spec.logFile, path.join(runDir, 'pods', 'istioinaction', 'webapp-0123456789-bcdfg', 'webapp.log'));
    const bootstrapFile = path.join(launch.dir, 'envoy-rev.json');
    assert.deepEqual(proxy.spec.argv, [...SKEIN_ARGV, 'proxy', '-c', bootstrapFile, '--pod-ip', '127.1.0.3', '--concurrency', '1', '--drain-time-s', '2', '--local-address-ip-version', 'v4']);
    const bootstrap = JSON.parse(fs.readFileSync(bootstrapFile, 'utf8')) as { node: { id: string; metadata: Record<string, unknown> } };
    assert.equal(bootstrap.node.id, 'sidecar~127.1.0.3~webapp-0123456789-bcdfg.istioinaction~istioinaction.svc.cluster.local');
    assert.equal(bootstrap.node.metadata.SKEIN_APP_ADDRESS, '127.2.0.3');
    assert.equal(bootstrap.node.metadata.APP_CONTAINERS, 'webapp');
    assert.deepEqual(launch.warnings, []);
  });

  it('runs the default ingress gateway as a router proxy and nothing else', async () => {
    const gateway = (await plans()).get('istio-ingressgateway')!;
    assert.equal(gateway.kind, 'gateway');
    const launch = planPodLaunch({ name: 'istio-ingressgateway-0123456789-bcdfg', namespace: 'istio-system', index: 1, podIp: '127.1.0.1', plan: gateway }, ctx);
    assert.deepEqual(launch.launches.map((l) => l.spec.name), ['istio-proxy']);
    const bootstrap = JSON.parse(fs.readFileSync(path.join(launch.dir, 'envoy-rev.json'), 'utf8')) as { node: { id: string; metadata: { LABELS: Record<string, string> } } };
    assert.equal(bootstrap.node.id, 'router~127.1.0.1~istio-ingressgateway-0123456789-bcdfg.istio-system~istio-system.svc.cluster.local');
    assert.equal(bootstrap.node.metadata.LABELS.istio, 'ingressgateway');
  });
});
