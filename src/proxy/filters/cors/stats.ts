// http.<stat_prefix>.cors.* — Envoy's CORS filter stats. Requests without an Origin
// header count in neither.
import { declareStats, type StatsOf } from '../../stats/declare.js';

export const CORS_STATS = declareStats({
  counters: ['origin_valid', 'origin_invalid'],
  gauges: [],
  histograms: [],
});

export type CorsStats = StatsOf<typeof CORS_STATS>;
