// /clusters and /listeners in Envoy's text and JSON formats.
import { unwrap } from '../../api/json/wkt.js';
import type { HostReport } from '../server/data_plane.js';
import type { ClusterEntry } from '../server/server.js';
import { json, text, type AdminHandler } from './handlers.js';

function thresholds(entry: ClusterEntry) {
  const list = entry.config.circuit_breakers?.thresholds ?? [];
  const find = (p: string) => list.find((t) => (t.priority ?? 'DEFAULT') === p);
  return (['DEFAULT', 'HIGH'] as const).map((priority) => {
    const t = find(priority);
    return {
      priority,
      max_connections: unwrap(t?.max_connections, 1024),
      max_pending_requests: unwrap(t?.max_pending_requests, 1024),
      max_requests: unwrap(t?.max_requests, 1024),
      max_retries: unwrap(t?.max_retries, 3),
    };
  });
}

function healthText(flags: string[]): string {
  if (!flags.length) return 'healthy';
  return flags.map((f) => `/${f}`).join('');
}

function splitAddress(address: string): { address: string; port_value: number } {
  const idx = address.lastIndexOf(':');
  return { address: address.slice(0, idx).replace(/^\[|\]$/g, ''), port_value: Number(address.slice(idx + 1)) };
}

function clustersText(entries: ClusterEntry[], hosts: HostReport[]): string {
  const lines: string[] = [];
  for (const entry of entries) {
    const name = entry.config.name ?? '';
    lines.push(`${name}::observability_name::${entry.config.alt_stat_name || name}`);
    for (const t of thresholds(entry)) {
      const p = t.priority === 'DEFAULT' ? 'default_priority' : 'high_priority';
      lines.push(`${name}::${p}::max_connections::${t.max_connections}`);
      lines.push(`${name}::${p}::max_pending_requests::${t.max_pending_requests}`);
      lines.push(`${name}::${p}::max_requests::${t.max_requests}`);
      lines.push(`${name}::${p}::max_retries::${t.max_retries}`);
    }
    lines.push(`${name}::added_via_api::${entry.addedViaApi}`);
    for (const h of hosts.filter((x) => x.cluster === name)) {
      const at = `${name}::${h.address}`;
      for (const [k, v] of [
        ['cx_active', h.activeConnections], ['cx_connect_fail', h.counters.cx_connect_fail ?? 0], ['cx_total', h.counters.cx_total ?? 0],
        ['rq_active', h.activeRequests], ['rq_error', h.counters.rq_error ?? 0], ['rq_success', h.counters.rq_success ?? 0],
        ['rq_timeout', h.counters.rq_timeout ?? 0], ['rq_total', h.counters.rq_total ?? 0],
      ] as const) lines.push(`${at}::${k}::${v}`);
      lines.push(`${at}::hostname::${h.hostname}`);
      lines.push(`${at}::health_flags::${healthText(h.healthFlags)}`);
      lines.push(`${at}::weight::${h.weight}`);
      lines.push(`${at}::region::${h.region ?? ''}`);
      lines.push(`${at}::zone::${h.zone ?? ''}`);
      lines.push(`${at}::sub_zone::${h.subZone ?? ''}`);
      lines.push(`${at}::canary::false`);
      lines.push(`${at}::priority::${h.priority}`);
      lines.push(`${at}::success_rate::-1`);
      lines.push(`${at}::local_origin_success_rate::-1`);
    }
  }
  return lines.join('\n') + (lines.length ? '\n' : '');
}

function clustersJson(entries: ClusterEntry[], hosts: HostReport[]) {
  return {
    cluster_statuses: entries.map((entry) => {
      const name = entry.config.name ?? '';
      return {
        name,
        observability_name: entry.config.alt_stat_name || name,
        added_via_api: entry.addedViaApi,
        circuit_breakers: {
          thresholds: thresholds(entry).map((t) => ({ ...(t.priority === 'HIGH' ? { priority: 'HIGH' } : {}), max_connections: t.max_connections, max_pending_requests: t.max_pending_requests, max_requests: t.max_requests, max_retries: t.max_retries })),
        },
        host_statuses: hosts
          .filter((h) => h.cluster === name)
          .map((h) => ({
            address: { socket_address: splitAddress(h.address) },
            stats: [
              { name: 'cx_connect_fail', value: String(h.counters.cx_connect_fail ?? 0) },
              { name: 'cx_total', value: String(h.counters.cx_total ?? 0) },
              { name: 'rq_error', value: String(h.counters.rq_error ?? 0) },
              { name: 'rq_success', value: String(h.counters.rq_success ?? 0) },
              { name: 'rq_timeout', value: String(h.counters.rq_timeout ?? 0) },
              { name: 'rq_total', value: String(h.counters.rq_total ?? 0) },
              { type: 'GAUGE', name: 'cx_active', value: String(h.activeConnections) },
              { type: 'GAUGE', name: 'rq_active', value: String(h.activeRequests) },
            ],
            health_status: {
              eds_health_status: h.healthFlags.includes('failed_eds_health') ? 'UNHEALTHY' : h.healthFlags.includes('degraded_eds_health') ? 'DEGRADED' : 'HEALTHY',
              ...(h.healthFlags.includes('failed_active_hc') ? { failed_active_health_check: true } : {}),
              ...(h.healthFlags.includes('failed_outlier_check') ? { failed_outlier_check: true } : {}),
            },
            weight: h.weight,
            hostname: h.hostname,
            locality: { ...(h.region ? { region: h.region } : {}), ...(h.zone ? { zone: h.zone } : {}), ...(h.subZone ? { sub_zone: h.subZone } : {}) },
            ...(h.priority ? { priority: h.priority } : {}),
          })),
      };
    }),
  };
}

export const CLUSTER_HANDLERS: AdminHandler[] = [
  {
    path: '/clusters',
    help: 'upstream cluster status',
    mutates: false,
    async handle(req) {
      const entries = [...req.server.clusters.values()];
      const hosts = await req.server.workers.hostReports();
      if (req.query.get('format') === 'json') return json(clustersJson(entries, hosts));
      return text(clustersText(entries, hosts));
    },
  },
  {
    path: '/listeners',
    help: 'print listener info',
    mutates: false,
    async handle(req) {
      const reports = await req.server.workers.listenerReports();
      if (req.query.get('format') === 'json') {
        return json({
          listener_statuses: reports.map((l) => ({ name: l.name, local_address: { socket_address: { address: l.address, port_value: l.port } } })),
        });
      }
      return text(reports.map((l) => `${l.name}::${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}\n`).join(''));
    },
  },
];
