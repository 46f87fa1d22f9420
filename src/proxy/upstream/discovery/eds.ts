// EDS clusters: membership comes from ClusterLoadAssignment resources delivered over
// xDS (named by eds_cluster_config.service_name, or the cluster's name). The first
// assignment (or the subscription's initial_fetch_timeout) ends the cluster's warming;
// later ones replace the host list, which workers apply to the next pick.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { ENDPOINT_TYPE } from '../../../api/xds/resource_types.js';
import { logger } from '../../../common/logger.js';
import type { XdsSubscriber } from '../../xds/subscriber.js';
import type { DecodedResource, Subscription, UpdateFailureReason } from '../../xds/types.js';
import type { HostDescription } from '../host.js';
import { describeResolved, endpointsOf, isIpAddress } from './endpoints.js';
import type { ClusterDiscovery } from './types.js';

const log = logger('upstream');

type Cluster = envoy.config.cluster.v3.Cluster;
type ClusterLoadAssignment = envoy.config.endpoint.v3.ClusterLoadAssignment;

/** Hosts of an assignment; EDS endpoints must be IP addresses, as in Envoy. */
export function hostsOfAssignment(assignment: ClusterLoadAssignment, path: string): HostDescription[] {
  return endpointsOf(assignment, path).map((spec) => {
    if (!isIpAddress(spec.address)) {
      throw ConfigError.single(`${spec.path}.endpoint.address.socket_address.address`, `malformed IP address: ${spec.address}`, spanOf(spec.source));
    }
    return describeResolved(spec, spec.address, spec.hostname);
  });
}

export class EdsDiscovery implements ClusterDiscovery {
  readonly initialized: Promise<void>;
  readonly serviceName: string;
  /** The last accepted assignment (config_dump's dynamic_endpoint_configs). */
  assignment?: { config: ClusterLoadAssignment; versionInfo: string; lastUpdated: Date };
  private markInitialized!: () => void;
  private subscription?: Subscription;
  private onHosts?: (hosts: HostDescription[]) => void;

  constructor(
    private readonly cluster: Cluster,
    private readonly path: string,
    private readonly xds: XdsSubscriber,
  ) {
    this.serviceName = cluster.eds_cluster_config?.service_name || cluster.name || '';
    this.initialized = new Promise((resolve) => (this.markInitialized = resolve));
    if (!cluster.eds_cluster_config?.eds_config) {
      throw ConfigError.single(`${path}.eds_cluster_config.eds_config`, 'an EDS cluster needs eds_cluster_config.eds_config (e.g. {ads: {}})', spanOf(cluster));
    }
  }

  start(onHosts: (hosts: HostDescription[]) => void): void {
    this.onHosts = onHosts;
    const name = this.cluster.name ?? '';
    this.subscription = this.xds.subscribe({
      source: this.cluster.eds_cluster_config?.eds_config,
      at: `${this.path}.eds_cluster_config.eds_config`,
      typeUrl: ENDPOINT_TYPE,
      names: [this.serviceName],
      statsPrefix: `cluster.${this.cluster.alt_stat_name || name}.`,
      callbacks: {
        onConfigUpdate: (added, removed, versionInfo) => this.apply(added, removed, versionInfo),
        onConfigUpdateFailed: (reason) => this.failed(reason),
      },
    });
  }

  private apply(added: DecodedResource[], removed: string[], versionInfo: string): void {
    const mine = added.find((r) => r.name === this.serviceName);
    if (mine) {
      const config = mine.resource as ClusterLoadAssignment;
      const hosts = hostsOfAssignment(config, `ClusterLoadAssignment "${this.serviceName}"`);
      this.assignment = { config, versionInfo, lastUpdated: new Date() };
      this.onHosts?.(hosts);
    } else if (removed.includes(this.serviceName)) {
      // The control plane withdrew the assignment: the cluster has no endpoints.
      this.assignment = undefined;
      this.onHosts?.([]);
    }
    this.markInitialized();
  }

  private failed(reason: UpdateFailureReason): void {
    if (reason === 'FetchTimedOut') {
      log.warn(`cluster '${this.cluster.name}': no endpoints within initial_fetch_timeout; continuing without them`);
      this.markInitialized();
    }
  }

  stop(): void {
    this.subscription?.cancel();
    this.subscription = undefined;
  }
}
