// What every balancer shares, decided once when it is built: which hosts it may pick from
// (healthy, degraded, or all of them in panic mode, as Envoy's LoadBalancerBase computes it
// for one priority level), config defaults, and the retry-host-predicate loop. Doing the
// health arithmetic at build time keeps chooseHost down to a comparison and an index.
import type { envoy } from '../../../api/envoy-types.generated.js';
import type { Host } from '../host.js';
import type { HostSet, LbContext, LoadBalancer } from '../load_balancer.js';

export type Cluster = envoy.config.cluster.v3.Cluster;
/** Uniform in [0, 1), like Math.random (tests pass a seeded one). */
export type RandomSource = () => number;

/** Envoy's default overprovisioning factor, 1.4, in percent. */
const OVERPROVISIONING_FACTOR = 140;
const DEFAULT_PANIC_THRESHOLD = 50;

/** healthy_panic_threshold as Envoy reads it: percent rounded to an integer, default 50, at most 100. */
export function panicThreshold(cluster: Cluster): number {
  const percent = cluster.common_lb_config?.healthy_panic_threshold;
  if (!percent) return DEFAULT_PANIC_THRESHOLD;
  return Math.min(100, Math.round(percent.value ?? 0));
}

/** Checks the common_lb_config fields the balancers read. */
export function validateCommonLbConfig(cluster: Cluster): void {
  const value = cluster.common_lb_config?.healthy_panic_threshold?.value ?? 0;
  if (!Number.isFinite(value) || value < 0 || value > 100) {
    throw new Error(`common_lb_config.healthy_panic_threshold must be between 0 and 100 percent, got ${value}`);
  }
}

/** A host's load-balancing weight; Envoy never lets it be below 1. */
export function weightOf(host: Host): number {
  return host.weight >= 1 ? host.weight : 1;
}

export function weightsAreEqual(hosts: readonly Host[]): boolean {
  for (let i = 1; i < hosts.length; i++) if (weightOf(hosts[i]!) !== weightOf(hosts[0]!)) return false;
  return true;
}

/** Which hosts a balancer picks from, and how traffic splits between healthy and degraded ones. */
export interface SourcePlan {
  /** Fewer than healthy_panic_threshold percent of hosts are available. */
  readonly panic: boolean;
  /** Healthy hosts, or every host in panic mode; empty when no traffic can be served. */
  readonly primary: readonly Host[];
  /** Degraded hosts taking the share of traffic the healthy ones cannot (never in panic). */
  readonly degraded: readonly Host[];
  /** Percent (0-100) of picks that go to `primary`; the rest go to `degraded`. */
  readonly primaryLoad: number;
}

/**
 * Envoy's per-priority health for a single priority level: health and degradation are scaled
 * by the overprovisioning factor, panic mode is entered only when total availability is below
 * 100% and fewer than the threshold percent of hosts are healthy or degraded.
 */
export function planSources(hostSet: HostSet, cluster: Cluster): SourcePlan {
  const total = hostSet.hosts.length;
  const healthy = hostSet.healthyHosts;
  // A host listed as both healthy and degraded counts as healthy.
  const healthySet = hostSet.degradedHosts.length > 0 ? new Set(healthy) : undefined;
  const degraded = healthySet ? hostSet.degradedHosts.filter((h) => !healthySet.has(h)) : [];
  if (total === 0) return { panic: true, primary: [], degraded: [], primaryLoad: 100 };
  const health = Math.min(100, Math.floor((OVERPROVISIONING_FACTOR * healthy.length) / total));
  const degradation = Math.min(100, Math.floor((OVERPROVISIONING_FACTOR * degraded.length) / total));
  const availability = Math.min(100, health + degradation);
  const threshold = panicThreshold(cluster);
  const available = (100 * healthy.length) / total + (100 * degraded.length) / total;
  const panic = availability < 100 && available < threshold;
  if (panic) {
    const fail = cluster.common_lb_config?.zone_aware_lb_config?.fail_traffic_on_panic === true;
    return { panic, primary: fail ? [] : hostSet.hosts, degraded: [], primaryLoad: 100 };
  }
  if (availability === 0) return { panic, primary: healthy, degraded: [], primaryLoad: 100 };
  let primaryLoad = Math.min(100, Math.floor((health * 100) / availability));
  const degradedLoad = Math.min(100 - primaryLoad, Math.floor((degradation * 100) / availability));
  // Rounding leftovers go to the healthy hosts when there are any, as in Envoy.
  if (health > 0) primaryLoad = 100 - degradedLoad;
  return { panic, primary: healthy, degraded: degradedLoad > 0 ? degraded : [], primaryLoad };
}

