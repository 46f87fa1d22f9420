// Chooses the discovery for a cluster's `type`.
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import type { Cluster } from '../cluster_info.js';
import type { ClusterStats } from '../cluster_stats.js';
import { DnsDiscovery } from './dns.js';
import { EdsDiscovery } from './eds.js';
import type { XdsSubscriber } from '../../xds/subscriber.js';
import { StaticDiscovery } from './static.js';
import type { ClusterDiscovery } from './types.js';

/** `xds`: where EDS clusters subscribe; absent when the configuration has no xDS. */
export function createDiscovery(config: Cluster, path: string, stats: ClusterStats, xds?: XdsSubscriber): ClusterDiscovery {
  if (config.cluster_type) {
    throw ConfigError.single(`${path}.cluster_type`, `custom cluster type ${config.cluster_type.name ?? ''} is not supported by skein`, spanOf(config));
  }
  const type = config.type ?? 'STATIC';
  switch (type) {
    case 'STATIC':
      return new StaticDiscovery(config, path);
    case 'STRICT_DNS':
      return new DnsDiscovery(config, path, false, stats);
    case 'LOGICAL_DNS':
      return new DnsDiscovery(config, path, true, stats);
    case 'EDS':
      if (xds) return new EdsDiscovery(config, path, xds);
      throw ConfigError.single(`${path}.type`, 'EDS clusters need a dynamic endpoint source (xDS), which this configuration does not provide', spanOf(config));
    case 'ORIGINAL_DST':
      throw ConfigError.single(`${path}.type`, 'ORIGINAL_DST clusters are not supported yet', spanOf(config));
    default:
      throw ConfigError.single(`${path}.type`, `unsupported cluster type ${type}`, spanOf(config));
  }
}
