// http.<stat_prefix>.fault.* — the fault filter's stats, by Envoy's names. Requests that
// say who sent them (x-envoy-downstream-service-cluster) also count under
// fault.<downstream_cluster>.*, created on first use as Envoy creates them.
import { declareStats, type StatsOf } from '../../stats/declare.js';
import type { StatsScope } from '../../stats/store.js';

export const FAULT_STATS = declareStats({
  counters: ['aborts_injected', 'delays_injected', 'faults_overflow'],
  gauges: ['active_faults'],
  histograms: [],
});

/** http.<stat_prefix>.fault.<downstream_cluster>.* */
export const FAULT_DOWNSTREAM_CLUSTER_STATS = declareStats({
  counters: ['aborts_injected', 'delays_injected'],
  gauges: [],
  histograms: [],
});

type DownstreamClusterStats = StatsOf<typeof FAULT_DOWNSTREAM_CLUSTER_STATS>;

/** One per filter config: the shared counters and the active-fault gauge max_active_faults reads. */
export class FaultStats {
  readonly common: StatsOf<typeof FAULT_STATS>;
  private readonly byDownstreamCluster = new Map<string, DownstreamClusterStats>();

  constructor(private readonly scope: StatsScope) {
    this.common = FAULT_STATS.create(scope);
  }

  downstreamCluster(name: string): DownstreamClusterStats {
    let stats = this.byDownstreamCluster.get(name);
    if (!stats) this.byDownstreamCluster.set(name, (stats = FAULT_DOWNSTREAM_CLUSTER_STATS.create(this.scope.scope(`${name}.`))));
    return stats;
  }
}
