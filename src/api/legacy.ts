// Envoy v3 reserved the old Cluster `hosts` field, but the book's chapter 3 configs
// (and many blog posts) still use it; Envoy 1.19 accepted it. skein upgrades it to the
// equivalent `load_assignment` before schema checks, keeping source positions, so a
// bad address inside `hosts` is still reported at its own line.
import type { PositionIndex } from './yaml/source.js';

export interface LegacyUpgradeResult {
  /** Warnings: what was converted or ignored. */
  notes: string[];
  /** Problems that make the legacy field unusable (the field is dropped). */
  errors: string[];
}

/** Upgrades a raw (pre-schema) cluster in place; see LegacyUpgradeResult. */
export function upgradeLegacyClusterChecked(raw: unknown, positions?: PositionIndex): LegacyUpgradeResult {
  const result: LegacyUpgradeResult = { notes: [], errors: [] };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return result;
  const cluster = raw as Record<string, unknown>;
  if (!('hosts' in cluster)) return result;
  const hosts = cluster.hosts;
  const span = positions?.of(cluster, 'hosts');
  delete cluster.hosts;
  if (hosts === null) return result;
  if ('load_assignment' in cluster || 'loadAssignment' in cluster) {
    result.notes.push('both "hosts" and "load_assignment" are set; "hosts" is ignored');
    return result;
  }
  if (!Array.isArray(hosts)) {
    result.errors.push('"hosts" must be a list of addresses, e.g. hosts: [{ socket_address: { address: httpbin, port_value: 8000 } }]');
    return result;
  }
  const lbEndpoints = hosts.map((address, i) => {
    const endpoint = { address };
    const wrapper = { endpoint };
    const at = positions?.of(hosts, i) ?? span;
    if (at && positions) {
      positions.record(wrapper, 'endpoint', at);
      positions.record(endpoint, 'address', at);
    }
    return wrapper;
  });
  // A missing or odd cluster name is reported on `name` itself; don't report it twice.
  const name = typeof cluster.name === 'string' || typeof cluster.name === 'number' ? (positions?.textOf(cluster, 'name') ?? String(cluster.name)) : '';
  const assignment = { cluster_name: name || 'hosts', endpoints: [{ lb_endpoints: lbEndpoints }] };
  cluster.load_assignment = assignment;
  if (span && positions) {
    positions.record(cluster, 'load_assignment', span);
    positions.record(assignment, 'cluster_name', span);
    positions.record(assignment, 'endpoints', span);
    positions.record(assignment.endpoints, 0, span);
    positions.record(assignment.endpoints[0]!, 'lb_endpoints', span);
    lbEndpoints.forEach((_, i) => positions.record(lbEndpoints, i, positions.of(hosts, i) ?? span));
  }
  result.notes.push('legacy "hosts" converted to "load_assignment"');
  return result;
}

/** Upgrades a raw cluster in place and returns the warnings (errors are dropped). */
export function upgradeLegacyCluster(raw: unknown, positions?: PositionIndex): string[] {
  return upgradeLegacyClusterChecked(raw, positions).notes;
}
