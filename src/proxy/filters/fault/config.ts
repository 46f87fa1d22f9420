// envoy.filters.http.fault: registration and config. The chain's HTTPFault and each
// route's override (typed_per_filter_config, same message type) compile to
// FaultSettings when their config loads; stats and the active-fault gauge belong to the
// chain's filter, under http.<stat_prefix>.fault.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { httpFilterRegistry } from '../../http/http_filter_registry.js';
import { randomDraw } from '../../server/runtime.js';
import { FaultSettings } from './fault_settings.js';
import { FaultFilter, type FaultFilterConfig } from './filter.js';
import { FaultStats } from './stats.js';

export const FAULT_FILTER_NAME = 'envoy.filters.http.fault';
export const FAULT_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

type HttpFaultProto = envoy.extensions.filters.http.fault.v3.HTTPFault;

httpFilterRegistry.register({
  names: [FAULT_FILTER_NAME, 'envoy.fault'],
  typeUrls: [FAULT_TYPE_URL],
  routeSpecificConfig: {
    typeUrls: [FAULT_TYPE_URL],
    create: (config, path) => new FaultSettings(config as HttpFaultProto, path),
  },
  createFilterFactory(raw, path, context) {
    const config: FaultFilterConfig = {
      settings: new FaultSettings(raw as HttpFaultProto, path),
      stats: new FaultStats(context.stats.scope(`${context.hcmStatPrefix}fault.`)),
      runtime: context.runtime,
      filterName: FAULT_FILTER_NAME,
      random: randomDraw,
    };
    return () => ({ decoder: new FaultFilter(config) });
  },
});
