// LEAST_REQUEST as Envoy does it. Equal weights: sample `choice_count` hosts at random and
// take the one with the fewest active requests (power of two choices); when there are no
// more hosts than choices, scan them all and break ties at random. Different weights: the
// EDF scheduler with each host's weight divided by (active + 1)^active_request_bias,
// recomputed for a host each time it is picked.
import type { Host } from '../host.js';
import type { HostSet, LoadBalancerFactory } from '../load_balancer.js';
import { randomIndex, validateCommonLbConfig, weightOf, weightsAreEqual, type Cluster, type RandomSource, PickerLoadBalancer } from './base.js';
import { EdfScheduler } from './edf.js';

const DEFAULT_CHOICE_COUNT = 2;
const DEFAULT_ACTIVE_REQUEST_BIAS = 1;

interface LeastRequestOptions {
  choiceCount: number;
  bias: number;
}

function optionsOf(cluster: Cluster): LeastRequestOptions {
  const config = cluster.least_request_lb_config;
  const bias = config?.active_request_bias?.default_value ?? DEFAULT_ACTIVE_REQUEST_BIAS;
  return {
    choiceCount: config?.choice_count?.value ?? DEFAULT_CHOICE_COUNT,
    // Envoy replaces a negative (or NaN) bias with 1.0 rather than rejecting the cluster.
    bias: Number.isFinite(bias) && bias >= 0 ? bias : DEFAULT_ACTIVE_REQUEST_BIAS,
  };
}

/** Least-request pick over one host list. */
class LeastRequestPicker {
  private readonly edf: EdfScheduler | null = null;

  constructor(
    private readonly hosts: readonly Host[],
    private readonly random: RandomSource,
    private readonly options: LeastRequestOptions,
  ) {
    if (hosts.length > 1 && !weightsAreEqual(hosts)) {
      const weights = Float64Array.from(hosts, (h) => this.effectiveWeight(h));
      this.edf = new EdfScheduler(weights, EdfScheduler.randomPicks(random));
    }
  }

  pick(): Host {
    if (this.edf !== null) {
      const host = this.hosts[this.edf.top()]!;
      this.edf.advance(this.effectiveWeight(host));
      return host;
    }
    return this.hosts.length <= this.options.choiceCount ? this.fullScan() : this.sample();
  }

  private effectiveWeight(host: Host): number {
    const bias = this.options.bias;
    if (bias === 0) return weightOf(host);
    if (bias === 1) return weightOf(host) / (host.activeRequests + 1);
    return weightOf(host) / Math.pow(host.activeRequests + 1, bias);
  }

  private sample(): Host {
    let best = this.hosts[randomIndex(this.random, this.hosts.length)]!;
    for (let i = 1; i < this.options.choiceCount; i++) {
      const candidate = this.hosts[randomIndex(this.random, this.hosts.length)]!;
      if (candidate.activeRequests < best.activeRequests) best = candidate;
    }
    return best;
  }

  /** Fewest active requests; ties broken uniformly by reservoir sampling. */
  private fullScan(): Host {
    let best = this.hosts[0]!;
    let tied = 1;
    for (let i = 1; i < this.hosts.length; i++) {
      const host = this.hosts[i]!;
      if (host.activeRequests < best.activeRequests) {
        best = host;
        tied = 1;
      } else if (host.activeRequests === best.activeRequests && randomIndex(this.random, ++tied) === 0) {
        best = host;
      }
    }
    return best;
  }
}

export class LeastRequestLoadBalancer extends PickerLoadBalancer<LeastRequestPicker> {
  constructor(hostSet: HostSet, cluster: Cluster, random: RandomSource = Math.random) {
    const options = optionsOf(cluster);
    super(hostSet, cluster, random, (hosts) => new LeastRequestPicker(hosts, random, options));
  }
}

function validate(cluster: Cluster): void {
  validateCommonLbConfig(cluster);
  const choiceCount = cluster.least_request_lb_config?.choice_count?.value;
  if (choiceCount !== undefined && (!Number.isInteger(choiceCount) || choiceCount < 2)) {
    throw new Error(`least_request_lb_config.choice_count must be an integer of at least 2, got ${choiceCount}`);
  }
}

export const leastRequestFactory: LoadBalancerFactory = {
  policy: 'LEAST_REQUEST',
  validate,
  create(hostSet, cluster, random) {
    validate(cluster);
    return new LeastRequestLoadBalancer(hostSet, cluster, random);
  },
};
