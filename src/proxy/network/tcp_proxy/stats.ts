// tcp.<stat_prefix>.* — the TCP proxy's downstream stats, by Envoy's names
// (ALL_TCP_PROXY_STATS in source/common/tcp_proxy/tcp_proxy.h). Upstream connection
// stats go to the cluster's own cluster.<name>.* counters, as in Envoy.
import { declareStats, type StatsOf } from '../../stats/declare.js';

export const TCP_PROXY_STATS = declareStats({
  counters: [
    'downstream_cx_no_route', 'downstream_cx_rx_bytes_total', 'downstream_cx_total', 'downstream_cx_tx_bytes_total',
    'downstream_flow_control_paused_reading_total', 'downstream_flow_control_resumed_reading_total',
    // Envoy counts this only with receive_before_connect, which this API version does not have: stays 0.
    'early_data_received_count_total',
    'idle_timeout', 'max_downstream_connection_duration', 'upstream_flush_total',
  ],
  gauges: ['downstream_cx_rx_bytes_buffered', 'downstream_cx_tx_bytes_buffered', 'upstream_flush_active'],
  histograms: [],
});

export type TcpProxyStats = StatsOf<typeof TCP_PROXY_STATS>;
