// envoy.filters.http.router registration and config.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { unwrap } from '../../../api/json/wkt.js';
import { httpFilterRegistry } from '../../http/http_filter_registry.js';
import type { HcmStats } from '../../network/http_connection_manager/stats.js';
import type { ClusterManager } from '../../upstream/cluster_manager.js';
import { RouterFilter } from './router.js';

export interface RouterConfig {
  suppressEnvoyHeaders: boolean;
  respectExpectedRqTimeout: boolean;
  dynamicStats: boolean;
  hcmStats: HcmStats;
  clusterManager: ClusterManager;
}

type RouterProto = envoy.extensions.filters.http.router.v3.Router;

httpFilterRegistry.register({
  names: ['envoy.filters.http.router', 'envoy.router'],
  typeUrls: ['type.googleapis.com/envoy.extensions.filters.http.router.v3.Router'],
  terminal: true,
  createFilterFactory(raw, _path, context) {
    const proto = raw as RouterProto;
    const config: RouterConfig = {
      suppressEnvoyHeaders: proto.suppress_envoy_headers === true,
      respectExpectedRqTimeout: proto.respect_expected_rq_timeout === true,
      dynamicStats: unwrap(proto.dynamic_stats, true),
      hcmStats: context.hcmStats,
      clusterManager: context.clusterManager,
    };
    return () => {
      const filter = new RouterFilter(config);
      return { decoder: filter };
    };
  },
});
