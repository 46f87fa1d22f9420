// Resource texts shared by the file-source tests: a listener → RDS route → EDS
// cluster → endpoints chain, each in its own file, with known line numbers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const T = 'type.googleapis.com/envoy.config';
export const LISTENER_URL = `${T}.listener.v3.Listener`;
export const ROUTE_URL = `${T}.route.v3.RouteConfiguration`;
export const CLUSTER_URL = `${T}.cluster.v3.Cluster`;
export const ENDPOINT_URL = `${T}.endpoint.v3.ClusterLoadAssignment`;

export const lines = (...l: string[]): string => l.join('\n') + '\n';

export const LISTENER = lines(
  `"@type": ${LISTENER_URL}`, // 1
  'name: listener_0', // 2
  'address: { socket_address: { address: 127.0.0.1, port_value: 10000 } }', // 3
  'filter_chains:', // 4
  '- filters:', // 5
  '  - name: envoy.filters.network.http_connection_manager', // 6
  '    typed_config:', // 7
  '      "@type": type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', // 8
  '      stat_prefix: ingress_http', // 9
  '      http_filters: [{ name: envoy.filters.http.router, typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router } }]', // 10
  '      rds:', // 11
  '        config_source: { ads: {}, resource_api_version: V3 }', // 12
  '        route_config_name: local_route', // 13
);

export function route(cluster = 'service', name = 'local_route'): string {
  return lines(
    `"@type": ${ROUTE_URL}`, // 1
    `name: ${name}`, // 2
    'virtual_hosts:', // 3
    '- name: all', // 4
    '  domains: ["*"]', // 5
    `  routes: [{ match: { prefix: "/" }, route: { cluster: ${cluster} } }]`, // 6
  );
}

export function cluster(name = 'service'): string {
  return lines(
    `"@type": ${CLUSTER_URL}`, // 1
    `name: ${name}`, // 2
    'type: EDS', // 3
    'connect_timeout: 1s', // 4
    'eds_cluster_config: { eds_config: { ads: {}, resource_api_version: V3 } }', // 5
  );
}

export function endpoints(port: number, name = 'service'): string {
  return lines(
    `"@type": ${ENDPOINT_URL}`, // 1
    `cluster_name: ${name}`, // 2
    'endpoints:', // 3
    `- lb_endpoints: [{ endpoint: { address: { socket_address: { address: 127.0.0.1, port_value: ${port} } } } }]`, // 4
  );
}

const created: string[] = [];
process.on('exit', () => {
  for (const dir of created) fs.rmSync(dir, { recursive: true, force: true });
});

/** A temp folder with the given files (relative path → text), removed when the test process exits. */
export function folderWith(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'skein-xds-files-'));
  created.push(dir);
  writeFiles(dir, files);
  return dir;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = path.join(dir, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
}

export const GOOD = { 'listener.yaml': LISTENER, 'route.yaml': route(), 'cluster.yaml': cluster(), 'endpoints.yaml': endpoints(8000) };
