// Starts a real skein proxy (in this process) from YAML, on ephemeral ports, for
// integration tests. Listener and admin ports of 0 are bound by the OS; use
// `port(name)` / `adminUrl` to reach them.
import { Server } from '../../src/proxy/server/server.js';
import { parseProxyOptions, type ProxyOptions } from '../../src/proxy/server/options.js';
import { InProcessWorkers } from '../../src/proxy/server/workers.js';
import { logRegistry } from '../../src/common/logger.js';

export interface RunningProxy {
  server: Server;
  adminUrl: string;
  /** Bound port of a listener by name. */
  port(listener: string): number;
  url(listener: string, path?: string): string;
  stop(): Promise<void>;
}

let quieted = false;

export async function startProxy(yaml: string, extraArgs: string[] = []): Promise<RunningProxy> {
  if (!quieted && !process.env.SKEIN_TEST_LOGS) {
    logRegistry.setAll('critical');
    quieted = true;
  }
  const options = parseProxyOptions(['--config-yaml', yaml, '--drain-time-s', '0', ...extraArgs]) as ProxyOptions;
  const server = new Server(options);
  await server.start();
  const plane = (server.workers as InProcessWorkers).plane;
  const port = (name: string) => {
    const l = plane.listeners.get(name);
    if (!l?.boundAddress) throw new Error(`listener ${name} is not bound`);
    return l.boundAddress.port;
  };
  const adminAddr = server.admin ? (server.admin as unknown as { server: import('node:http').Server }).server.address() : undefined;
  const adminUrl = adminAddr && typeof adminAddr === 'object' ? `http://127.0.0.1:${adminAddr.port}` : '';
  return {
    server,
    adminUrl,
    port,
    url: (name, path = '/') => `http://127.0.0.1:${port(name)}${path}`,
    stop: () => server.shutdown('test done'),
  };
}

/** A minimal bootstrap: one listener `main` on port 0 with `routes`, and the given clusters. */
export function bootstrapYaml(opts: { routeConfig: string; clusters: string; hcmExtra?: string; httpFilters?: string; adminPort?: number }): string {
  return `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: ${opts.adminPort ?? 0} } }
static_resources:
  listeners:
  - name: main
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.http_connection_manager
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager
          stat_prefix: ingress_http
${indent(opts.hcmExtra ?? '', 10)}
          http_filters:
${indent(opts.httpFilters ?? '- name: envoy.filters.http.router', 10)}
          route_config:
${indent(opts.routeConfig, 12)}
  clusters:
${indent(opts.clusters, 2)}
`;
}

export function indent(text: string, n: number): string {
  const pad = ' '.repeat(n);
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => pad + l)
    .join('\n');
}

/** A STATIC cluster YAML pointing at 127.0.0.1 ports. */
export function staticCluster(name: string, ports: number[], extra = ''): string {
  return `- name: ${name}
  connect_timeout: 1s
  type: STATIC
${indent(extra, 2)}
  load_assignment:
    cluster_name: ${name}
    endpoints:
    - lb_endpoints:
${ports.map((p) => `      - endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${p} } } }`).join('\n')}`;
}

/** A route config sending every request to `cluster` (the common test case). */
export function routeAllTo(cluster: string, routeExtra = ''): string {
  return `
name: local
virtual_hosts:
- name: all
  domains: ["*"]
  routes:
  - match: { prefix: "/" }
    route: { cluster: ${cluster}${routeExtra ? `, ${routeExtra}` : ''} }`;
}
