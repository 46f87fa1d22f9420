// Everything the server receives over xDS, wired together: the client (muxes per
// config source), CDS and LDS, and the RDS route configs and SDS secrets that
// listeners and clusters wait for. The registries own listeners and clusters; this
// owns the subscriptions that feed them.
import type { Bootstrap } from '../../../api/bootstrap.js';
import type { envoy } from '../../../api/envoy-types.generated.js';
import { CLUSTER_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../../api/xds/resource_types.js';
import { logger } from '../../../common/logger.js';
import type { StatsStore } from '../../stats/store.js';
import { checkSecret } from '../../tls/tls_material.js';
import type { ClusterManager } from '../../upstream/cluster_manager.js';
import type { XdsSubscriber } from '../../xds/subscriber.js';
import type { Subscription } from '../../xds/types.js';
import type { ClusterRegistry } from '../cluster_registry.js';
import type { LocalInfo } from '../factory_context.js';
import type { ListenerRegistry } from '../listener_registry.js';
import { compileRdsRouteTable, type RouteConfiguration } from '../route_configs.js';
import type { Runtime } from '../runtime.js';
import type { Workers } from '../workers.js';
import { CdsApi } from './cds_api.js';
import { LdsApi } from './lds_api.js';
import { NamedResources } from './named_resources.js';
import { ConfigSourceSubscriber } from '../../xds/config_source_subscriber.js';
import { xdsClusterTarget } from './xds_cluster_target.js';

const log = logger('config');

type Secret = envoy.extensions.transport_sockets.tls.v3.Secret;

export interface DynamicConfigEnv {
  bootstrap: Bootstrap;
  localInfo: LocalInfo;
  stats: StatsStore;
  runtime: Runtime;
  workers(): Workers;
  /** Knows the active clusters' names (RDS `validate_clusters`). */
  clusterNames(): Pick<ClusterManager, 'hasCluster'>;
  clusters(): ClusterRegistry;
}

export class DynamicConfig {
  readonly routes: NamedResources<RouteConfiguration>;
  readonly secrets: NamedResources<Secret>;
  cds?: CdsApi;
  lds?: LdsApi;
  private client?: ConfigSourceSubscriber;
  private readonly topLevel: Subscription[] = [];

  constructor(private readonly env: DynamicConfigEnv) {
    this.routes = new NamedResources<RouteConfiguration>(ROUTE_TYPE, 'route config', () => this.subscriber(), {
      validate: (name, resource) => {
        const config = resource as RouteConfiguration;
        compileRdsRouteTable(config, `RouteConfiguration "${name}"`, env.runtime, env.clusterNames());
        return config;
      },
      install: (name, config) => env.workers().setRouteConfig(name, config),
    });
    this.secrets = new NamedResources<Secret>(SECRET_TYPE, 'secret', () => this.subscriber(), {
      validate: (name, resource) => {
        const secret = resource as Secret;
        checkSecret(secret, `Secret "${name}"`);
        return secret;
      },
      install: (name, secret, versionInfo) => env.workers().setSecret(name, secret, versionInfo),
    });
  }

  /** The xDS client, created on first use (a static config never opens a stream). */
  subscriber(): XdsSubscriber {
    if (!this.client) {
      this.client = new ConfigSourceSubscriber({
        node: this.env.localInfo.node,
        adsConfig: this.env.bootstrap.dynamic_resources?.ads_config,
        resolveCluster: (name) => xdsClusterTarget(name, this.env.clusters().active.get(name)),
        stats: this.env.stats.scope(''),
      });
      this.client.start();
    }
    return this.client;
  }

  /** CDS from dynamic_resources.cds_config; resolves when the first round warmed (or timed out). */
  async startCds(clusters: ClusterRegistry): Promise<void> {
    const source = this.env.bootstrap.dynamic_resources?.cds_config;
    if (!source) return;
    this.cds = new CdsApi(clusters);
    log.info('cm init: initializing cds');
    this.topLevel.push(this.subscriber().subscribe({ source, at: 'dynamic_resources.cds_config', typeUrl: CLUSTER_TYPE, names: '*', callbacks: this.cds, statsPrefix: 'cluster_manager.cds.' }));
    await this.cds.initialized;
    log.info('cm init: all clusters initialized');
  }

  /** LDS from dynamic_resources.lds_config; resolves when the first round warmed (or timed out). */
  async startLds(listeners: ListenerRegistry): Promise<void> {
    const source = this.env.bootstrap.dynamic_resources?.lds_config;
    if (!source) return;
    this.lds = new LdsApi(listeners);
    this.topLevel.push(this.subscriber().subscribe({ source, at: 'dynamic_resources.lds_config', typeUrl: LISTENER_TYPE, names: '*', callbacks: this.lds, statsPrefix: 'listener_manager.lds.' }));
    await this.lds.initialized;
    log.info('lds: initial listeners are in');
  }

  /** The xDS client if any config source opened one (config_dump reads its muxes). */
  get xdsClient(): ConfigSourceSubscriber | undefined {
    return this.client;
  }

  stop(): void {
    for (const s of this.topLevel) s.cancel();
    this.routes.close();
    this.secrets.close();
    this.client?.stop();
  }
}
