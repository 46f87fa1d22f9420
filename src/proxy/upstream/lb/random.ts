// RANDOM: a uniform pick among the available hosts. Like Envoy's random balancer it
// ignores endpoint weights (use ROUND_ROBIN or LEAST_REQUEST for weighted traffic).
import type { Host } from '../host.js';
import type { HostSet, LbContext, LoadBalancer, LoadBalancerFactory } from '../load_balancer.js';
import { chooseWithRetries, planSources, randomIndex, SourceSelector, validateCommonLbConfig, type Cluster, type RandomSource } from './base.js';

/** Uniform pick over one host list. */
class RandomPicker {
  constructor(
    private readonly hosts: readonly Host[],
    private readonly random: RandomSource,
  ) {}

  pick(): Host {
    return this.hosts[randomIndex(this.random, this.hosts.length)]!;
  }
}

export class RandomLoadBalancer implements LoadBalancer {
  private readonly sources: SourceSelector<RandomPicker>;
  /** Panic mode: picks spread over all hosts (Envoy counts these picks as lb_healthy_panic). */
  readonly inPanic: boolean;

  constructor(
    hostSet: HostSet,
    cluster: Cluster,
    private readonly random: RandomSource = Math.random,
  ) {
    this.sources = new SourceSelector(planSources(hostSet, cluster), (hosts) => new RandomPicker(hosts, random));
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

export const randomFactory: LoadBalancerFactory = {
  policy: 'RANDOM',
  validate: validateCommonLbConfig,
  create(hostSet, cluster, random) {
    validateCommonLbConfig(cluster);
    return new RandomLoadBalancer(hostSet, cluster, random);
  },
};
