// ROUND_ROBIN as Envoy does it: a rotating index when every host has the same weight, the
// EDF scheduler when weights differ (smooth interleaving rather than blocks of one host).
// Both start at a random point so that many balancers do not hit the same host first.
import type { Host } from '../host.js';
import type { HostSet, LoadBalancerFactory } from '../load_balancer.js';
import { randomIndex, validateCommonLbConfig, weightOf, weightsAreEqual, type Cluster, type RandomSource, PickerLoadBalancer } from './base.js';
import { EdfScheduler } from './edf.js';

/** Round robin over one host list. */
class RoundRobinPicker {
  private next: number;
  private readonly edf: EdfScheduler | null = null;
  private readonly weights: Float64Array | null = null;

  constructor(
    private readonly hosts: readonly Host[],
    random: RandomSource,
  ) {
    this.next = randomIndex(random, hosts.length);
    if (hosts.length > 1 && !weightsAreEqual(hosts)) {
      this.weights = Float64Array.from(hosts, weightOf);
      this.edf = new EdfScheduler(this.weights, EdfScheduler.randomPicks(random));
    }
  }

  pick(): Host {
    if (this.edf !== null) {
      const i = this.edf.top();
      this.edf.advance(this.weights![i]!);
      return this.hosts[i]!;
    }
    const i = this.next;
    this.next = i + 1 === this.hosts.length ? 0 : i + 1;
    return this.hosts[i]!;
  }
}

export class RoundRobinLoadBalancer extends PickerLoadBalancer<RoundRobinPicker> {
  constructor(hostSet: HostSet, cluster: Cluster, random: RandomSource = Math.random) {
    super(hostSet, cluster, random, (hosts) => new RoundRobinPicker(hosts, random));
  }
}

export const roundRobinFactory: LoadBalancerFactory = {
  policy: 'ROUND_ROBIN',
  validate: validateCommonLbConfig,
  create(hostSet, cluster, random) {
    validateCommonLbConfig(cluster);
    return new RoundRobinLoadBalancer(hostSet, cluster, random);
  },
};
