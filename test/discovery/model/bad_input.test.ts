// Objects the config store would have rejected still never crash a build: each is
// skipped or tolerated, and the warning names it with its file:line.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ConfigObject } from '../../../src/api/istio/types.js';
import { buildPushContext } from '../../../src/discovery/model/index.js';
import { pod, rawObjectsFromYaml } from './objects.js';

describe('push context: bad input', () => {
  it('tolerates missing specs and fields, and reports what it skipped', () => {
    const objects = rawObjectsFromYaml(`
apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: { name: nospec, namespace: a }
---
apiVersion: networking.istio.io/v1beta1
kind: Gateway
metadata: { name: noservers, namespace: a }
---
apiVersion: networking.istio.io/v1beta1
kind: DestinationRule
metadata: { name: nohost, namespace: a }
spec: {}
---
apiVersion: networking.istio.io/v1beta1
kind: Sidecar
metadata: { name: empty, namespace: a }
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: nohosts, namespace: a }
spec: { ports: [{ number: 80, name: http }] }
---
apiVersion: networking.istio.io/v1beta1
kind: ServiceEntry
metadata: { name: badres, namespace: a }
spec: { hosts: [x.example.com], resolution: MAGIC }
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: { name: orphan, namespace: a }
addressType: IPv4
endpoints: [{ addresses: [10.0.0.1] }]
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: a }
spec: { selector: { app: web }, ports: [{ name: http, port: 80, targetPort: http }] }
`, 'bad.yaml');
    objects.push({ kind: 'Service', metadata: {}, source: { file: 'bad.yaml', line: 99 } } as unknown as ConfigObject);
    const ctx = buildPushContext({ objects, pods: [pod('web-1', 'a', 1, { app: 'web' })] });
    const text = ctx.warnings.join('\n');
    for (const expected of [
      /object \(bad\.yaml:99\): missing kind or metadata\.name; ignored/,
      /DestinationRule a\/nohost \(bad\.yaml:10\): no host; DestinationRule ignored/,
      /ServiceEntry a\/nohosts \(bad\.yaml:\d+\): no hosts; ServiceEntry ignored/,
      /ServiceEntry a\/badres \(bad\.yaml:\d+\): unknown resolution "MAGIC"; ServiceEntry ignored/,
      /EndpointSlice a\/orphan \(bad\.yaml:\d+\): no kubernetes\.io\/service-name label; ignored/,
      /Service a\/web \(bad\.yaml:\d+\): port 80 targetPort "http" is not a named port of pod web-1; endpoint skipped/,
    ]) {
      assert.match(text, expected);
    }
    assert.equal(ctx.warnings.length, 6);
    // The rest still works.
    assert.deepEqual(ctx.services().map((s) => s.hostname), ['web.a.svc.cluster.local']);
    assert.deepEqual(ctx.virtualServicesFor('mesh', 'a').map((v) => v.metadata.name), ['nospec']);
    assert.deepEqual(ctx.gatewaysForLabels({}).map((g) => g.metadata.name), ['noservers']);
    assert.equal(ctx.sidecarFor('a', {})?.metadata.name, 'empty');
    assert.equal(ctx.destinationRule('a', 'web.a.svc.cluster.local'), undefined);
  });
});
