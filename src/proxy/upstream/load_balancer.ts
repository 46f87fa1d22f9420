// One interface for every load-balancing policy (ROUND_ROBIN, LEAST_REQUEST, RANDOM,
// RING_HASH, MAGLEV). A balancer is built for one snapshot of a cluster's hosts and
// rebuilt when membership or health changes, so picks never lock or re-sort.
import type { envoy } from '../../api/envoy-types.generated.js';
import type { Host } from './host.js';

export interface LbContext {
  /** Hash from the route's hash_policy (RING_HASH / MAGLEV); undefined → random pick. */
  hashKey?: bigint;
  /** Retry host predicate (previous_hosts): true means "pick another if you can". */
  shouldSelectAnotherHost?(host: Host): boolean;
  /** How many times to re-pick when shouldSelectAnotherHost rejects (host_selection_retry_max_attempts). */
  hostSelectionRetryCount?: number;
}

export interface LoadBalancer {
  /** The host for the next request, or null when none is available (→ 503 UH). */
  chooseHost(context?: LbContext): Host | null;
  /** Too few healthy hosts: picks spread over all hosts (counted as lb_healthy_panic). */
  readonly inPanic?: boolean;
}

/** The hosts a balancer is built over: one priority level, already split by health. */
export interface HostSet {
  readonly hosts: readonly Host[];
  readonly healthyHosts: readonly Host[];
  readonly degradedHosts: readonly Host[];
}

export interface LoadBalancerFactory {
  readonly policy: envoy.config.cluster.v3.Cluster.LbPolicy;
  /** Throws Error with a clear message when `cluster`'s LB config is invalid. */
  validate?(cluster: envoy.config.cluster.v3.Cluster): void;
  create(hostSet: HostSet, cluster: envoy.config.cluster.v3.Cluster, random?: () => number): LoadBalancer;
}
