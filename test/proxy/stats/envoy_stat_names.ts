// Envoy's stat names and types, copied (names and types only) from Envoy's own docs and, where
// the docs leave a name out, from the stat macros in Envoy's source. stat_names.test.ts checks
// skein's declareStats() lists against these.
//
// Where the lists come from (repository envoyproxy/envoy unless noted; commits are the versions
// held by the search index used to collect them; the index does not map commits to releases):
//   [cluster-doc]   docs/root/configuration/upstream/cluster_manager/cluster_stats.rst @02aefdc5
//                   (a 1.38-era revision: it has upstream_rq_active_overflow, added in 1.38.0)
//   [hcm-doc]       docs/root/configuration/http/http_conn_man/stats.rst @06ffb225
//   [router-doc]    docs/root/configuration/http/http_filters/router_filter.rst @040783c8
//                   (section "Statistics"; has rq_overload_local_reply)
//   [fault-doc]     docs/root/configuration/http/http_filters/fault_filter.rst @0b369ea9 (section "Statistics")
//   [cors-doc]      docs/root/configuration/http/http_filters/cors_filter.rst @dbfd3239 (section "Statistics")
//   [listener-doc]  docs/root/configuration/listeners/stats.rst @a19aa540
//   [server-doc]    docs/root/configuration/observability/statistics.rst @25bbd976
//   [upstream-src]  envoy/upstream/stats.h @97b70e10 (ALL_CLUSTER_*_STATS macros)
//   [hcm-src]       source/common/http/conn_manager_config.h, ALL_HTTP_CONN_MAN_STATS (a recent
//                   revision: it has downstream_rq_header_timeout and ..._too_many_premature_resets)
//   [router-src]    source/common/router/context_impl.h @0008648f (ALL_ROUTER_STATS)
//   [listener-src]  source/server/listener_stats.h (ALL_LISTENER_STATS, ALL_PER_HANDLER_LISTENER_STATS)
//   [http1-src]     source/common/http/http1/codec_stats.h @567438c0 (ALL_HTTP1_CODEC_STATS)
//   [server-src]    source/server/server.h, ALL_SERVER_STATS. envoyproxy/envoy's copy in the index is
//                   old (@001692b8, has stats_recent_lookups); the current macro (with
//                   envoy_notifications, wip_protos, dropped_stat_flushes) was read from a fork of
//                   envoyproxy/envoy, antoniovleonti/envoy @2d960549. wip_protos and
//                   dropped_stat_flushes also appear in envoyproxy/envoy's
//                   test/integration/xfcc_integration_test.cc stat list.
//
// Dynamic names (upstream_rq_<code>, upstream_rq_<N>xx, canary./internal./external./zone./retry.
// prefixes, ssl.cipher.<cipher>) are patterns, not names, and are left out.

export type StatType = 'counter' | 'gauge' | 'histogram';

export interface StatNames {
  counters: readonly string[];
  gauges: readonly string[];
  histograms: readonly string[];
}

const none: readonly string[] = [];

// ---------------------------------------------------------------- cluster.<name>.*

/** [cluster-doc] main table, "Dynamic HTTP statistics", "Load balancer statistics",
 * "Load balancer subset statistics", "Timeout budget statistics", "Request Response Size statistics". */
