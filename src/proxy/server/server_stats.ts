// server.* and listener_manager.* stats, by Envoy's names.
import { declareStats } from '../stats/declare.js';

export const SERVER_STATS = declareStats({
  counters: ['debug_assertion_failures', 'dropped_stat_flushes', 'dynamic_unknown_fields', 'envoy_bug_failures', 'envoy_notifications', 'static_unknown_fields', 'wip_protos'],
  gauges: ['concurrency', 'days_until_first_cert_expiring', 'hot_restart_epoch', 'hot_restart_generation', 'live', 'memory_allocated', 'memory_heap_size', 'memory_physical_size', 'parent_connections', 'seconds_until_first_ocsp_response_expiring', 'state', 'stats_recent_lookups', 'total_connections', 'uptime', 'version'],
  histograms: ['initialization_time_ms'],
  neverImportGauges: ['concurrency', 'live', 'state', 'uptime', 'version', 'hot_restart_epoch', 'hot_restart_generation', 'memory_allocated', 'memory_heap_size', 'memory_physical_size'],
});

export const LISTENER_MANAGER_STATS = declareStats({
  counters: ['listener_added', 'listener_create_failure', 'listener_create_success', 'listener_in_place_updated', 'listener_modified', 'listener_removed', 'listener_stopped'],
  gauges: ['total_filter_chains_draining', 'total_listeners_active', 'total_listeners_draining', 'total_listeners_warming', 'workers_started'],
  histograms: [],
  neverImportGauges: ['total_filter_chains_draining', 'total_listeners_active', 'total_listeners_draining', 'total_listeners_warming', 'workers_started'],
});
