// RANDOM: a uniform pick among the available hosts. Like Envoy's random balancer it
// ignores endpoint weights (use ROUND_ROBIN or LEAST_REQUEST for weighted traffic).
import type { Host } from '../host.js';
import type { HostSet, LoadBalancerFactory } from '../load_balancer.js';
import { randomIndex, validateCommonLbConfig, type Cluster, type RandomSource, PickerLoadBalancer } from './base.js';

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

export class RandomLoadBalancer extends PickerLoadBalancer<RandomPicker> {
  constructor(hostSet: HostSet, cluster: Cluster, random: RandomSource = Math.random) {
    super(hostSet, cluster, random, (hosts) => new RandomPicker(hosts, random));
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
