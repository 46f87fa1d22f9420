import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoadBalancer, loadBalancerFactories } from '../../../../src/proxy/upstream/lb/index.js';
import { hostSetOf, makeHosts } from './fixtures.js';

describe('load balancer registry', () => {
  it('has a factory for each policy skein implements, keyed by its LbPolicy name', () => {
    assert.deepEqual([...loadBalancerFactories.keys()].sort(), ['LEAST_REQUEST', 'MAGLEV', 'RANDOM', 'RING_HASH', 'ROUND_ROBIN']);
    for (const [name, factory] of loadBalancerFactories) {
      assert.equal(factory.policy, name);
      factory.validate?.({ name: 'c', lb_policy: factory.policy });
    }
  });

  it('builds ROUND_ROBIN when lb_policy is absent', () => {
    const hosts = makeHosts(2);
    const lb = createLoadBalancer(hostSetOf(hosts), { name: 'c' }, () => 0);
    assert.deepEqual([lb.chooseHost(), lb.chooseHost(), lb.chooseHost()], [hosts[0], hosts[1], hosts[0]]);
  });

  it('rejects policies skein does not implement with a clear message', () => {
    for (const policy of ['CLUSTER_PROVIDED', 'LOAD_BALANCING_POLICY_CONFIG'] as const) {
      assert.throws(() => createLoadBalancer(hostSetOf([]), { name: 'c', lb_policy: policy }), new RegExp(`lb_policy ${policy} is not supported`));
    }
  });

  it('rejects a healthy_panic_threshold outside 0-100%', () => {
    for (const factory of loadBalancerFactories.values()) {
      assert.throws(() => factory.validate!({ name: 'c', common_lb_config: { healthy_panic_threshold: { value: 101 } } }), /healthy_panic_threshold must be between 0 and 100/);
    }
  });
});
