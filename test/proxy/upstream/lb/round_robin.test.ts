import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import type { Host } from '../../../../src/proxy/upstream/host.js';
import { hostSetOf, makeHost, makeHosts, pickCounts, seededRandom } from './fixtures.js';

const roundRobin = (hosts: Host[], seed = 1) => createLoadBalancer(hostSetOf(hosts), { name: 'c' }, seededRandom(seed));

function sequence(hosts: Host[], picks: number, seed = 1): Host[] {
  const lb = roundRobin(hosts, seed);
  return Array.from({ length: picks }, () => lb.chooseHost()!);
}

describe('ROUND_ROBIN', () => {
  it('is the default policy and rotates through equal-weight hosts in order', () => {
    const hosts = makeHosts(3);
    const lb = createLoadBalancer(hostSetOf(hosts), { name: 'c' }, () => 0);
    assert.deepEqual(Array.from({ length: 7 }, () => lb.chooseHost()), [...hosts, ...hosts, hosts[0]]);
  });

  it('visits every host once per cycle from a random starting point', () => {
    const hosts = makeHosts(5);
    const starts = new Set<Host>();
    for (let seed = 1; seed <= 20; seed++) {
      const picks = sequence(hosts, 15, seed);
      starts.add(picks[0]!);
      for (let i = 0; i < 10; i++) assert.equal(picks[i + 5], picks[i]);
      assert.equal(new Set(picks.slice(0, 5)).size, 5);
    }
    assert.ok(starts.size > 1, 'balancers should not all start on the same host');
  });

  it('splits traffic by weight (1:3 over 4000 picks)', () => {
    const light = makeHost(1, { weight: 1 });
    const heavy = makeHost(2, { weight: 3 });
    const counts = pickCounts(roundRobin([light, heavy]), 4000);
    assert.ok(Math.abs(counts.get(light)! - 1000) <= 10, `light got ${counts.get(light)}`);
    assert.ok(Math.abs(counts.get(heavy)! - 3000) <= 10, `heavy got ${counts.get(heavy)}`);
  });

  it('interleaves weighted hosts instead of sending them blocks of requests', () => {
    const light = makeHost(1, { weight: 1 });
    const heavy = makeHost(2, { weight: 3 });
    const picks = sequence([light, heavy], 400, 5);
    let run = 0;
    for (let i = 0; i < picks.length; i++) {
      if (picks[i] === light) assert.notEqual(picks[i - 1], light, `light picked twice in a row at ${i}`);
      run = picks[i] === heavy ? run + 1 : 0;
      assert.ok(run <= 3, `heavy picked ${run} times in a row at ${i}`);
    }
  });

  it('honours several distinct weights', () => {
    const hosts = [1, 2, 3, 4].map((w) => makeHost(w, { weight: w }));
    const counts = pickCounts(roundRobin(hosts, 9), 10000);
    hosts.forEach((h, i) => assert.ok(Math.abs(counts.get(h)! - 1000 * (i + 1)) <= 10, `${h.address}: ${counts.get(h)}`));
  });

  it('rotates over healthy hosts only', () => {
    const hosts = makeHosts(4);
    hosts[2]!.healthFlags.add('failed_outlier_check');
    const picks = sequence(hosts, 9);
    assert.equal(new Set(picks).size, 3);
    assert.ok(!picks.includes(hosts[2]!));
    for (let i = 0; i < 6; i++) assert.equal(picks[i + 3], picks[i]);
  });
});
