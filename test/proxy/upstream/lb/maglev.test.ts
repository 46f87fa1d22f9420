import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoadBalancer, loadBalancerFactories } from '../../../../src/proxy/upstream/lb/index.js';
import { MaglevLoadBalancer } from '../../../../src/proxy/upstream/lb/maglev.js';
import type { Host } from '../../../../src/proxy/upstream/host.js';
import { hostSetOf, keys, makeHost, makeHosts, type Cluster } from './fixtures.js';

function maglev(hosts: Host[], tableSize?: number, extra: Partial<Cluster> = {}): MaglevLoadBalancer {
  const cluster: Cluster = { name: 'c', lb_policy: 'MAGLEV', ...(tableSize ? { maglev_lb_config: { table_size: { value: tableSize } } } : {}), ...extra };
  return createLoadBalancer(hostSetOf(hosts), cluster) as MaglevLoadBalancer;
}

/** The 127.0.0.1:90..95 hosts of Envoy's maglev_lb_test. */
const envoyHosts = (options: { hostname?: boolean; hashKey?: boolean } = {}) =>
  Array.from({ length: 6 }, (_, i) =>
    makeHost(90 + i, { ...(options.hostname ? { hostname: String(90 + i) } : {}), ...(options.hashKey ? { hashKey: String(90 + i) } : {}) }),
  );

function assertAssignments(lb: MaglevLoadBalancer, hosts: Host[], expected: number[]): void {
  for (let i = 0; i < 3 * expected.length; i++) {
    assert.equal(lb.chooseHost({ hashKey: BigInt(i) }), hosts[expected[i % expected.length]!], `hash ${i}`);
  }
}

describe('MAGLEV', () => {
  it("builds Envoy's table (maglev_lb_test Basic, table size 7)", () => {
    const hosts = envoyHosts();
    const lb = maglev(hosts, 7);
    assertAssignments(lb, hosts, [2, 4, 0, 1, 5, 0, 3]);
    assert.equal(lb.table.entriesOf(hosts[0]!), 2);
  });

  it('builds the same table whatever order the hosts come in', () => {
    const hosts = envoyHosts();
    assertAssignments(maglev([...hosts].reverse(), 7), hosts, [2, 4, 0, 1, 5, 0, 3]);
  });

  it('hashes hostnames or metadata hash_key when asked (as Envoy)', () => {
    const byHostname = envoyHosts({ hostname: true });
    const hostnameConfig = { common_lb_config: { consistent_hashing_lb_config: { use_hostname_for_hashing: true } } };
    assertAssignments(maglev(byHostname, 7, hostnameConfig), byHostname, [2, 5, 0, 3, 4, 1, 0]);
    const byMetadata = envoyHosts({ hashKey: true });
    assertAssignments(maglev(byMetadata, 7), byMetadata, [2, 5, 0, 3, 4, 1, 0]);
  });

  it("re-picks like Envoy's retry host predicate test", () => {
    const hosts = envoyHosts();
    const lb = maglev(hosts, 7);
    assert.equal(lb.chooseHost({ hashKey: 10n }), hosts[1]);
    assert.equal(lb.chooseHost({ hashKey: 10n, hostSelectionRetryCount: 2, shouldSelectAnotherHost: () => false }), hosts[1]);
    assert.equal(lb.chooseHost({ hashKey: 10n, hostSelectionRetryCount: 2, shouldSelectAnotherHost: (h) => h === hosts[1] }), hosts[0]);
    assert.equal(lb.chooseHost({ hashKey: 10n, hostSelectionRetryCount: 2, shouldSelectAnotherHost: () => true }), hosts[5]);
  });

  it("weights table entries like Envoy's Weighted test (table size 17)", () => {
    const hosts = [makeHost(90, { weight: 1 }), makeHost(91, { weight: 2 })];
    const lb = maglev(hosts, 17);
    assert.equal(lb.table.entriesOf(hosts[0]!), 6);
    assert.equal(lb.table.entriesOf(hosts[1]!), 11);
    assertAssignments(lb, hosts, [1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 1, 0, 1]);
  });

  it('gives hosts table slots and traffic in proportion to weight (default size 65537)', () => {
    const hosts = [1, 2, 3].map((w) => makeHost(w, { weight: w }));
    const lb = maglev(hosts);
    hosts.forEach((h, i) => {
      const share = lb.table.entriesOf(h) / 65537;
      assert.ok(Math.abs(share - (i + 1) / 6) < 0.01, `${h.address}: ${share}`);
    });
    const counts = new Map<Host | null, number>();
    for (const key of keys(30000, 4)) {
      const host = lb.chooseHost({ hashKey: key });
      counts.set(host, (counts.get(host) ?? 0) + 1);
    }
    hosts.forEach((h, i) => assert.ok(Math.abs(counts.get(h)! / 30000 - (i + 1) / 6) < 0.02));
  });

  it('sends the same key to the same host and moves about 1/N of keys when a host leaves', () => {
    const hosts = makeHosts(10);
    const before = maglev(hosts);
    const again = maglev(hosts);
    const after = maglev(hosts.filter((h) => h !== hosts[6]));
    const sample = keys(20000, 8);
    let moved = 0;
    for (const key of sample) {
      const was = before.chooseHost({ hashKey: key });
      assert.equal(again.chooseHost({ hashKey: key }), was);
      if (after.chooseHost({ hashKey: key }) !== was) moved++;
    }
    assert.ok(moved / sample.length > 0.05 && moved / sample.length < 0.2, `moved ${moved / sample.length}`);
  });

  it('requires a prime table size no larger than 5000011', () => {
    const validate = loadBalancerFactories.get('MAGLEV')!.validate!;
    const cluster = (size: number): Cluster => ({ name: 'c', lb_policy: 'MAGLEV', maglev_lb_config: { table_size: { value: size } } });
    assert.throws(() => validate(cluster(8)), /The table size of maglev must be prime number/);
    assert.throws(() => validate(cluster(5000023)), /no larger than 5000011/);
    assert.throws(() => createLoadBalancer(hostSetOf(makeHosts(2)), cluster(65536)), /prime/);
    validate(cluster(5000011));
    validate({ name: 'c', lb_policy: 'MAGLEV' });
  });
});
