import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseProxy } from '../../src/discovery/model/proxy.js';
import { HASH_LENGTH, newPodName, randomSuffix, SUFFIX_ALPHABET, templateHash } from '../../src/mesh/pod_names.js';

describe('local mesh pod names', () => {
  it('hashes a pod template to 10 hex digits, independent of key order', () => {
    const a = templateHash({ metadata: { labels: { app: 'webapp' } }, spec: { containers: [{ name: 'webapp', image: 'istioinaction/webapp:latest' }] } });
    const b = templateHash({ spec: { containers: [{ image: 'istioinaction/webapp:latest', name: 'webapp' }] }, metadata: { labels: { app: 'webapp' } } });
    assert.match(a, /^[0-9a-f]{10}$/);
    assert.equal(a.length, HASH_LENGTH);
    assert.equal(a, b);
    assert.notEqual(a, templateHash({ metadata: { labels: { app: 'catalog' } } }));
  });

  it('names pods <deployment>-<hash>-<5 chars of the Kubernetes alphabet>', () => {
    const name = newPodName('webapp', '7f8d9c6b5a', new Set());
    assert.match(name, /^webapp-7f8d9c6b5a-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    for (const c of randomSuffix()) assert.ok(SUFFIX_ALPHABET.includes(c));
  });

  it('never repeats a taken name', () => {
    let calls = 0;
    // the first suffix drawn is "bbbbb" (taken), then "ccccc"
    const random = () => (calls++ < 5 ? 0 : 1);
    assert.equal(newPodName('catalog', '0123456789', new Set(['catalog-0123456789-bbbbb']), random), 'catalog-0123456789-ccccc');
  });

  it('keeps long names within 63 characters', () => {
    assert.ok(newPodName('a'.repeat(80), '0123456789', new Set()).length <= 63);
  });

  it("gives names Istio's workload-name fallback strips back to the Deployment", () => {
    const pod = newPodName('istio-ingressgateway', templateHash({}), new Set());
    const proxy = parseProxy({ id: `router~127.1.0.1~${pod}.istio-system~istio-system.svc.cluster.local` });
    assert.equal(proxy.workloadName, 'istio-ingressgateway');
  });
});
