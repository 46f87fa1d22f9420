import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLoadBalancer, loadBalancerFactories } from '../../../../src/proxy/upstream/lb/index.js';
import { RingHashLoadBalancer } from '../../../../src/proxy/upstream/lb/ring_hash.js';
import type { Host } from '../../../../src/proxy/upstream/host.js';
import { hostSetOf, keys, makeHost, makeHosts, markUnhealthy, type Cluster } from './fixtures.js';

type RingConfig = Cluster['ring_hash_lb_config'];

function ringHash(hosts: Host[], config: RingConfig = undefined, extra: Partial<Cluster> = {}, random = Math.random): RingHashLoadBalancer {
  const cluster: Cluster = { name: 'c', lb_policy: 'RING_HASH', ...(config ? { ring_hash_lb_config: config } : {}), ...extra };
  return createLoadBalancer(hostSetOf(hosts), cluster, random) as RingHashLoadBalancer;
}

/** The 127.0.0.1:90..95 hosts of Envoy's ring_hash_lb_test. */
const envoyHosts = (firstPort = 90) => Array.from({ length: 6 }, (_, i) => makeHost(firstPort + i, { hostname: String(firstPort + i) }));
const U64_MAX = (1n << 64n) - 1n;

describe('RING_HASH', () => {
  it("places hosts exactly where Envoy does (ring_hash_lb_test Basic)", () => {
    const hosts = envoyHosts();
    const lb = ringHash(hosts, { minimum_ring_size: { value: 12 } });
    assert.equal(lb.ring.size, 12);
    for (const h of hosts) assert.equal(lb.ring.entriesOf(h), 2);
    assert.equal(lb.chooseHost({ hashKey: 0n }), hosts[4]);
    assert.equal(lb.chooseHost({ hashKey: U64_MAX }), hosts[4]);
    assert.equal(lb.chooseHost({ hashKey: 3551244743356806947n }), hosts[5]);
    assert.equal(lb.chooseHost({ hashKey: 3551244743356806948n }), hosts[3]);
    // A random pick lands where its random hash does: 16117243373044804880 is just before :90's entry.
    const words = [16117243373044804880n >> 32n, 16117243373044804880n & 0xffffffffn].map((w) => Number(w) / 4294967296);
    assert.equal(ringHash(hosts, { minimum_ring_size: { value: 12 } }, {}, () => words.shift()!).chooseHost(), hosts[0]);
  });

  it('uses all hosts in panic mode, with the same ring', () => {
    const hosts = envoyHosts().map(markUnhealthy);
    assert.equal(ringHash(hosts, { minimum_ring_size: { value: 12 } }).chooseHost({ hashKey: 0n }), hosts[4]);
  });

  it('matches Envoy with MURMUR_HASH_2', () => {
    const hosts = envoyHosts(80);
    const lb = ringHash(hosts, { minimum_ring_size: { value: 12 }, hash_function: 'MURMUR_HASH_2' });
    assert.equal(lb.chooseHost({ hashKey: 0n }), hosts[5]);
    assert.equal(lb.chooseHost({ hashKey: U64_MAX }), hosts[5]);
    assert.equal(lb.chooseHost({ hashKey: 1358027074129602068n }), hosts[5]);
    assert.equal(lb.chooseHost({ hashKey: 1358027074129602069n }), hosts[3]);
    assert.equal(lb.chooseHost({ hashKey: 10150910876324007730n }), hosts[2]);
  });

  it('hashes hostnames or metadata hash_key instead of addresses when asked (as Envoy)', () => {
    const byHostname = envoyHosts();
    const hostnameLb = ringHash(byHostname, { minimum_ring_size: { value: 12 } }, {
      common_lb_config: { consistent_hashing_lb_config: { use_hostname_for_hashing: true } },
    });
    const byMetadata = Array.from({ length: 6 }, (_, i) => makeHost(90 + i, { hashKey: String(90 + i) }));
    const metadataLb = ringHash(byMetadata, { minimum_ring_size: { value: 12 } });
    for (const [lb, hosts] of [[hostnameLb, byHostname], [metadataLb, byMetadata]] as const) {
      assert.equal(lb.chooseHost({ hashKey: 0n }), hosts[5]);
      assert.equal(lb.chooseHost({ hashKey: U64_MAX }), hosts[5]);
      assert.equal(lb.chooseHost({ hashKey: 7225015537174310577n }), hosts[2]);
      assert.equal(lb.chooseHost({ hashKey: 6803900775736438537n }), hosts[3]);
    }
  });

  it('steps to the next ring entry when the retry predicate rejects a host', () => {
    const hosts = envoyHosts();
    const lb = ringHash(hosts, { minimum_ring_size: { value: 12 } });
    // Ring order starts :94, :92, :90 (Envoy's Basic ring).
    const context = { hashKey: 0n, hostSelectionRetryCount: 2, shouldSelectAnotherHost: (h: Host) => h === hosts[4] };
    assert.equal(lb.chooseHost(context), hosts[2]);
    assert.equal(lb.chooseHost({ ...context, shouldSelectAnotherHost: () => true }), hosts[0]);
  });

  it('sends the same key to the same host, whatever order the hosts come in', () => {
    const hosts = makeHosts(8);
    const a = ringHash(hosts);
    const b = ringHash([...hosts].reverse());
    for (const key of keys(2000)) assert.equal(a.chooseHost({ hashKey: key }), b.chooseHost({ hashKey: key }));
  });

  it('moves only about 1/N of the keys when one of N hosts leaves', () => {
    const hosts = makeHosts(10);
    const before = ringHash(hosts);
    const after = ringHash(hosts.filter((h) => h !== hosts[3]));
    const sample = keys(20000, 5);
    let moved = 0;
    for (const key of sample) {
      const was = before.chooseHost({ hashKey: key });
      const now = after.chooseHost({ hashKey: key });
      if (was !== hosts[3]) assert.notEqual(now, hosts[3]);
      if (was !== now) moved++;
    }
    assert.ok(moved / sample.length > 0.05 && moved / sample.length < 0.2, `moved ${moved / sample.length}`);
  });

  it('gives hosts ring entries and traffic in proportion to weight', () => {
    const a = makeHost(1, { weight: 1 });
    const b = makeHost(2, { weight: 2 });
    const lb = ringHash([a, b]);
    assert.equal(lb.ring.size, 1026); // ceil(1024 / 3) entries for the lightest host
    assert.equal(lb.ring.entriesOf(a), 342);
    assert.equal(lb.ring.entriesOf(b), 684);
    let toB = 0;
    for (const key of keys(30000, 9)) if (lb.chooseHost({ hashKey: key }) === b) toB++;
    assert.ok(toB / 30000 > 0.62 && toB / 30000 < 0.71, `b share ${toB / 30000}`);
  });

  it('sizes the ring between minimum_ring_size and maximum_ring_size', () => {
    const hosts = makeHosts(3);
    assert.equal(ringHash(hosts, { minimum_ring_size: { value: 10 }, maximum_ring_size: { value: 20 } }).ring.size, 12);
    assert.equal(ringHash(hosts, { minimum_ring_size: { value: 1000 }, maximum_ring_size: { value: 1000 } }).ring.size, 1000);
  });

  it('rejects bad ring sizes and hash functions', () => {
    const validate = loadBalancerFactories.get('RING_HASH')!.validate!;
    const cluster = (config: RingConfig): Cluster => ({ name: 'c', lb_policy: 'RING_HASH', ring_hash_lb_config: config });
    assert.throws(() => validate(cluster({ minimum_ring_size: { value: 20 }, maximum_ring_size: { value: 10 } })), {
      message: 'ring hash: minimum_ring_size (20) > maximum_ring_size (10)',
    });
    assert.throws(() => validate(cluster({ maximum_ring_size: { value: 8388609 } })), /maximum_ring_size must be an integer between 1 and 8388608/);
    assert.throws(() => validate(cluster({ minimum_ring_size: { value: 0 } })), /minimum_ring_size/);
    assert.throws(() => validate(cluster({ hash_function: 'CRC32' as never })), /hash_function CRC32 is not supported/);
    validate(cluster({ minimum_ring_size: { value: 64 }, hash_function: 'MURMUR_HASH_2' }));
  });
});
