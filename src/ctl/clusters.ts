// `proxy-config cluster`: SERVICE FQDN PORT SUBSET DIRECTION TYPE DESTINATION RULE.
// Istio cluster names carry the columns: "outbound|80|v1|catalog.ns.svc.cluster.local"
// is direction|port|subset|fqdn; "inbound|8080||" has no FQDN. Any other name
// (xds-grpc, BlackHoleCluster, a hand-written "httpbin_service") is shown whole with
// "-" in PORT, SUBSET and DIRECTION. Rows sort by FQDN, subset, port, direction.
import { CtlError } from './errors.js';
import { field, str, type Json } from './fields.js';
import { stripType } from './listeners.js';
import { camelCaseMessage } from './output.js';
import { formatTable } from './table.js';

export interface ClusterFilter {
  fqdn?: string;
  port?: number;
  subset?: string;
  direction?: string;
}

export interface SubsetKey {
  direction: string;
  port: number;
  subset: string;
  fqdn: string;
}

/** "outbound|80|v1|host" → its parts; undefined for names that are not Istio subset keys. */
export function parseSubsetKey(name: string): SubsetKey | undefined {
  const parts = name.split('|');
  if (parts.length < 4) return undefined;
  const port = Number(parts[1]);
  return { direction: parts[0]!, port: Number.isFinite(port) ? port : 0, subset: parts[2]!, fqdn: parts[3]! };
}

/** DESTINATION RULE: cluster metadata istio.config ".../namespaces/NS/destination-rule/NAME" → "NAME.NS". */
export function describeDestinationRule(metadata: unknown): string {
  const config = str(metadata, 'filter_metadata', 'istio', 'config');
  if (config === '') return '';
  if (!config.startsWith('/apis/networking.istio.io/v1alpha3/namespaces/')) return '<unknown>';
  const pieces = config.split('/');
  return pieces.length === 8 ? `${pieces[7]}.${pieces[5]}` : '';
}

/** The discovery type; absent means STATIC (proto3 JSON leaves the default out). */
export function clusterType(c: unknown): string {
  const t = field(c, 'type');
  return typeof t === 'string' && t !== '' ? t : 'STATIC';
}

/** istioctl's filters are substring matches on the cluster name ("|80|" for a port). */
export function verifyCluster(c: Json, f: ClusterFilter): boolean {
  const name = str(c, 'name');
  if (f.fqdn && !name.includes(f.fqdn)) return false;
  if (f.direction && !name.includes(f.direction)) return false;
  if (f.subset && !name.includes(f.subset)) return false;
  if (f.port && !name.includes(`|${f.port}|`)) return false;
  return true;
}

const cmp = (a: string | number, b: string | number) => (a < b ? -1 : a > b ? 1 : 0);

export function sortClusters(clusters: readonly Json[]): Json[] {
  const key = (c: Json) => {
    const name = str(c, 'name');
    return parseSubsetKey(name) ?? { direction: '', port: 0, subset: '', fqdn: name };
  };
  return [...clusters].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    return cmp(x.fqdn, y.fqdn) || cmp(x.subset, y.subset) || cmp(x.port, y.port) || cmp(x.direction, y.direction);
  });
}

export function clusterRows(clusters: readonly Json[], f: ClusterFilter): string[][] {
  const rows: string[][] = [['SERVICE FQDN', 'PORT', 'SUBSET', 'DIRECTION', 'TYPE', 'DESTINATION RULE']];
  for (const c of sortClusters(clusters)) {
    if (!verifyCluster(c, f)) continue;
    const name = str(c, 'name');
    const key = parseSubsetKey(name);
    const dr = describeDestinationRule(field(c, 'metadata'));
    if (key) rows.push([key.fqdn, String(key.port), key.subset || '-', key.direction, clusterType(c), dr]);
    else rows.push([name, '-', '-', '-', clusterType(c), dr]);
  }
  return rows;
}

export function formatClusters(clusters: readonly Json[], f: ClusterFilter): string {
  if (clusters.length === 0) throw new CtlError('no clusters found');
  return formatTable(clusterRows(clusters, f));
}

/** `-o json|yaml`: the matching Cluster messages, in table order. */
export function clustersJson(clusters: readonly Json[], f: ClusterFilter): unknown[] {
  if (clusters.length === 0) throw new CtlError('no clusters found');
  return sortClusters(clusters)
    .filter((c) => verifyCluster(c, f))
    .map((c) => camelCaseMessage('envoy.config.cluster.v3.Cluster', stripType(c)));
}