export const CLUSTER_DOC: StatNames = {
  counters: [
    // main table
    'upstream_cx_total', 'upstream_cx_http1_total', 'upstream_cx_http2_total', 'upstream_cx_http3_total',
    'upstream_cx_connect_fail', 'upstream_cx_connect_timeout', 'upstream_cx_connect_with_0_rtt',
    'upstream_cx_idle_timeout', 'upstream_cx_max_duration_reached', 'upstream_cx_connect_attempts_exceeded',
    'upstream_cx_overflow', 'upstream_cx_destroy', 'upstream_cx_destroy_local', 'upstream_cx_destroy_remote',
    'upstream_cx_destroy_with_active_rq', 'upstream_cx_destroy_local_with_active_rq',
    'upstream_cx_destroy_remote_with_active_rq', 'upstream_cx_close_notify', 'upstream_cx_rx_bytes_total',
    'upstream_cx_tx_bytes_total', 'upstream_cx_pool_overflow', 'upstream_cx_preconnect_blocked',
    'upstream_cx_preconnect_skipped', 'upstream_cx_preconnect_started', 'upstream_cx_protocol_error',
    'upstream_cx_max_requests', 'upstream_cx_none_healthy', 'upstream_rq_total', 'upstream_rq_pending_total',
    'upstream_rq_active_overflow', 'upstream_rq_pending_overflow', 'upstream_rq_pending_failure_eject',
    'upstream_rq_cancelled', 'upstream_rq_maintenance_mode', 'upstream_rq_timeout',
    'upstream_rq_max_duration_reached', 'upstream_rq_per_try_timeout', 'upstream_rq_rx_reset',
    'upstream_rq_rx_reset_no_error', 'upstream_rq_tx_reset', 'upstream_rq_retry',
    'upstream_rq_retry_backoff_exponential', 'upstream_rq_retry_backoff_ratelimited',
    'upstream_rq_retry_limit_exceeded', 'upstream_rq_retry_success', 'upstream_rq_retry_overflow',
    'upstream_flow_control_paused_reading_total', 'upstream_flow_control_resumed_reading_total',
    'upstream_flow_control_backed_up_total', 'upstream_flow_control_drained_total',
    'upstream_internal_redirect_failed_total', 'upstream_internal_redirect_succeeded_total', 'membership_change',
    'retry_or_shadow_abandoned', 'config_reload', 'update_attempt', 'update_success', 'update_failure',
    'update_empty', 'update_no_rebuild', 'bind_errors', 'assignment_timeout_received', 'assignment_stale',
    // dynamic HTTP statistics
    'upstream_rq_completed',
    // load balancer statistics
    'lb_recalculate_zone_structures', 'lb_healthy_panic', 'lb_zone_cluster_too_small',
    'lb_zone_routing_all_directly', 'lb_zone_routing_sampled', 'lb_zone_routing_cross_zone',
    'lb_local_cluster_not_ok', 'lb_zone_no_capacity_left', 'original_dst_host_invalid',
    'lb_connection_aware_selected_cold', 'lb_connection_aware_skipped_cold',
    // load balancer subset statistics
    'lb_subsets_created', 'lb_subsets_removed', 'lb_subsets_selected', 'lb_subsets_fallback',
    'lb_subsets_fallback_panic',
  ],
  gauges: [
    'upstream_cx_active', 'upstream_cx_rx_bytes_buffered', 'upstream_cx_tx_bytes_buffered', 'upstream_rq_active',
    'upstream_rq_pending_active', 'membership_healthy', 'membership_degraded', 'membership_excluded',
    'membership_total', 'version', 'warming_state', 'max_host_weight',
    // load balancer subset statistics
    'lb_subsets_active', 'lb_subsets_single_host_per_subset_duplicate',
  ],
  histograms: [
    'upstream_cx_connect_ms', 'upstream_cx_length_ms', 'upstream_rq_per_cx', 'update_duration',
    // dynamic HTTP statistics
    'upstream_rq_time',
    // timeout budget statistics
    'upstream_rq_timeout_budget_percent_used', 'upstream_rq_timeout_budget_per_try_percent_used',
    // request response size statistics
    'upstream_rq_headers_size', 'upstream_rq_headers_count', 'upstream_rq_body_size', 'upstream_rs_headers_size',
    'upstream_rs_headers_count', 'upstream_rs_body_size',
  ],
};

/** [upstream-src] names in ALL_CLUSTER_{CONFIG_UPDATE,ENDPOINT,LB,TRAFFIC}_STATS that the doc does not list.
 * (ALL_CLUSTER_LOAD_REPORT_STATS is left out: Envoy does not send those to the stats sinks.) */
export const CLUSTER_SOURCE_ONLY: StatNames = {
  counters: [
    'assignment_use_cached', 'lb_zone_number_differs', 'upstream_rq_0rtt', 'upstream_rq_per_try_idle_timeout',
    'upstream_http3_broken',
  ],
  gauges: none,
  histograms: none,
};

// ------------------------------------------------ cluster.<name>.circuit_breakers.<priority>.*

/** [cluster-doc] "Circuit breakers statistics". */
export const CIRCUIT_BREAKERS_DOC: StatNames = {
  counters: none,
  gauges: [
    'cx_open', 'cx_pool_open', 'rq_pending_open', 'rq_open', 'rq_retry_open', 'remaining_cx', 'remaining_pending',
    'remaining_rq', 'remaining_retries',
  ],
  histograms: none,
};

