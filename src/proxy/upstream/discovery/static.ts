// STATIC clusters (and EDS-free fixed lists): addresses must already be IPs.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import type { HostDescription } from '../host.js';
import { describeResolved, endpointsOf, isIpAddress } from './endpoints.js';
import type { ClusterDiscovery } from './types.js';

export class StaticDiscovery implements ClusterDiscovery {
  readonly initialized = Promise.resolve();
  private readonly hosts: HostDescription[];

  constructor(cluster: envoy.config.cluster.v3.Cluster, path: string) {
    const specs = endpointsOf(cluster.load_assignment, `${path}.load_assignment`);
    this.hosts = specs.map((spec) => {
      if (!isIpAddress(spec.address)) {
        throw ConfigError.single(
          `${spec.path}.endpoint.address.socket_address.address`,
          `malformed IP address: ${spec.address} (a STATIC cluster needs IP addresses; use type STRICT_DNS or LOGICAL_DNS for names)`,
          spanOf(spec.source),
        );
      }
      return describeResolved(spec, spec.address, spec.hostname);
    });
  }

  start(onHosts: (hosts: HostDescription[]) => void): void {
    onHosts(this.hosts);
  }

  stop(): void {}
}
