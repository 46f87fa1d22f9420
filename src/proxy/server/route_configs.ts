// Route configurations delivered by RDS, by name. The main process subscribes and
// validates; every data plane keeps the compiled tables here, and connection
// managers whose HCM says `rds: {route_config_name: X}` read `X` per request, so a
// new version applies to the next request without touching listeners or connections.
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';
import { unwrap } from '../../api/json/wkt.js';
import { RouteTable } from '../http/route/route_table.js';
import type { RouteConfigProvider } from '../network/http_connection_manager/config.js';
import type { ClusterManager } from '../upstream/cluster_manager.js';
import type { Runtime } from './runtime.js';

export type RouteConfiguration = envoy.config.route.v3.RouteConfiguration;

/**
 * Compiles a RouteConfiguration the way RDS does: `validate_clusters` defaults to
 * false (clusters may arrive later over CDS), true only when the resource says so.
 */
export function compileRdsRouteTable(config: RouteConfiguration, path: string, runtime: Runtime, clusters?: Pick<ClusterManager, 'hasCluster'>): RouteTable {
  const validate = unwrap(config.validate_clusters, false) && clusters;
  return new RouteTable(config, {
    runtime,
    validateCluster: validate
      ? (name, at, obj) => {
          if (!clusters.hasCluster(name)) throw ConfigError.single(at, `route refers to unknown cluster "${name}"`, spanOf(obj));
        }
      : undefined,
  }, path);
}

export class DynamicRouteConfigs {
  private readonly tables = new Map<string, RouteTable>();

  constructor(
    private readonly runtime: Runtime,
    private readonly clusters: ClusterManager,
  ) {}

  /** Installs (or replaces) a route configuration. Throws ConfigError when it does not compile. */
  set(name: string, config: RouteConfiguration): void {
    this.tables.set(name, compileRdsRouteTable(config, `route_config "${name}"`, this.runtime, this.clusters));
  }

  /** The resource went away: connection managers using it answer 404 (no route) until it returns. */
  remove(name: string): void {
    this.tables.delete(name);
  }

  /** What an HCM with `rds` reads: always the latest table of that name. */
  provider(rds: envoy.extensions.filters.network.http_connection_manager.v3.Rds): RouteConfigProvider {
    const name = rds.route_config_name ?? '';
    return { current: () => this.tables.get(name) };
  }
}
