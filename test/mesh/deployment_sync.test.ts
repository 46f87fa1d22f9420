// Which Deployments the mesh runs after a folder change: the declared ones, plus a
// running one whose edit made it invalid (kept on its last good spec, as a rejected
// `kubectl apply` leaves it); and that the supervisor is fed each change.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { ConfigObject } from '../../src/api/istio/types.js';
import type { ConfigIssue } from '../../src/discovery/config/index.js';
import { DeploymentSync, desiredWorkloads, hasErrorAbout, secretsOf } from '../../src/mesh/deployment_sync.js';
import { planWorkloads, type WorkloadPlan } from '../../src/mesh/workloads.js';

function deployment(name: string, file = `/cfg/${name}.yaml`): ConfigObject<'Deployment'> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'istioinaction', labels: {}, annotations: {} },
    spec: { replicas: 1, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `istioinaction/${name}` }] } } },
    source: { file, line: 1 },
  };
}

const issue = (over: Partial<ConfigIssue>): ConfigIssue => ({ severity: 'error', file: '/cfg/catalog.yaml', line: 7, message: 'bad', ...over });

describe('deployment sync', () => {
  const [catalog] = planWorkloads([deployment('catalog')], path.dirname);

  it('runs what the folder declares', () => {
    const d = desiredWorkloads([deployment('webapp')], [], [catalog!]);
    assert.deepEqual(d.plans.map((p) => p.key), ['istioinaction/webapp']);
    assert.deepEqual(d.kept, []);
  });

  it('keeps a running Deployment whose YAML now has an error about it', () => {
    const issues = [issue({ kind: 'Deployment', namespace: 'istioinaction', name: 'catalog', path: 'spec.replicas' })];
    const d = desiredWorkloads([deployment('webapp')], issues, [catalog!]);
    assert.deepEqual(d.plans.map((p) => p.key), ['istioinaction/webapp', 'istioinaction/catalog']);
    assert.deepEqual(d.kept.map((p) => p.key), ['istioinaction/catalog']);
  });

  it('tells errors about the Deployment from others', () => {
    assert.equal(hasErrorAbout(catalog!, [issue({ kind: 'Deployment', namespace: 'istioinaction', name: 'catalog' })]), true);
    assert.equal(hasErrorAbout(catalog!, [issue({ kind: 'Deployment', namespace: 'istioinaction' })]), true, 'unnamed, in its file');
    assert.equal(hasErrorAbout(catalog!, [issue({ kind: 'Deployment', namespace: 'istioinaction', name: 'webapp' })]), false);
    assert.equal(hasErrorAbout(catalog!, [issue({ severity: 'warning', kind: 'Deployment', namespace: 'istioinaction', name: 'catalog' })]), false);
    assert.equal(hasErrorAbout(catalog!, [issue({ file: '/cfg/other.yaml' })]), false);
  });

  it('collects Secrets by namespace/name', () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'ns', labels: {}, annotations: {} }, spec: {}, source: { file: '/cfg/s.yaml', line: 1 } } as unknown as ConfigObject;
    assert.deepEqual([...secretsOf([secret, deployment('x')]).keys()], ['ns/s']);
  });

  it('feeds every change to the supervisor and says once that a broken Deployment is kept', () => {
    const applied: string[][] = [];
    const lines: string[] = [];
    let running: WorkloadPlan[] = [catalog!];
    const sync = new DeploymentSync(
      {
        runningPlans: () => running,
        apply: (plans) => {
          applied.push(plans.map((p) => p.key));
          running = [...plans];
        },
      },
      (l) => lines.push(l),
    );
    const broken = [issue({ kind: 'Deployment', namespace: 'istioinaction', name: 'catalog' })];
    sync.onConfig({ objects: [], issues: broken });
    sync.onConfig({ objects: [], issues: broken });
    sync.onConfig({ objects: [], issues: [] });
    assert.deepEqual(applied, [['istioinaction/catalog'], ['istioinaction/catalog'], []]);
    assert.deepEqual(lines, ['deployment istioinaction/catalog: its YAML has an error (above); its pods keep running as they are until it is fixed']);
  });
});
