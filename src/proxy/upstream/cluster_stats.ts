// Envoy's per-cluster statistics (cluster.<name>.*), declared once. Per-status-code
// counters (upstream_rq_200, upstream_rq_2xx) are created on first use, as in Envoy.
import { declareStats, type StatsOf } from '../stats/declare.js';

export const CLUSTER_STATS = declareStats({
  counters: [
    'assignment_stale', 'assignment_timeout_received', 'bind_errors', 'lb_healthy_panic',
    'lb_local_cluster_not_ok', 'lb_recalculate_zone_structures', 'lb_subsets_created', 'lb_subsets_fallback',
    'lb_subsets_fallback_panic', 'lb_subsets_removed', 'lb_subsets_selected', 'lb_zone_cluster_too_small',
    'lb_zone_no_capacity_left', 'lb_zone_number_differs', 'lb_zone_routing_all_directly',
    'lb_zone_routing_cross_zone', 'lb_zone_routing_sampled', 'membership_change', 'original_dst_host_invalid',
    'retry_or_shadow_abandoned', 'update_attempt', 'update_empty', 'update_failure', 'update_no_rebuild',
    'update_success', 'upstream_cx_close_notify', 'upstream_cx_connect_attempts_exceeded',
    'upstream_cx_connect_fail', 'upstream_cx_connect_timeout', 'upstream_cx_connect_with_0_rtt',
    'upstream_cx_destroy', 'upstream_cx_destroy_local', 'upstream_cx_destroy_local_with_active_rq',
    'upstream_cx_destroy_remote', 'upstream_cx_destroy_remote_with_active_rq', 'upstream_cx_destroy_with_active_rq',
    'upstream_cx_http1_total', 'upstream_cx_http2_total', 'upstream_cx_http3_total', 'upstream_cx_idle_timeout',
    'upstream_cx_max_duration_reached', 'upstream_cx_max_requests', 'upstream_cx_none_healthy',
    'upstream_cx_overflow', 'upstream_cx_pool_overflow', 'upstream_cx_protocol_error', 'upstream_cx_rx_bytes_total',
    'upstream_cx_total', 'upstream_cx_tx_bytes_total', 'upstream_flow_control_backed_up_total',
    'upstream_flow_control_drained_total', 'upstream_flow_control_paused_reading_total',
    'upstream_flow_control_resumed_reading_total', 'upstream_http3_broken', 'upstream_internal_redirect_failed_total',
    'upstream_internal_redirect_succeeded_total', 'upstream_rq_cancelled', 'upstream_rq_completed',
    'upstream_rq_maintenance_mode', 'upstream_rq_max_duration_reached', 'upstream_rq_pending_failure_eject',
    'upstream_rq_pending_overflow', 'upstream_rq_pending_total', 'upstream_rq_per_try_idle_timeout',
    'upstream_rq_per_try_timeout', 'upstream_rq_retry', 'upstream_rq_retry_backoff_exponential',
    'upstream_rq_retry_backoff_ratelimited', 'upstream_rq_retry_limit_exceeded', 'upstream_rq_retry_overflow',
    'upstream_rq_retry_success', 'upstream_rq_rx_reset', 'upstream_rq_timeout', 'upstream_rq_total',
    'upstream_rq_tx_reset',
  ],
  gauges: [
    'lb_subsets_active', 'max_host_weight', 'membership_degraded', 'membership_excluded', 'membership_healthy',
    'membership_total', 'upstream_cx_active', 'upstream_cx_rx_bytes_buffered', 'upstream_cx_tx_bytes_buffered',
    'upstream_rq_active', 'upstream_rq_pending_active', 'version',
  ],
  histograms: ['upstream_cx_connect_ms', 'upstream_cx_length_ms'],
  // Membership is computed once (by the process that owns discovery), not per worker.
  neverImportGauges: ['membership_degraded', 'membership_excluded', 'membership_healthy', 'membership_total', 'max_host_weight', 'version'],
});

export type ClusterStats = StatsOf<typeof CLUSTER_STATS>;

/** circuit_breakers.<priority>.* gauges: 1 while the breaker is open. */
export const CIRCUIT_BREAKER_STATS = declareStats({
  counters: [],
  gauges: ['cx_open', 'cx_pool_open', 'rq_open', 'rq_pending_open', 'rq_retry_open', 'remaining_cx', 'remaining_pending', 'remaining_retries', 'remaining_rq', 'remaining_cx_pools'],
  histograms: [],
});

export type CircuitBreakerStats = StatsOf<typeof CIRCUIT_BREAKER_STATS>;

export const CLUSTER_MANAGER_STATS = declareStats({
  counters: ['cluster_added', 'cluster_modified', 'cluster_removed', 'cluster_updated', 'cluster_updated_via_merge', 'update_merge_cancelled', 'update_out_of_merge_window'],
  gauges: ['active_clusters', 'warming_clusters'],
  histograms: [],
  neverImportGauges: ['active_clusters', 'warming_clusters'],
});
