// envoy.filters.http.cors: registration. The filter's own config (Cors) is empty; what
// it does comes from CorsPolicy per route, virtual host or route configuration
// (typed_per_filter_config), compiled when the route configuration loads.
import { httpFilterRegistry } from '../../http/http_filter_registry.js';
import { LEGACY_CORS_TYPE } from '../../http/route/per_filter_config.js';
import { CorsFilter, CORS_FILTER_NAME } from './filter.js';
import { CorsPolicy } from './policy.js';
import { CORS_STATS } from './stats.js';

const T = 'type.googleapis.com/';

httpFilterRegistry.register({
  names: [CORS_FILTER_NAME, 'envoy.cors'],
  typeUrls: [`${T}envoy.extensions.filters.http.cors.v3.Cors`],
  routeSpecificConfig: {
    typeUrls: [`${T}envoy.extensions.filters.http.cors.v3.CorsPolicy`, LEGACY_CORS_TYPE],
    create: (config, path, context) => new CorsPolicy(config, path, context.runtime),
  },
  createFilterFactory(_config, _path, context) {
    // One set of counters per connection manager (http.<stat_prefix>.cors.*), shared by its streams.
    const stats = CORS_STATS.create(context.stats.scope(`${context.hcmStatPrefix}cors.`));
    return () => {
      const filter = new CorsFilter(stats);
      return { decoder: filter, encoder: filter };
    };
  },
});
