// Which page shows what, on the discovery server's debug port. The paths are
// istiod's where istiod has one (/debug/syncz, /debug/config_dump?proxyID=,
// /debug/configz, /debug/registryz, /ready, /metrics), so habits carry over.
import type { DebugReply, DebugRoute } from '../../debug_http_server.js';

export interface DebugSource {
  ready(): boolean;
  metricsText(): string;
  syncz(): unknown;
  /** undefined when no proxy matches `ref` (node id, POD.NS or POD). */
  configDump(ref: string): unknown;
  /** Ids and names of known proxies, for a helpful 404. */
  proxyNames(): string[];
  registry(): unknown;
  configz(): unknown;
  configIssues(): unknown;
  pushStatus(): unknown;
  xdsMetrics(): unknown;
}

export function debugRoutes(source: DebugSource): DebugRoute[] {
  const json = (body: unknown, status = 200): DebugReply => ({ status, json: body });
  return [
    {
      path: '/ready',
      help: '200 once the first config load has finished and config is being served',
      handle: () => (source.ready() ? { text: 'ready\n' } : { status: 503, text: 'not ready: config not loaded yet\n' }),
    },
    {
      path: '/metrics',
      help: 'Prometheus metrics (pilot_xds, pilot_xds_pushes, pilot_push_triggers, ...)',
      handle: () => ({ text: source.metricsText(), contentType: 'text/plain; version=0.0.4; charset=utf-8' }),
    },
    { path: '/debug/syncz', help: 'xDS sync state of every connected proxy, per type (proxy-status reads this)', handle: () => json(source.syncz()) },
    {
      path: '/debug/config_dump',
      help: 'the config generated for one proxy, as an Envoy ConfigDump: ?proxyID=<node id | POD.NS>',
      handle(query) {
        const ref = query.get('proxyID') ?? query.get('proxy') ?? '';
        if (!ref) return json({ error: 'missing ?proxyID=<node id or POD.NS>', proxies: source.proxyNames() }, 400);
        const dump = source.configDump(ref);
        return dump === undefined ? json({ error: `no connected proxy "${ref}"`, proxies: source.proxyNames() }, 404) : json(dump);
      },
    },
    { path: '/debug/registry', help: 'services with their ports and endpoints', handle: () => json(source.registry()) },
    { path: '/debug/registryz', help: 'same as /debug/registry (istiod\'s name)', handle: () => json(source.registry()) },
    { path: '/debug/configz', help: 'every loaded config object and the file:line it came from', handle: () => json(source.configz()) },
    { path: '/debug/config_issues', help: 'invalid config (file:line), translation warnings, proxies refused a push', handle: () => json(source.configIssues()) },
    { path: '/debug/push_status', help: 'the last push: version, proxies, duration, reason', handle: () => json(source.pushStatus()) },
    { path: '/debug/metrics', help: 'the xDS server counters as JSON', handle: () => json(source.xdsMetrics()) },
  ];
}
