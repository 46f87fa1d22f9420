// RING_HASH: Envoy's ketama-style consistent-hash ring. Each host gets entries proportional
// to its weight, hashed from "<host key>_<i>"; a request goes to the first entry at or after
// its hash (wrapping), found by binary search. Removing one of N hosts therefore moves only
// the keys that host owned (about 1/N). Without a hash key the pick is random.
//
// The ring is stored as parallel typed arrays (hash high word, low word, host index) and
// sorted with a radix sort, so even Envoy's 8M-entry maximum builds in linear time.
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
import { hash64Into, type HashFunctionName } from './hash.js';

export const DEFAULT_MIN_RING_SIZE = 1024;
export const DEFAULT_MAX_RING_SIZE = 8 * 1024 * 1024;

/** Sorted ring of (64-bit hash, host) entries. */
export class Ring {
  readonly size: number;
  private readonly high: Uint32Array;
  private readonly low: Uint32Array;
  private readonly owner: Uint32Array;

  constructor(
    readonly hosts: readonly Host[],
    minSize: number,
    maxSize: number,
    hashFunction: HashFunctionName,
    useHostname: boolean,
  ) {
    let sum = 0;
    for (const h of hosts) sum += weightOf(h);
    let minWeight = 1;
    for (const h of hosts) minWeight = Math.min(minWeight, weightOf(h) / sum);
    // Scale so the lightest host gets a whole number of entries, capped at the maximum size.
    const scale = hosts.length ? Math.min(Math.ceil(minWeight * minSize) / minWeight, maxSize) : 0;
    // Envoy's running sums hand out fractional entry counts in a stable way; count first so
    // the arrays are allocated once.
    const counts = new Uint32Array(hosts.length);
    let current = 0;
    let target = 0;
    hosts.forEach((h, i) => {
      target += scale * (weightOf(h) / sum);
      for (; current < target; current++) counts[i]!++;
    });
    const size = current;
    const high = new Uint32Array(size);
    const low = new Uint32Array(size);
    const owner = new Uint32Array(size);
    const out = new Uint32Array(2);
    let at = 0;
    hosts.forEach((h, i) => {
      const prefix = `${hostHashKey(h, useHostname)}_`;
      for (let n = 0; n < counts[i]!; n++, at++) {
        hash64Into(prefix + n, hashFunction, out);
        high[at] = out[0]!;
        low[at] = out[1]!;
        owner[at] = i;
      }
    });
    this.size = size;
    [this.high, this.low, this.owner] = sortEntries([high, low, owner]);
  }

  /** Position of the first entry whose hash is >= hi:lo, wrapping to 0. */
  find(hi: number, lo: number): number {
    let first = 0;
    let last = this.size;
    while (first < last) {
      const mid = (first + last) >>> 1;
      const h = this.high[mid]!;
      if (h < hi || (h === hi && this.low[mid]! < lo)) first = mid + 1;
      else last = mid;
    }
    return first === this.size ? 0 : first;
  }

  hostAt(position: number): Host {
    return this.hosts[this.owner[position]!]!;
  }

  /** Entries a host owns (for tests and admin output). */
  entriesOf(host: Host): number {
    const index = this.hosts.indexOf(host);
    let n = 0;
    for (let k = 0; k < this.size; k++) if (this.owner[k] === index) n++;
    return n;
  }
}

/** Ring entries column by column: hash high words, hash low words, owning host index. */
type Columns = [high: Uint32Array, low: Uint32Array, owner: Uint32Array];

/**
 * Sorts ring entries by their 64-bit hash with a stable LSD radix sort (8 bits per pass),
 * moving the three columns together so every pass reads sequentially. Equal hashes keep
 * host order, so the ring is deterministic.
 */
