// One suite run against every policy: the behaviour Envoy's balancers share (host health,
// panic mode, degraded hosts, the previous_hosts retry predicate).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoadBalancer } from '../../../../src/proxy/upstream/lb/index.js';
import type { Host } from '../../../../src/proxy/upstream/host.js';
import type { LbContext } from '../../../../src/proxy/upstream/load_balancer.js';
import { hostSetOf, keys, makeHost, makeHosts, markUnhealthy, pickCounts, seededRandom, type Cluster } from './fixtures.js';

const POLICIES = ['ROUND_ROBIN', 'LEAST_REQUEST', 'RANDOM', 'RING_HASH', 'MAGLEV'] as const;
const HASHED = new Set<string>(['RING_HASH', 'MAGLEV']);

for (const policy of POLICIES) {
  describe(`${policy} (shared behaviour)`, () => {
    const hashed = HASHED.has(policy);
    const build = (hosts: Host[], extra: Partial<Cluster> = {}, seed = 7) =>
      createLoadBalancer(hostSetOf(hosts), { name: 'c', lb_policy: policy, ...extra }, seededRandom(seed));
    // Hash-based policies get a different key per pick so that every host can be reached.
    const contexts = (extra: Omit<LbContext, 'hashKey'> = {}) => {
      const stream = keys(5000, 3);
      let i = 0;
      return () => (hashed ? { ...extra, hashKey: stream[i++ % stream.length]! } : { ...extra });
    };

    it('returns null for an empty host set', () => {
      const lb = build([]);
      assert.equal(lb.chooseHost(), null);
      assert.equal(lb.chooseHost({ hashKey: 42n }), null);
    });

    it('always picks the only host', () => {
      const host = makeHost(80);
      const lb = build([host]);
      const next = contexts();
      for (let i = 0; i < 20; i++) assert.equal(lb.chooseHost(next()), host);
      assert.equal(lb.chooseHost(), host);
    });

    it('never picks unhealthy hosts while enough are healthy', () => {
      const hosts = makeHosts(4);
      markUnhealthy(hosts[1]!);
      const counts = pickCounts(build(hosts), 2000, contexts());
      assert.equal(counts.get(hosts[1]!), undefined);
      for (const h of [hosts[0]!, hosts[2]!, hosts[3]!]) assert.ok((counts.get(h) ?? 0) > 0, `${h.address} never picked`);
    });

    it('balances over all hosts in panic mode (below 50% healthy)', () => {
      const hosts = makeHosts(4);
      hosts.slice(1).forEach(markUnhealthy);
      const lb = build(hosts);
      assert.equal((lb as unknown as { inPanic: boolean }).inPanic, true);
      const counts = pickCounts(lb, 2000, contexts());
      for (const h of hosts) assert.ok((counts.get(h) ?? 0) > 0, `${h.address} never picked`);
      assert.equal((build(makeHosts(4)) as unknown as { inPanic: boolean }).inPanic, false);
    });

    it('honours healthy_panic_threshold, and 0 disables panic mode', () => {
      const hosts = makeHosts(10);
      hosts.slice(6).forEach(markUnhealthy); // 60% healthy
      const at70 = pickCounts(build(hosts, { common_lb_config: { healthy_panic_threshold: { value: 70 } } }), 3000, contexts());
      assert.ok(hosts.slice(6).some((h) => at70.has(h)), 'panic mode should include unhealthy hosts');
      const at50 = pickCounts(build(hosts), 3000, contexts());
      assert.ok(hosts.slice(6).every((h) => !at50.has(h)));

      const mostlyDown = makeHosts(4);
      mostlyDown.slice(1).forEach(markUnhealthy);
      const off = pickCounts(build(mostlyDown, { common_lb_config: { healthy_panic_threshold: { value: 0 } } }), 500, contexts());
      assert.deepEqual([...off.keys()], [mostlyDown[0]]);
    });

    it('returns null when every host is unhealthy and panic mode is disabled', () => {
      const hosts = makeHosts(3).map(markUnhealthy);
      assert.notEqual(build(hosts).chooseHost(contexts()()), null, 'default threshold: panic mode serves');
      const lb = build(hosts, { common_lb_config: { healthy_panic_threshold: {} } });
      assert.equal(lb.chooseHost(contexts()()), null);
    });

    it(hashed ? 'ignores fail_traffic_on_panic (as Envoy thread-aware balancers do)' : 'fails traffic on panic when fail_traffic_on_panic is set', () => {
      const hosts = makeHosts(4);
      hosts.slice(1).forEach(markUnhealthy);
      const lb = build(hosts, { common_lb_config: { zone_aware_lb_config: { fail_traffic_on_panic: true } } });
      const host = lb.chooseHost(contexts()());
      if (hashed) assert.notEqual(host, null);
      else assert.equal(host, null);
    });

    it(hashed ? 'does not place degraded hosts (Envoy hashes over healthy hosts only)' : 'sends degraded hosts the load healthy hosts cannot take', () => {
      // 6 healthy of 10: health 84% (x1.4 overprovisioning), so degraded hosts get 16%.
      const hosts = [...makeHosts(6), ...makeHosts(4, 9100, { edsHealth: 'DEGRADED' })];
      const counts = pickCounts(build(hosts), 10000, contexts());
      const degraded = hosts.slice(6).reduce((n, h) => n + (counts.get(h) ?? 0), 0);
      if (hashed) assert.equal(degraded, 0);
      else assert.ok(degraded > 1300 && degraded < 1900, `degraded share ${degraded / 100}%`);
    });

    it('re-picks while the previous_hosts predicate rejects the host', () => {
      const hosts = makeHosts(4);
      const lb = build(hosts);
      const rejected = hosts[0]!;
      const next = contexts({ shouldSelectAnotherHost: (h) => h === rejected, hostSelectionRetryCount: 10 });
      for (let i = 0; i < 300; i++) assert.notEqual(lb.chooseHost(next()), rejected);
    });

    it('returns the last pick when every attempt is rejected, asking at most retries + 1 times', () => {
      const lb = build(makeHosts(4));
      let asked = 0;
      const next = contexts({ shouldSelectAnotherHost: () => (asked++, true), hostSelectionRetryCount: 3 });
      for (let i = 0; i < 50; i++) {
        asked = 0;
        assert.notEqual(lb.chooseHost(next()), null);
        assert.ok(asked >= 1 && asked <= 4, `asked ${asked} times`);
      }
    });

    it('does not re-pick without a host selection retry count', () => {
      const lb = build(makeHosts(4));
      let asked = 0;
      const next = contexts({ shouldSelectAnotherHost: () => (asked++, true) });
      assert.notEqual(lb.chooseHost(next()), null);
      assert.ok(asked <= 1);
    });
  });
}
