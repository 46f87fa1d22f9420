// xDS stats with Envoy's names. Control-plane stats live under `control_plane.` of the
// server's scope; subscription stats under the scope of whatever subscribes
// (`listener_manager.lds.`, `cluster_manager.cds.`, `cluster.<name>.`,
// `http.<prefix>.rds.<route>.`, `sds.<secret>.`), as Envoy's SubscriptionStats.
import { createHash } from 'node:crypto';
import { declareStats, type StatsOf } from '../stats/declare.js';

export const CONTROL_PLANE_STATS = declareStats({
  counters: ['rate_limit_enforced'],
  gauges: ['connected_state', 'pending_requests'],
  histograms: [],
  neverImportGauges: ['connected_state', 'pending_requests'],
});
export type ControlPlaneStats = StatsOf<typeof CONTROL_PLANE_STATS>;

export const SUBSCRIPTION_STATS = declareStats({
  counters: ['init_fetch_timeout', 'update_attempt', 'update_empty', 'update_failure', 'update_rejected', 'update_success'],
  gauges: ['update_time', 'version'],
  histograms: ['update_duration'],
  neverImportGauges: ['update_time', 'version'],
  histogramUnits: { update_duration: 'Milliseconds' },
});
export type SubscriptionStats = StatsOf<typeof SUBSCRIPTION_STATS>;

/**
 * The `version` gauge: Envoy shows xxHash64(version_info) as a uint64. A JS number
 * holds 53 bits exactly, so skein shows the first 53 bits of SHA-256 instead: equal
 * versions give equal numbers, which is what the gauge is read for.
 */
export function versionHash(versionInfo: string): number {
  const digest = createHash('sha256').update(versionInfo).digest();
  return digest.readUIntBE(0, 6) * 32 + (digest[6]! >> 3);
}
