// http.<stat_prefix>.* — the connection manager's and router's stats, by Envoy's names.
import { declareStats, type StatsOf } from '../../stats/declare.js';

export const HCM_STATS = declareStats({
  counters: [
    'downstream_cx_delayed_close_timeout', 'downstream_cx_destroy', 'downstream_cx_destroy_active_rq',
    'downstream_cx_destroy_local', 'downstream_cx_destroy_local_active_rq', 'downstream_cx_destroy_remote',
    'downstream_cx_destroy_remote_active_rq', 'downstream_cx_drain_close', 'downstream_cx_http1_total',
    'downstream_cx_http2_total', 'downstream_cx_http3_total', 'downstream_cx_idle_timeout',
    'downstream_cx_max_duration_reached', 'downstream_cx_max_requests_reached', 'downstream_cx_overload_disable_keepalive',
    'downstream_cx_protocol_error', 'downstream_cx_rx_bytes_total', 'downstream_cx_ssl_total', 'downstream_cx_total',
    'downstream_cx_tx_bytes_total', 'downstream_cx_upgrades_total', 'downstream_flow_control_paused_reading_total',
    'downstream_flow_control_resumed_reading_total', 'downstream_rq_1xx', 'downstream_rq_2xx', 'downstream_rq_3xx',
    'downstream_rq_4xx', 'downstream_rq_5xx', 'downstream_rq_completed', 'downstream_rq_failed_path_normalization',
    'downstream_rq_header_timeout', 'downstream_rq_http1_total', 'downstream_rq_http2_total', 'downstream_rq_http3_total',
    'downstream_rq_idle_timeout', 'downstream_rq_max_duration_reached', 'downstream_rq_non_relative_path',
    'downstream_rq_overload_close', 'downstream_rq_redirected_with_normalized_path', 'downstream_rq_rejected_via_ip_detection',
    'downstream_rq_response_before_rq_complete', 'downstream_rq_rx_reset', 'downstream_rq_timeout',
    'downstream_rq_too_large', 'downstream_rq_too_many_premature_resets', 'downstream_rq_total', 'downstream_rq_tx_reset',
    'downstream_rq_ws_on_non_ws_route', 'rs_too_large',
    // router (envoy.filters.http.router) stats live under the same prefix
    'no_cluster', 'no_route', 'passthrough_internal_redirect_bad_location', 'passthrough_internal_redirect_no_route',
    'passthrough_internal_redirect_predicate', 'passthrough_internal_redirect_too_many_redirects',
    'passthrough_internal_redirect_unsafe_scheme', 'rq_direct_response', 'rq_redirect',
    'rq_reset_after_downstream_response_started', 'rq_total',
  ],
  gauges: [
    'downstream_cx_active', 'downstream_cx_http1_active', 'downstream_cx_http2_active', 'downstream_cx_http3_active',
    'downstream_cx_rx_bytes_buffered', 'downstream_cx_ssl_active', 'downstream_cx_tx_bytes_buffered',
    'downstream_cx_upgrades_active', 'downstream_rq_active',
  ],
  histograms: ['downstream_cx_length_ms', 'downstream_rq_time'],
});

export type HcmStats = StatsOf<typeof HCM_STATS>;

/** listener.<address>.http.<stat_prefix>.* — per-listener response classes. */
export const HCM_LISTENER_STATS = declareStats({
  counters: ['downstream_rq_1xx', 'downstream_rq_2xx', 'downstream_rq_3xx', 'downstream_rq_4xx', 'downstream_rq_5xx', 'downstream_rq_completed'],
  gauges: [],
  histograms: [],
});

export type HcmListenerStats = StatsOf<typeof HCM_LISTENER_STATS>;

/** http1.* codec stats. */
export const HTTP1_CODEC_STATS = declareStats({
  counters: ['dropped_headers_with_underscores', 'metadata_not_supported_error', 'requests_rejected_with_underscores_in_headers', 'response_flood'],
  gauges: [],
  histograms: [],
});