function sortEntries(entries: Columns): Columns {
  const n = entries[0].length;
  let [high, low, owner] = entries;
  let [nextHigh, nextLow, nextOwner]: Columns = [new Uint32Array(n), new Uint32Array(n), new Uint32Array(n)];
  const counts = new Uint32Array(257);
  for (let pass = 0; pass < 8; pass++) {
    const shift = (pass & 3) * 8;
    const words = pass < 4 ? low : high;
    counts.fill(0);
    for (let i = 0; i < n; i++) counts[((words[i]! >>> shift) & 0xff) + 1]!++;
    for (let d = 1; d <= 256; d++) counts[d]! += counts[d - 1]!;
    for (let i = 0; i < n; i++) {
      const to = counts[(words[i]! >>> shift) & 0xff]!++;
      nextHigh[to] = high[i]!;
      nextLow[to] = low[i]!;
      nextOwner[to] = owner[i]!;
    }
    [high, low, owner, nextHigh, nextLow, nextOwner] = [nextHigh, nextLow, nextOwner, high, low, owner];
  }
  return [high, low, owner];
}

export class RingHashLoadBalancer implements LoadBalancer {
  readonly ring: Ring;
  /** Panic mode: the ring holds every host (Envoy counts these picks as lb_healthy_panic). */
  readonly inPanic: boolean;
  /** Ring position of the current pick's hash, shared by its retry attempts. */
  private position = 0;

  constructor(
    hostSet: HostSet,
    cluster: Cluster,
    private readonly random: RandomSource = Math.random,
  ) {
    const config = cluster.ring_hash_lb_config;
    const { hosts, panic } = hashedHosts(hostSet, cluster);
    this.inPanic = panic;
    this.ring = new Ring(
      hosts,
      config?.minimum_ring_size?.value ?? DEFAULT_MIN_RING_SIZE,
      config?.maximum_ring_size?.value ?? DEFAULT_MAX_RING_SIZE,
      config?.hash_function ?? 'XX_HASH',
      useHostnameForHashing(cluster),
    );
  }

  chooseHost(context?: LbContext): Host | null {
    if (this.ring.size === 0) return null;
    const key = context?.hashKey;
    this.position =
      key === undefined
        ? this.ring.find(randomWord(this.random), randomWord(this.random))
        : this.ring.find(hashHigh(key), hashLow(key));
    return chooseWithRetries(this, context);
  }

  /** A retry behaves as if the previous entries were not on the ring: step `attempt` entries on. */
  pickOnce(attempt: number): Host | null {
    return this.ring.hostAt(attempt === 0 ? this.position : (this.position + attempt) % this.ring.size);
  }
}

function validate(cluster: Cluster): void {
  validateCommonLbConfig(cluster);
  const config = cluster.ring_hash_lb_config;
  const min = config?.minimum_ring_size?.value ?? DEFAULT_MIN_RING_SIZE;
  const max = config?.maximum_ring_size?.value ?? DEFAULT_MAX_RING_SIZE;
  for (const [field, value] of [['minimum_ring_size', min], ['maximum_ring_size', max]] as const) {
    if (!Number.isInteger(value) || value < 1 || value > DEFAULT_MAX_RING_SIZE) {
      throw new Error(`ring_hash_lb_config.${field} must be an integer between 1 and ${DEFAULT_MAX_RING_SIZE}, got ${value}`);
    }
  }
  if (min > max) throw new Error(`ring hash: minimum_ring_size (${min}) > maximum_ring_size (${max})`);
  const fn = config?.hash_function;
  if (fn !== undefined && fn !== 'XX_HASH' && fn !== 'MURMUR_HASH_2') {
    throw new Error(`ring_hash_lb_config.hash_function ${String(fn)} is not supported; use XX_HASH or MURMUR_HASH_2`);
  }
}

export const ringHashFactory: LoadBalancerFactory = {
  policy: 'RING_HASH',
  validate,
  create(hostSet, cluster, random) {
    validate(cluster);
    return new RingHashLoadBalancer(hostSet, cluster, random);
  },
};
