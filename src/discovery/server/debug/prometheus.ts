// `/metrics` on the monitoring port (istiod's 15014): the xDS server's counters and
// the discovery server's push counters in Prometheus text format, under istiod's
// metric names where istiod has one (pilot_xds, pilot_xds_pushes, pilot_total_xds_rejects,
// pilot_xds_expired_nonce, pilot_push_triggers, pilot_services, pilot_virt_services)
// so existing dashboards and `curl | grep pilot_` habits work; skein_* otherwise.
import type { XdsMetricsSnapshot } from '../../xds/metrics.js';

export interface DiscoveryCounters {
  version: string;
  /** Pushes by reason ("config", "pods", "initial"). */
  pushTriggers: Record<string, number>;
  pushCount: number;
  pushSecondsSum: number;
  lastPushVersion: number;
  proxies: number;
  services: number;
  virtualServices: number;
  configIssues: number;
  configObjects: number;
}

type Sample = [labels: Record<string, string>, value: number];

class TextWriter {
  private readonly lines: string[] = [];

  metric(name: string, type: 'counter' | 'gauge' | 'summary', help: string, samples: Sample[]): void {
    this.lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) this.lines.push(`${name}${labelText(labels)} ${formatValue(value)}`);
  }

  raw(line: string): void {
    this.lines.push(line);
  }

  toString(): string {
    return this.lines.join('\n') + '\n';
  }
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return String(v);
}

const perType = (m: XdsMetricsSnapshot, pick: (c: XdsMetricsSnapshot['types'][string]) => number): Sample[] =>
  Object.entries(m.types)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, c]) => [{ type: type.toLowerCase() }, pick(c)]);

export function renderMetrics(xds: XdsMetricsSnapshot, d: DiscoveryCounters): string {
  const w = new TextWriter();
  w.metric('pilot_info', 'gauge', 'Discovery server build information.', [[{ version: d.version }, 1]]);
  w.metric('pilot_xds', 'gauge', 'Number of xDS streams connected to this discovery server.', [
    [{ protocol: 'sotw' }, xds.connectedByProtocol.sotw],
    [{ protocol: 'delta' }, xds.connectedByProtocol.delta],
  ]);
  w.metric('pilot_xds_pushes', 'counter', 'xDS responses sent, by type.', perType(xds, (c) => c.pushes));
  w.metric('pilot_total_xds_rejects', 'counter', 'xDS responses rejected (NACKed) by proxies, by type.', perType(xds, (c) => c.nacks));
  w.metric('pilot_xds_expired_nonce', 'counter', 'xDS requests ignored because they carried a stale nonce, by type.', perType(xds, (c) => c.staleNonces));
  w.metric('skein_xds_acks_total', 'counter', 'xDS responses ACKed by proxies, by type.', perType(xds, (c) => c.acks));
  w.metric('skein_xds_push_bytes_total', 'counter', 'Bytes of xDS responses sent, by type.', perType(xds, (c) => c.pushBytes));
  w.metric('skein_xds_resources_sent_total', 'counter', 'Resources carried by xDS responses, by type.', perType(xds, (c) => c.resourcesSent));
  w.metric('skein_xds_requests_total', 'counter', 'xDS requests received.', [[{}, xds.requestsReceived]]);
  w.metric('skein_xds_bad_requests_total', 'counter', 'xDS requests refused as malformed (the stream is ended).', [[{}, xds.badRequests]]);
  w.metric('skein_xds_streams_opened_total', 'counter', 'xDS streams opened.', [[{}, xds.streamsOpened]]);
  w.metric('skein_xds_streams_failed_total', 'counter', 'xDS streams ended by the server with an error.', [[{}, xds.streamsFailed]]);

  const t = xds.pushTime;
  w.metric('pilot_xds_push_time', 'summary', 'Seconds from a change (or request) to its xDS response being sent.', []);
  for (const [q, v] of [['0.5', t.p50Ms], ['0.9', t.p90Ms], ['0.99', t.p99Ms]] as const) {
    if (v !== null) w.raw(`pilot_xds_push_time{quantile="${q}"} ${v / 1000}`);
  }
  w.raw(`pilot_xds_push_time_sum ${t.sumMs / 1000}`);
  w.raw(`pilot_xds_push_time_count ${t.count}`);

  const triggers = Object.entries(d.pushTriggers).sort(([a], [b]) => a.localeCompare(b));
  w.metric('pilot_push_triggers', 'counter', 'Pushes of new config to connected proxies, by what triggered them.', triggers.map(([type, n]) => [{ type }, n]));
  w.metric('skein_discovery_push_seconds', 'summary', 'Seconds spent building and publishing a push (all proxies).', []);
  w.raw(`skein_discovery_push_seconds_sum ${d.pushSecondsSum}`);
  w.raw(`skein_discovery_push_seconds_count ${d.pushCount}`);
  w.metric('skein_discovery_push_version', 'gauge', 'The number of the latest push (its snapshot version).', [[{}, d.lastPushVersion]]);
  w.metric('skein_discovery_proxies', 'gauge', 'Proxies the discovery server generates config for (connected, or recently).', [[{}, d.proxies]]);
  w.metric('pilot_services', 'gauge', 'Services known to the discovery server.', [[{}, d.services]]);
  w.metric('pilot_virt_services', 'gauge', 'VirtualServices known to the discovery server.', [[{}, d.virtualServices]]);
  w.metric('skein_discovery_config_objects', 'gauge', 'Config objects loaded from the config folders.', [[{}, d.configObjects]]);
  w.metric('skein_discovery_config_issues', 'gauge', 'Problems found in the config folders (invalid objects, files that do not parse).', [[{}, d.configIssues]]);
  return w.toString();
}
