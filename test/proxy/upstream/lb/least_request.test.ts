import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoadBalancer, loadBalancerFactories } from '../../../../src/proxy/upstream/lb/index.js';
import type { Host } from '../../../../src/proxy/upstream/host.js';
import { hostSetOf, makeHost, makeHosts, pickCounts, seededRandom, type Cluster } from './fixtures.js';

const leastRequest = (hosts: Host[], config: Cluster['least_request_lb_config'] = undefined, seed = 5) =>
  createLoadBalancer(hostSetOf(hosts), { name: 'c', lb_policy: 'LEAST_REQUEST', ...(config ? { least_request_lb_config: config } : {}) }, seededRandom(seed));

describe('LEAST_REQUEST', () => {
  it('always prefers the idle host when it compares every host', () => {
    const [busy, idle] = makeHosts(2);
    busy!.activeRequests = 5;
    const lb = leastRequest([busy!, idle!]);
    for (let i = 0; i < 100; i++) assert.equal(lb.chooseHost(), idle);
  });

  it('breaks ties at random', () => {
    const hosts = makeHosts(2);
    const counts = pickCounts(leastRequest(hosts), 2000);
    for (const h of hosts) assert.ok(counts.get(h)! > 800, `${h.address}: ${counts.get(h)}`);
  });

  it('samples two hosts and keeps the less loaded one (power of two choices)', () => {
    const hosts = makeHosts(4);
    hosts.slice(1).forEach((h) => (h.activeRequests = 50));
    const counts = pickCounts(leastRequest(hosts), 8000);
    // The idle host wins whenever it is sampled: 1 - (3/4)^2 = 43.75% of picks.
    const idleShare = counts.get(hosts[0]!)! / 8000;
    assert.ok(idleShare > 0.38 && idleShare < 0.5, `idle share ${idleShare}`);
    for (const h of hosts.slice(1)) assert.ok(counts.get(h)! > 0);
  });

  it('compares every host when choice_count covers them all', () => {
    const hosts = makeHosts(4);
    hosts.forEach((h, i) => (h.activeRequests = 10 - i));
    const lb = leastRequest(hosts, { choice_count: { value: 5 } });
    for (let i = 0; i < 50; i++) assert.equal(lb.chooseHost(), hosts[3]);
  });

  it('divides weights by active requests + 1 when weights differ', () => {
    const a = makeHost(1, { weight: 1 });
    const b = makeHost(2, { weight: 2 });
    assert.ok(Math.abs(pickCounts(leastRequest([a, b]), 3000).get(b)! - 2000) <= 10, 'idle: 1:2 by weight');
    b.activeRequests = 3; // effective weight 2 / 4 = 0.5 against a's 1
    assert.ok(Math.abs(pickCounts(leastRequest([a, b]), 3000).get(a)! - 2000) <= 10, 'busy b: 2:1');
  });

  it('applies active_request_bias (0 = plain weights, 2 = squared)', () => {
    const a = makeHost(1, { weight: 1 });
    const b = makeHost(2, { weight: 2 });
    b.activeRequests = 3;
    const plain = pickCounts(leastRequest([a, b], { active_request_bias: { default_value: 0 } }), 3000);
    assert.ok(Math.abs(plain.get(b)! - 2000) <= 10);
    const squared = pickCounts(leastRequest([a, b], { active_request_bias: { default_value: 2 } }), 9000);
    // b: 2 / 4^2 = 0.125 against a's 1.
    assert.ok(Math.abs(squared.get(b)! - 1000) <= 10, `b got ${squared.get(b)}`);
  });

  it('rejects a choice_count below 2', () => {
    const factory = loadBalancerFactories.get('LEAST_REQUEST')!;
    assert.throws(() => factory.validate!({ name: 'c', least_request_lb_config: { choice_count: { value: 1 } } }), /choice_count must be an integer of at least 2/);
    factory.validate!({ name: 'c', least_request_lb_config: { choice_count: { value: 3 } } });
  });
});
