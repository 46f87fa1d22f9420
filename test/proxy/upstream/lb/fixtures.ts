// Shared builders for the load-balancer tests: hosts, host sets split by health the way the
// cluster manager splits them, clusters, and a seeded random source so runs are repeatable.
import type { envoy } from '../../../../src/api/envoy-types.generated.js';
import { Host } from '../../../../src/proxy/upstream/host.js';
import type { HostSet, LoadBalancer, LbContext } from '../../../../src/proxy/upstream/load_balancer.js';

export type Cluster = envoy.config.cluster.v3.Cluster;

export interface HostOptions {
  ip?: string;
  weight?: number;
  hostname?: string;
  /** metadata filter_metadata['envoy.lb'].hash_key */
  hashKey?: string;
  edsHealth?: 'HEALTHY' | 'UNHEALTHY' | 'DEGRADED';
}

export function makeHost(port: number, options: HostOptions = {}): Host {
  return new Host({
    ip: options.ip ?? '127.0.0.1',
    port,
    hostname: options.hostname ?? '',
    weight: options.weight ?? 1,
    priority: 0,
    ...(options.edsHealth ? { edsHealth: options.edsHealth } : {}),
    ...(options.hashKey ? { metadata: { filter_metadata: { 'envoy.lb': { hash_key: options.hashKey } } } } : {}),
  });
}

/** Hosts on consecutive ports starting at `firstPort`. */
export function makeHosts(count: number, firstPort = 9000, options: HostOptions = {}): Host[] {
  return Array.from({ length: count }, (_, i) => makeHost(firstPort + i, options));
}

export function hostSetOf(hosts: Host[]): HostSet {
  return {
    hosts,
    healthyHosts: hosts.filter((h) => h.healthy() && !h.degraded()),
    degradedHosts: hosts.filter((h) => h.degraded()),
  };
}

export function markUnhealthy(host: Host): Host {
  host.healthFlags.add('failed_active_hc');
  return host;
}

/** mulberry32: a small seeded PRNG with values in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A deterministic 64-bit key stream for hash-based balancers. */
export function keys(count: number, seed = 1): bigint[] {
  const random = seededRandom(seed);
  const word = () => BigInt(Math.floor(random() * 4294967296));
  return Array.from({ length: count }, () => (word() << 32n) | word());
}

export function pickCounts(lb: LoadBalancer, picks: number, context?: () => LbContext | undefined): Map<Host | null, number> {
  const counts = new Map<Host | null, number>();
  for (let i = 0; i < picks; i++) {
    const host = lb.chooseHost(context?.());
    counts.set(host, (counts.get(host) ?? 0) + 1);
  }
  return counts;
}