/** [upstream-src] ALL_CLUSTER_CIRCUIT_BREAKERS_STATS names the doc does not list. */
export const CIRCUIT_BREAKERS_SOURCE_ONLY: StatNames = { counters: none, gauges: ['remaining_cx_pools'], histograms: none };

// ---------------------------------------------------------------- cluster_manager.*

/** [cluster-doc] "General". */
export const CLUSTER_MANAGER_DOC: StatNames = {
  counters: [
    'cluster_added', 'cluster_modified', 'cluster_removed', 'cluster_updated', 'cluster_updated_via_merge',
    'update_merge_cancelled', 'update_out_of_merge_window',
  ],
  gauges: ['active_clusters', 'warming_clusters'],
  histograms: none,
};

// ---------------------------------------------------------------- http.<stat_prefix>.*

/** [hcm-doc] main table. */
export const HCM_DOC: StatNames = {
  counters: [
    'downstream_cx_total', 'downstream_cx_ssl_total', 'downstream_cx_http1_total', 'downstream_cx_upgrades_total',
    'downstream_cx_http2_total', 'downstream_cx_http3_total', 'downstream_cx_destroy', 'downstream_cx_destroy_remote',
    'downstream_cx_destroy_local', 'downstream_cx_destroy_active_rq', 'downstream_cx_destroy_local_active_rq',
    'downstream_cx_destroy_remote_active_rq', 'downstream_cx_protocol_error', 'downstream_cx_rx_bytes_total',
    'downstream_cx_tx_bytes_total', 'downstream_cx_drain_close', 'downstream_cx_idle_timeout',
    'downstream_cx_max_duration_reached', 'downstream_cx_max_requests_reached',
    'downstream_cx_overload_disable_keepalive', 'downstream_flow_control_paused_reading_total',
    'downstream_flow_control_resumed_reading_total', 'downstream_rq_total', 'downstream_rq_http1_total',
    'downstream_rq_http2_total', 'downstream_rq_http3_total', 'downstream_rq_rejected_via_ip_detection',
    'downstream_rq_response_before_rq_complete', 'downstream_rq_rx_reset', 'downstream_rq_tx_reset',
    'downstream_rq_non_relative_path', 'downstream_rq_too_large', 'downstream_rq_completed',
    'downstream_rq_failed_path_normalization', 'downstream_rq_1xx', 'downstream_rq_2xx', 'downstream_rq_3xx',
    'downstream_rq_4xx', 'downstream_rq_5xx', 'downstream_rq_ws_on_non_ws_route', 'downstream_rq_idle_timeout',
    'downstream_rq_max_duration_reached', 'downstream_rq_timeout', 'downstream_rq_overload_close',
    'downstream_rq_redirected_with_normalized_path', 'rs_too_large',
  ],
  gauges: [
    'downstream_cx_active', 'downstream_cx_ssl_active', 'downstream_cx_http1_active', 'downstream_cx_upgrades_active',
    'downstream_cx_http2_active', 'downstream_cx_http3_active', 'downstream_cx_rx_bytes_buffered',
    'downstream_cx_tx_bytes_buffered', 'downstream_rq_active',
  ],
  histograms: ['downstream_cx_length_ms', 'downstream_rq_time'],
};

/** [hcm-src] ALL_HTTP_CONN_MAN_STATS names the doc does not list. */
export const HCM_SOURCE_ONLY: StatNames = {
  counters: ['downstream_cx_delayed_close_timeout', 'downstream_rq_header_timeout', 'downstream_rq_too_many_premature_resets'],
  gauges: none,
  histograms: none,
};

/** [router-doc] the router filter's stats, also under http.<stat_prefix>. */
export const ROUTER_DOC: StatNames = {
  counters: [
    'no_route', 'no_cluster', 'rq_redirect', 'rq_direct_response', 'rq_total',
    'rq_reset_after_downstream_response_started', 'rq_overload_local_reply',
  ],
  gauges: none,
  histograms: none,
};

/** [router-src] ALL_ROUTER_STATS names the doc does not list. */
export const ROUTER_SOURCE_ONLY: StatNames = {
  counters: [
    'passthrough_internal_redirect_bad_location', 'passthrough_internal_redirect_no_route',
    'passthrough_internal_redirect_predicate', 'passthrough_internal_redirect_too_many_redirects',
    'passthrough_internal_redirect_unsafe_scheme',
  ],
  gauges: none,
  histograms: none,
};

