// MAGLEV: Envoy's Maglev lookup table (Google's Maglev paper, listing 1). Each host walks
// its own permutation of the table slots (offset and skip from two xxHash64s of its key)
// and claims the next free slot in turn; heavier hosts take turns more often. A pick is
// one modulo and one array read. The table is prime-sized so every permutation visits
// every slot; removing a host of N moves about 1/N of the keys.
import type { Host } from '../host.js';
import type { HostSet, LbContext, LoadBalancer, LoadBalancerFactory } from '../load_balancer.js';
import {
  chooseWithRetries,
  hashedHosts,
  hashHigh,
  hashLow,
  hostHashKey,
  randomWord,
  useHostnameForHashing,
  validateCommonLbConfig,
  weightOf,
  type Cluster,
  type RandomSource,
} from './base.js';
import { xxHash64 } from './hash.js';

export const DEFAULT_TABLE_SIZE = 65537;
/** Envoy's upper bound for maglev_lb_config.table_size. */
export const MAX_TABLE_SIZE = 5000011;

export class MaglevTable {
  /** Host index per slot; empty when there are no hosts. */
  private readonly slots: Int32Array;

  constructor(
    readonly hosts: readonly Host[],
    readonly size: number,
    useHostname: boolean,
  ) {
    const n = hosts.length;
    this.slots = new Int32Array(n === 0 ? 0 : size).fill(-1);
    if (n === 0) return;
    let sum = 0;
    for (const h of hosts) sum += weightOf(h);
    // Envoy fills the table in the order of the hosts' keys so that the result does not
    // depend on the order hosts arrived in.
    const keys = hosts.map((h) => hostHashKey(h, useHostname));
    const byKey = hosts.map((_, i) => i).sort((a, b) => (keys[a]! < keys[b]! ? -1 : keys[a]! > keys[b]! ? 1 : a - b));
    const weight = new Float64Array(n);
    // Each host's permutation: slots position, position + skip, ... (mod size).
    const skip = new Uint32Array(n);
    const position = new Uint32Array(n);
    const target = new Float64Array(n);
    let maxWeight = 0;
    byKey.forEach((hostIndex, i) => {
      const key = keys[hostIndex]!;
      weight[i] = weightOf(hosts[hostIndex]!) / sum;
      maxWeight = Math.max(maxWeight, weight[i]!);
      position[i] = Number(xxHash64(key) % BigInt(size));
      skip[i] = Number(xxHash64(key, 1n) % BigInt(size - 1)) + 1;
    });
    // A host of weight w takes a turn on every (maxWeight / w)-th round.
    for (let round = 1, filled = 0; filled < size; round++) {
      for (let i = 0; i < n && filled < size; i++) {
        if (round * weight[i]! < target[i]!) continue;
        target[i]! += maxWeight;
        const step = skip[i]!;
        let slot = position[i]!;
        while (this.slots[slot] !== -1) slot = (slot + step) % size;
        this.slots[slot] = byKey[i]!;
        position[i] = (slot + step) % size;
        filled++;
      }
    }
  }

  /** The host owning the slot of the 64-bit hash hi:lo (unsigned words). */
  hostFor(hi: number, lo: number): Host | null {
    if (this.slots.length === 0) return null;
    const size = this.size;
    // (hi * 2^32 + lo) mod size, exact in doubles because size < 2^23.
    const slot = (((hi % size) * (4294967296 % size)) + lo) % size;
    return this.hosts[this.slots[slot]!]!;
  }

  /** Slots a host owns (for tests and admin output). */
  entriesOf(host: Host): number {
    const index = this.hosts.indexOf(host);
    let n = 0;
    for (const owner of this.slots) if (owner === index) n++;
    return n;
  }
}

export class MaglevLoadBalancer implements LoadBalancer {
  readonly table: MaglevTable;
  /** Panic mode: the table holds every host (Envoy counts these picks as lb_healthy_panic). */
  readonly inPanic: boolean;
  /** The current pick's hash, shared by its retry attempts. */
  private hashHigh = 0;
  private hashLow = 0;

  constructor(
    hostSet: HostSet,
    cluster: Cluster,
    private readonly random: RandomSource = Math.random,
  ) {
    const size = cluster.maglev_lb_config?.table_size?.value ?? DEFAULT_TABLE_SIZE;
    const { hosts, panic } = hashedHosts(hostSet, cluster);
    this.inPanic = panic;
    this.table = new MaglevTable(hosts, size, useHostnameForHashing(cluster));
  }

  chooseHost(context?: LbContext): Host | null {
    const key = context?.hashKey;
    this.hashHigh = key === undefined ? randomWord(this.random) : hashHigh(key);
    this.hashLow = key === undefined ? randomWord(this.random) : hashLow(key);
    return chooseWithRetries(this, context);
  }

  /** Retries XOR the hash with ~0 - attempt + 1 (= 2^64 - attempt), as Envoy does. */
  pickOnce(attempt: number): Host | null {
    if (attempt === 0) return this.table.hostFor(this.hashHigh, this.hashLow);
    return this.table.hostFor((this.hashHigh ^ 0xffffffff) >>> 0, (this.hashLow ^ (4294967296 - attempt)) >>> 0);
  }
}

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function validate(cluster: Cluster): void {
  validateCommonLbConfig(cluster);
  const size = cluster.maglev_lb_config?.table_size?.value ?? DEFAULT_TABLE_SIZE;
  if (!Number.isInteger(size) || size > MAX_TABLE_SIZE) {
    throw new Error(`maglev_lb_config.table_size must be a prime number no larger than ${MAX_TABLE_SIZE}, got ${size}`);
  }
  if (!isPrime(size)) throw new Error(`The table size of maglev must be prime number (maglev_lb_config.table_size is ${size})`);
}

export const maglevFactory: LoadBalancerFactory = {
  policy: 'MAGLEV',
  validate,
  create(hostSet, cluster, random) {
    validate(cluster);
    return new MaglevLoadBalancer(hostSet, cluster, random);
  },
};
