// Envoy v3 reserved the old Cluster `hosts` field, but the book's chapter 3 configs
// (and many blog posts) still use it; Envoy 1.19 accepted it. skein upgrades it to the
// equivalent `load_assignment` before schema checks, keeping source positions.
import type { PositionIndex } from './yaml/source.js';

export function upgradeLegacyCluster(raw: unknown, positions?: PositionIndex): string[] {
  const notes: string[] = [];
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return notes;
  const cluster = raw as Record<string, unknown>;
  if (!('hosts' in cluster)) return notes;
  const hosts = cluster.hosts;
  const span = positions?.of(cluster, 'hosts');
  delete cluster.hosts;
  if ('load_assignment' in cluster || 'loadAssignment' in cluster) {
    notes.push('both "hosts" and "load_assignment" are set; "hosts" is ignored');
    return notes;
  }
  const list = Array.isArray(hosts) ? hosts : [];
  const lbEndpoints = list.map((address) => {
    const endpoint = { address };
    const wrapper = { endpoint };
    if (span && positions) {
      positions.record(wrapper, 'endpoint', span);
      positions.record(endpoint, 'address', span);
    }
    return wrapper;
  });
  const assignment = { cluster_name: cluster.name, endpoints: [{ lb_endpoints: lbEndpoints }] };
  cluster.load_assignment = assignment;
  if (span && positions) {
    positions.record(cluster, 'load_assignment', span);
    positions.record(assignment, 'endpoints', span);
    positions.record(assignment.endpoints, 0, span);
    positions.record(assignment.endpoints[0]!, 'lb_endpoints', span);
    lbEndpoints.forEach((_, i) => positions.record(lbEndpoints, i, span));
  }
  notes.push('legacy "hosts" converted to "load_assignment"');
  return notes;
}
