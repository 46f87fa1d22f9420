// The load-balancing policies skein implements, keyed by Cluster.lb_policy. The cluster
// manager validates a cluster's LB config through `validate` when the cluster is added and
// builds a balancer per priority level with createLoadBalancer on every host-set change.
import type { envoy } from '../../../api/envoy-types.generated.js';
import type { HostSet, LoadBalancer, LoadBalancerFactory } from '../load_balancer.js';
import type { Cluster, RandomSource } from './base.js';
import { leastRequestFactory } from './least_request.js';
import { maglevFactory } from './maglev.js';
import { randomFactory } from './random.js';
import { ringHashFactory } from './ring_hash.js';
import { roundRobinFactory } from './round_robin.js';

type LbPolicy = envoy.config.cluster.v3.Cluster.LbPolicy;

export const loadBalancerFactories: ReadonlyMap<string, LoadBalancerFactory> = new Map(
  [roundRobinFactory, leastRequestFactory, randomFactory, ringHashFactory, maglevFactory].map((f) => [f.policy, f]),
);

const UNSUPPORTED: Partial<Record<LbPolicy, string>> = {
  CLUSTER_PROVIDED: 'it is only meaningful for ORIGINAL_DST clusters, which skein does not support yet',
  LOAD_BALANCING_POLICY_CONFIG: 'load_balancing_policy extensions are not supported yet',
};

/** The factory for `cluster.lb_policy` (default ROUND_ROBIN); throws for policies skein lacks. */
export function loadBalancerFactory(cluster: Cluster): LoadBalancerFactory {
  const policy = cluster.lb_policy ?? 'ROUND_ROBIN';
  const factory = loadBalancerFactories.get(policy);
  if (factory) return factory;
  const why = UNSUPPORTED[policy] ?? 'it is not a known policy';
  throw new Error(`lb_policy ${policy} is not supported (${why}); use one of ${[...loadBalancerFactories.keys()].join(', ')}`);
}

/** Builds the balancer `cluster` asks for over one priority level's hosts. */
export function createLoadBalancer(hostSet: HostSet, cluster: Cluster, random?: RandomSource): LoadBalancer {
  return loadBalancerFactory(cluster).create(hostSet, cluster, random);
}

export { hash64, murmurHash2, xxHash64 } from './hash.js';
