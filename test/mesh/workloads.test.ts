import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { ConfigObject, DeploymentSpec } from '../../src/api/istio/types.js';
import { definesIngressGateway, isGatewayDeployment, planWorkloads, wantsSidecar } from '../../src/mesh/workloads.js';

function deployment(name: string, namespace: string, spec: Partial<DeploymentSpec> & { labels?: Record<string, string> }): ConfigObject<'Deployment'> {
  const labels = spec.labels ?? { app: name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace, labels: {}, annotations: {} },
    spec: { replicas: spec.replicas, selector: { matchLabels: labels }, template: spec.template ?? { metadata: { labels }, spec: { containers: [{ name, image: `istioinaction/${name}:latest`, ports: [{ containerPort: 3000, name: 'http' }] }] } } },
    source: { file: `/cfg/${name}.yaml`, line: 1 },
  };
}

const namespace = (name: string, labels: Record<string, string>): ConfigObject => ({
  apiVersion: 'v1',
  kind: 'Namespace',
  metadata: { name, namespace: '', labels, annotations: {} },
  spec: {},
  source: { file: '/cfg/ns.yaml', line: 1 },
});

describe('local mesh workloads', () => {
  it("decides injection as Istio's table does", () => {
    assert.equal(wantsSidecar({ 'istio-injection': 'enabled' }, {}, {}), true);
    assert.equal(wantsSidecar({ 'istio.io/rev': 'default' }, {}, {}), true);
    assert.equal(wantsSidecar({}, {}, {}), false);
    assert.equal(wantsSidecar({}, { 'sidecar.istio.io/inject': 'true' }, {}), true);
    assert.equal(wantsSidecar({ 'istio-injection': 'enabled' }, { 'sidecar.istio.io/inject': 'false' }, {}), false);
    assert.equal(wantsSidecar({ 'istio-injection': 'enabled' }, {}, { 'sidecar.istio.io/inject': 'false' }), false);
    assert.equal(wantsSidecar({ 'istio-injection': 'disabled' }, { 'sidecar.istio.io/inject': 'true' }, {}), false);
  });

  it('recognises gateways by label or by a proxyv2 router container', () => {
    assert.equal(isGatewayDeployment(deployment('gw', 'istio-system', { labels: { istio: 'ingressgateway' } })), true);
    const router = deployment('custom', 'istio-system', {
      template: { metadata: { labels: { app: 'custom' } }, spec: { containers: [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.17.8', args: ['proxy', 'router'] }] } },
    });
    assert.equal(isGatewayDeployment(router), true);
    assert.equal(isGatewayDeployment(deployment('catalog', 'istioinaction', {})), false);
  });

  it('plans pods: gateways first, injected labels added, named ports, source folder', () => {
    const objects = [
      namespace('istioinaction', { 'istio-injection': 'enabled' }),
      deployment('webapp', 'istioinaction', { replicas: 2 }),
      deployment('catalog', 'istioinaction', { labels: { app: 'catalog', version: 'v1' } }),
      deployment('plain', 'default', {}),
      deployment('istio-ingressgateway', 'istio-system', { labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } }),
    ];
    const plans = planWorkloads(objects, path.dirname);
    assert.deepEqual(plans.map((p) => [p.key, p.kind, p.replicas]), [
      ['istio-system/istio-ingressgateway', 'gateway', 1],
      ['default/plain', 'plain', 1],
      ['istioinaction/catalog', 'sidecar', 1],
      ['istioinaction/webapp', 'sidecar', 2],
    ]);
    const catalog = plans[2]!;
    assert.deepEqual(catalog.labels, {
      app: 'catalog',
      version: 'v1',
      'service.istio.io/canonical-name': 'catalog',
      'service.istio.io/canonical-revision': 'v1',
      'security.istio.io/tlsMode': 'istio',
    });
    assert.deepEqual(catalog.namedPorts, { http: 3000 });
    assert.equal(catalog.serviceAccount, 'default');
    assert.equal(catalog.sourceDir, '/cfg');
    assert.match(catalog.hash, /^[0-9a-f]{10}$/);
    assert.deepEqual(plans[1]!.labels, { app: 'plain' }, 'no injection labels without a sidecar');
  });

  it('knows when a folder brings its own ingress gateway', () => {
    assert.equal(definesIngressGateway([deployment('catalog', 'istioinaction', {})]), false);
    assert.equal(definesIngressGateway([deployment('my-gw', 'istio-system', { labels: { istio: 'ingressgateway' } })]), true);
  });
});
