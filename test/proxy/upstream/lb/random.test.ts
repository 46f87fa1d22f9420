import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import type { Host } from '../../../../src/proxy/upstream/host.js';
import { hostSetOf, makeHost, makeHosts, pickCounts, seededRandom } from './fixtures.js';

const random = (hosts: Host[], seed = 11) => createLoadBalancer(hostSetOf(hosts), { name: 'c', lb_policy: 'RANDOM' }, seededRandom(seed));

describe('RANDOM', () => {
  it('spreads picks evenly over equal-weight hosts', () => {
    const hosts = makeHosts(4);
    const counts = pickCounts(random(hosts), 8000);
    for (const h of hosts) assert.ok(Math.abs(counts.get(h)! - 2000) < 200, `${h.address}: ${counts.get(h)}`);
  });

  it('ignores weights, as Envoy\'s RANDOM does (1:3 weights still split evenly)', () => {
    const light = makeHost(1, { weight: 1 });
    const heavy = makeHost(2, { weight: 3 });
    const counts = pickCounts(random([light, heavy]), 40000);
    const ratio = counts.get(heavy)! / counts.get(light)!;
    assert.ok(ratio > 0.9 && ratio < 1.1, `ratio ${ratio}`);
  });

  it('does not follow a fixed order', () => {
    const hosts = makeHosts(3);
    const lb = random(hosts);
    const picks = Array.from({ length: 30 }, () => lb.chooseHost());
    assert.ok(picks.some((h, i) => i > 0 && h === picks[i - 1]), 'a random sequence repeats hosts back to back');
  });
});