/** [fault-doc] the fault filter's stats: http.<stat_prefix>.fault.* */
export const FAULT_DOC: StatNames = {
  counters: ['delays_injected', 'aborts_injected', 'response_rl_injected', 'faults_overflow'],
  gauges: ['active_faults'],
  histograms: none,
};

/** [fault-doc] per downstream cluster: http.<stat_prefix>.fault.<downstream-cluster>.* */
export const FAULT_DOWNSTREAM_CLUSTER_DOC: StatNames = { counters: ['delays_injected', 'aborts_injected'], gauges: none, histograms: none };

/** [cors-doc] the CORS filter's stats: http.<stat_prefix>.cors.* */
export const CORS_DOC: StatNames = { counters: ['origin_valid', 'origin_invalid'], gauges: none, histograms: none };

/** [hcm-doc] "Tracing statistics": http.<stat_prefix>.tracing.* */
export const HCM_TRACING_DOC: StatNames = {
  counters: ['random_sampling', 'service_forced', 'client_enabled', 'not_traceable', 'health_check'],
  gauges: none,
  histograms: none,
};

/** [hcm-doc] "Per user agent statistics": http.<stat_prefix>.user_agent.<user_agent>.* */
export const HCM_USER_AGENT_DOC: StatNames = {
  counters: ['downstream_cx_total', 'downstream_cx_destroy_remote_active_rq', 'downstream_rq_total'],
  gauges: none,
  histograms: none,
};

// ------------------------------------------- listener.<address>.http.<stat_prefix>.*

/** [hcm-doc] "HTTP per listener statistics". */
export const HCM_LISTENER_DOC: StatNames = {
  counters: ['downstream_rq_completed', 'downstream_rq_1xx', 'downstream_rq_2xx', 'downstream_rq_3xx', 'downstream_rq_4xx', 'downstream_rq_5xx'],
  gauges: none,
  histograms: none,
};

// ---------------------------------------------------------------- http1.* / http2.* / http3.*

/** [hcm-doc] "HTTP/1 codec statistics". */
export const HTTP1_CODEC_DOC: StatNames = {
  counters: ['dropped_headers_with_underscores', 'metadata_not_supported_error', 'response_flood', 'requests_rejected_with_underscores_in_headers'],
  gauges: none,
  histograms: none,
};

/** [http1-src] ALL_HTTP1_CODEC_STATS names the doc does not list. */
export const HTTP1_CODEC_SOURCE_ONLY: StatNames = { counters: ['protocol_error'], gauges: none, histograms: none };

/** [hcm-doc] "HTTP/2 codec statistics". */
export const HTTP2_CODEC_DOC: StatNames = {
  counters: [
    'dropped_headers_with_underscores', 'header_overflow', 'headers_cb_no_stream', 'inbound_empty_frames_flood',
    'inbound_priority_frames_flood', 'inbound_window_update_frames_flood', 'metadata_empty_frames', 'outbound_flood',
    'outbound_control_flood', 'requests_rejected_with_underscores_in_headers', 'rx_messaging_error', 'rx_reset',
    'stream_refused_errors', 'trailers', 'tx_flush_timeout', 'tx_reset', 'keepalive_timeout',
  ],
  gauges: ['streams_active', 'pending_send_bytes', 'deferred_stream_close'],
  histograms: none,
};

/** [hcm-doc] "HTTP/3 codec statistics". */
export const HTTP3_CODEC_DOC: StatNames = {
  counters: [
    'dropped_headers_with_underscores', 'requests_rejected_with_underscores_in_headers', 'rx_reset', 'tx_reset',
    'metadata_not_supported_error', 'quic_version_h3_29', 'quic_version_rfc_v1',
  ],
  gauges: none,
  histograms: none,
};

// ---------------------------------------------------------------- listener.<address>.*

/** [listener-doc] "Listener" table, without the ssl.* rows (see "TLS statistics"). */
export const LISTENER_DOC: StatNames = {
  counters: [
    'downstream_cx_total', 'downstream_cx_destroy', 'downstream_cx_transport_socket_connect_timeout',
    'downstream_cx_overflow', 'downstream_cx_overload_reject', 'downstream_global_cx_overflow',
    'downstream_pre_cx_timeout', 'extension_config_missing', 'network_extension_config_missing', 'global_cx_overflow',
    'no_filter_chain_match', 'downstream_listener_filter_remote_close', 'downstream_listener_filter_error',
  ],
  gauges: ['downstream_cx_active', 'downstream_pre_cx_active'],
  histograms: ['downstream_cx_length_ms', 'connections_accepted_per_socket_event'],
};

