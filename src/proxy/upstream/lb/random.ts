// RANDOM: a uniform pick when weights are equal; when they differ, a pick proportional to
// weight (binary search over cumulative weights built once). Envoy's RANDOM ignores weights;
// honouring them is a deliberate difference, so a weighted endpoint set means the same thing
// under every policy.
import type { Host } from '../host.js';
import type { HostSet, LbContext, LoadBalancer, LoadBalancerFactory } from '../load_balancer.js';
import {
  chooseWithRetries,
  planSources,
  randomIndex,
  SourceSelector,
  validateCommonLbConfig,
  weightOf,
  weightsAreEqual,
  type Cluster,
  type RandomSource,
} from './base.js';

/** Random pick over one host list. */
class RandomPicker {
  /** cumulative[i] = sum of weights of hosts[0..i]; null when weights are equal. */
  private readonly cumulative: Float64Array | null = null;

  constructor(
    private readonly hosts: readonly Host[],
    private readonly random: RandomSource,
  ) {
    if (!weightsAreEqual(hosts)) {
      this.cumulative = new Float64Array(hosts.length);
      let sum = 0;
      hosts.forEach((h, i) => (this.cumulative![i] = sum += weightOf(h)));
    }
  }

  pick(): Host {
    const cumulative = this.cumulative;
    if (cumulative === null) return this.hosts[randomIndex(this.random, this.hosts.length)]!;
    const target = this.random() * cumulative[cumulative.length - 1]!;
    // First host whose cumulative weight exceeds the target.
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cumulative[mid]! > target) hi = mid;
      else lo = mid + 1;
    }
    return this.hosts[lo]!;
  }
}

export class RandomLoadBalancer implements LoadBalancer {
  private readonly sources: SourceSelector<RandomPicker>;

  constructor(
    hostSet: HostSet,
    cluster: Cluster,
    private readonly random: RandomSource = Math.random,
  ) {
    this.sources = new SourceSelector(planSources(hostSet, cluster), (hosts) => new RandomPicker(hosts, random));
  }

  chooseHost(context?: LbContext): Host | null {
    return chooseWithRetries(this, context);
  }

  pickOnce(): Host | null {
    const picker = this.sources.select(this.random);
    return picker === null ? null : picker.pick();
  }
}

export const randomFactory: LoadBalancerFactory = {
  policy: 'RANDOM',
  validate: validateCommonLbConfig,
  create(hostSet, cluster, random) {
    validateCommonLbConfig(cluster);
    return new RandomLoadBalancer(hostSet, cluster, random);
  },
};
