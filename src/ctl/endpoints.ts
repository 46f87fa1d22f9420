// `proxy-config endpoint`: ENDPOINT STATUS OUTLIER CHECK CLUSTER from the proxy's
// /clusters?format=json (what the proxy actually load-balances over, including
// health), not from the EDS config: STATUS is the host's EDS health status,
// OUTLIER CHECK is FAILED while outlier detection has ejected it. Unix-socket hosts
// show as unix://PATH. Rows sort by address (as text), then port, then cluster.
import { CtlError } from './errors.js';
import { isObject, list, num, str, type Json } from './fields.js';
import { camelCaseMessage } from './output.js';
import { formatTable } from './table.js';

export interface EndpointFilter {
  address?: string;
  port?: number;
  cluster?: string;
  /** HEALTHY, UNHEALTHY, ... (case-insensitive). */
  status?: string;
}

interface HostRow {
  address: string;
  port: number;
  cluster: string;
  status: string;
  failedOutlierCheck: boolean;
}

function hostAddress(host: unknown): { address: string; port: number } {
  const sock = str(host, 'address', 'socket_address', 'address');
  if (sock !== '') return { address: sock, port: num(host, 'address', 'socket_address', 'port_value') };
  return { address: `unix://${str(host, 'address', 'pipe', 'path')}`, port: 0 };
}

/** The EDS health status name; proto3 JSON leaves UNKNOWN (0) out. */
function hostStatus(host: unknown): string {
  return str(host, 'health_status', 'eds_health_status') || 'UNKNOWN';
}

function failedOutlier(host: unknown): boolean {
  return str(host, 'health_status', 'failed_outlier_check') === 'true';
}

export function clusterStatuses(clustersJson: unknown): Json[] {
  if (!isObject(clustersJson)) throw new CtlError('/clusters?format=json did not return an object');
  return list(clustersJson, 'cluster_statuses').filter(isObject);
}

function verifyHost(host: unknown, cluster: string, f: EndpointFilter): boolean {
  const { address, port } = hostAddress(host);
  if (f.address && address.toLowerCase() !== f.address.toLowerCase()) return false;
  if (f.port && port !== f.port) return false;
  if (f.cluster && cluster.toLowerCase() !== f.cluster.toLowerCase()) return false;
  if (f.status && hostStatus(host).toLowerCase() !== f.status.toLowerCase()) return false;
  return true;
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

export function endpointRows(statuses: readonly Json[], f: EndpointFilter): string[][] {
  const hosts: HostRow[] = [];
  for (const c of statuses) {
    const cluster = str(c, 'name');
    for (const h of list(c, 'host_statuses')) {
      if (!verifyHost(h, cluster, f)) continue;
      hosts.push({ ...hostAddress(h), cluster, status: hostStatus(h), failedOutlierCheck: failedOutlier(h) });
    }
  }
  hosts.sort((a, b) => cmp(a.address, b.address) || cmp(a.port, b.port) || cmp(a.cluster, b.cluster));
  return [
    ['ENDPOINT', 'STATUS', 'OUTLIER CHECK', 'CLUSTER'],
    ...hosts.map((h) => [h.port !== 0 ? `${h.address}:${h.port}` : h.address, h.status, h.failedOutlierCheck ? 'FAILED' : 'OK', h.cluster]),
  ];
}

export function formatEndpoints(statuses: readonly Json[], f: EndpointFilter): string {
  return formatTable(endpointRows(statuses, f));
}

/** `-o json|yaml`: every ClusterStatus with at least one matching host (all of its hosts, as istioctl prints it). */
export function endpointsJson(statuses: readonly Json[], f: EndpointFilter): unknown[] {
  return statuses
    .filter((c) => list(c, 'host_statuses').some((h) => verifyHost(h, str(c, 'name'), f)))
    .map((c) => camelCaseMessage('envoy.admin.v3.ClusterStatus', c));
}