/** [listener-doc] "Per-handler Listener Stats": listener.<address>.<handler>.* */
export const LISTENER_PER_HANDLER_DOC: StatNames = { counters: ['downstream_cx_total'], gauges: ['downstream_cx_active'], histograms: none };

// ---------------------------------------------------------------- listener_manager.*

/** [listener-doc] "Listener manager". */
export const LISTENER_MANAGER_DOC: StatNames = {
  counters: [
    'listener_added', 'listener_modified', 'listener_removed', 'listener_stopped', 'listener_create_success',
    'listener_create_failure', 'listener_in_place_updated',
  ],
  gauges: ['total_filter_chains_draining', 'total_listeners_warming', 'total_listeners_active', 'total_listeners_draining', 'workers_started'],
  histograms: none,
};

// ---------------------------------------------------------------- server.*

/** [server-doc] "Server". */
export const SERVER_DOC: StatNames = {
  counters: ['debug_assertion_failures', 'envoy_bug_failures', 'static_unknown_fields', 'dynamic_unknown_fields'],
  gauges: [
    'uptime', 'concurrency', 'memory_allocated', 'memory_heap_size', 'memory_physical_size', 'live', 'state',
    'parent_connections', 'total_connections', 'version', 'days_until_first_cert_expiring',
    'seconds_until_first_ocsp_response_expiring', 'hot_restart_epoch', 'hot_restart_generation',
  ],
  histograms: ['initialization_time_ms'],
};

/** [server-src] ALL_SERVER_STATS names the doc does not list. */
export const SERVER_SOURCE_ONLY: StatNames = {
  counters: ['envoy_notifications', 'wip_protos', 'dropped_stat_flushes'],
  gauges: ['stats_recent_lookups'],
  histograms: none,
};

/** [server-doc] "Server Compilation Settings": server.compilation_settings.* */
export const SERVER_COMPILATION_SETTINGS_DOC: StatNames = { counters: none, gauges: ['fips_mode'], histograms: none };

// ------------------------------------------ documented cluster sub-trees (cluster.<name>.<tree>.*)

/** [cluster-doc] "Ring hash load balancer statistics": cluster.<name>.ring_hash_lb.* */
export const RING_HASH_LB_DOC: StatNames = { counters: none, gauges: ['size', 'min_hashes_per_host', 'max_hashes_per_host'], histograms: none };

/** [cluster-doc] "Maglev load balancer statistics": cluster.<name>.maglev_lb.* */
export const MAGLEV_LB_DOC: StatNames = { counters: none, gauges: ['min_entries_per_host', 'max_entries_per_host'], histograms: none };

/** [cluster-doc] "Health check statistics": cluster.<name>.health_check.* */
export const HEALTH_CHECK_DOC: StatNames = {
  counters: ['attempt', 'success', 'failure', 'passive_failure', 'network_failure', 'verify_cluster'],
  gauges: ['healthy'],
  histograms: none,
};

/** [cluster-doc] "Outlier detection statistics": cluster.<name>.outlier_detection.* */
export const OUTLIER_DETECTION_DOC: StatNames = {
  counters: [
    'ejections_enforced_total', 'ejections_overflow', 'ejections_enforced_consecutive_5xx',
    'ejections_detected_consecutive_5xx', 'ejections_enforced_success_rate', 'ejections_detected_success_rate',
    'ejections_enforced_consecutive_gateway_failure', 'ejections_detected_consecutive_gateway_failure',
    'ejections_enforced_consecutive_local_origin_failure', 'ejections_detected_consecutive_local_origin_failure',
    'ejections_enforced_local_origin_success_rate', 'ejections_detected_local_origin_success_rate',
    'ejections_enforced_failure_percentage', 'ejections_detected_failure_percentage',
    'ejections_enforced_failure_percentage_local_origin', 'ejections_detected_failure_percentage_local_origin',
    'ejections_total', 'ejections_consecutive_5xx',
  ],
  gauges: ['ejections_active'],
  histograms: none,
};

/** [cluster-doc] thread_local_cluster_manager.<worker_id>.* */
export const THREAD_LOCAL_CLUSTER_MANAGER_DOC: StatNames = { counters: none, gauges: ['clusters_inflated'], histograms: none };
