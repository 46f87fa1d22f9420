// ROUND_ROBIN as Envoy does it: a rotating index when every host has the same weight, the
// EDF scheduler when weights differ (smooth interleaving rather than blocks of one host).
// Both start at a random point so that many balancers do not hit the same host first.
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

export class RoundRobinLoadBalancer implements LoadBalancer {
  private readonly sources: SourceSelector<RoundRobinPicker>;
  /** Panic mode: picks spread over all hosts (Envoy counts these picks as lb_healthy_panic). */
  readonly inPanic: boolean;

  constructor(
    hostSet: HostSet,
    cluster: Cluster,
    private readonly random: RandomSource = Math.random,
  ) {
    this.sources = new SourceSelector(planSources(hostSet, cluster), (hosts) => new RoundRobinPicker(hosts, random));
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

export const roundRobinFactory: LoadBalancerFactory = {
  policy: 'ROUND_ROBIN',
  validate: validateCommonLbConfig,
  create(hostSet, cluster, random) {
    validateCommonLbConfig(cluster);
    return new RoundRobinLoadBalancer(hostSet, cluster, random);
  },
};