/**
 * Holds one picker per host source and chooses between them per pick. Pickers are built
 * only for the sources the plan can use, so a healthy cluster pays for one.
 */
export class SourceSelector<P> {
  private readonly primary: P | null;
  private readonly degraded: P | null;
  private readonly primaryLoad: number;

  constructor(
    readonly plan: SourcePlan,
    build: (hosts: readonly Host[]) => P,
  ) {
    this.primary = plan.primary.length > 0 && plan.primaryLoad > 0 ? build(plan.primary) : null;
    this.degraded = plan.degraded.length > 0 && plan.primaryLoad < 100 ? build(plan.degraded) : null;
    this.primaryLoad = plan.primaryLoad;
  }

  select(random: RandomSource): P | null {
    if (this.degraded === null) return this.primary;
    if (this.primary === null) return this.degraded;
    return random() * 100 < this.primaryLoad ? this.primary : this.degraded;
  }
}

/**
 * The hosts RING_HASH and MAGLEV build their table over. Like Envoy's thread-aware balancers
 * they use healthy hosts, or all hosts in panic mode; degraded hosts are not placed.
 */
export function hashedHosts(hostSet: HostSet, cluster: Cluster): { hosts: readonly Host[]; panic: boolean } {
  const panic = planSources(hostSet, cluster).panic;
  return { hosts: panic ? hostSet.hosts : hostSet.healthyHosts, panic };
}

/** A balancer's single pick; `attempt` counts re-picks made for the retry host predicate. */
export interface SinglePick {
  pickOnce(attempt: number): Host | null;
}

/**
 * Envoy's host-selection retry: re-pick while `shouldSelectAnotherHost` rejects the host,
 * up to hostSelectionRetryCount extra times, and keep the last pick if every one is rejected.
 */
export function chooseWithRetries(lb: SinglePick, context: LbContext | undefined): Host | null {
  let host = lb.pickOnce(0);
  if (host === null || context?.shouldSelectAnotherHost === undefined) return host;
  const retries = context.hostSelectionRetryCount ?? 0;
  for (let attempt = 1; attempt <= retries; attempt++) {
    if (!context.shouldSelectAnotherHost(host)) return host;
    const next = lb.pickOnce(attempt);
    if (next === null) return host;
    host = next;
  }
  return host;
}

/** The string a host is placed on a ring / Maglev table by, as Envoy's hashKey(). */
export function hostHashKey(host: Host, useHostname: boolean): string {
  const fromMetadata = host.description.metadata?.filter_metadata?.['envoy.lb']?.['hash_key'];
  if (typeof fromMetadata === 'string' && fromMetadata !== '') return fromMetadata;
  if (useHostname && host.hostname !== '') return host.hostname;
  return host.address;
}

export function useHostnameForHashing(cluster: Cluster): boolean {
  return cluster.common_lb_config?.consistent_hashing_lb_config?.use_hostname_for_hashing === true;
}

/** A uniform random integer in [0, n), n below 2^32. */
export function randomIndex(random: RandomSource, n: number): number {
  return Math.floor(random() * n);
}

/** High 32 bits of a 64-bit pick hash, as an unsigned number. */
export function hashHigh(key: bigint): number {
  return Number(BigInt.asUintN(32, key >> 32n));
}

/** Low 32 bits of a 64-bit pick hash, as an unsigned number. */
export function hashLow(key: bigint): number {
  return Number(BigInt.asUintN(32, key));
}

/** A random 32-bit word, for hash-based balancers picking without a hash key. */
export function randomWord(random: RandomSource): number {
  return Math.floor(random() * 4294967296);
}

/** Picks one host from a fixed host list (one per health source: healthy, degraded, all). */
export interface HostPicker {
  pick(): Host;
}

/**
 * The shared shell of the list-based balancers (ROUND_ROBIN, RANDOM, LEAST_REQUEST):
 * choose the health source (healthy / degraded / panic), let that source's picker
 * choose, and re-pick for the retry host predicate.
 */
export class PickerLoadBalancer<P extends HostPicker> implements LoadBalancer {
  private readonly sources: SourceSelector<P>;
  /** Panic mode: picks spread over all hosts (Envoy counts these picks as lb_healthy_panic). */
  readonly inPanic: boolean;

  constructor(
    hostSet: HostSet,
    cluster: Cluster,
    private readonly random: RandomSource,
    makePicker: (hosts: readonly Host[]) => P,
  ) {
    this.sources = new SourceSelector(planSources(hostSet, cluster), makePicker);
    this.inPanic = this.sources.plan.panic;
  }

  chooseHost(context?: LbContext): Host | null {
    return chooseWithRetries(this, context);
  }

  pickOnce(): Host | null {
    const picker = this.sources.select(this.random);
    return picker === null ? null : picker.pick();
  }
}
