// What changed between two push contexts when only endpoints did (istiod's EDS-only
// pushes): pods started or stopped, EndpointSlices or WorkloadEntries edited, and no
// config object that translation reads otherwise. The discovery server then rebuilds
// only the ClusterLoadAssignments of the service ports named here.
import { endpointKey } from '../registry/types.js';
import type { Endpoint, PushContext, Workload } from './types.js';

export interface EndpointChanges {
  /** endpointKey(hostname, port) of every service port whose endpoints differ. */
  readonly keys: ReadonlySet<string>;
  /** The hostnames of those service ports. */
  readonly hostnames: ReadonlySet<string>;
  /**
   * Addresses whose proxies may see more than endpoints change: every endpoint of a
   * changed port (before and after: a sidecar's inbound listeners come from the
   * endpoints at its own IP), and every workload that appeared, went or changed (a
   * proxy's locality and named ports come from the workload at its IP).
   */
  readonly addresses: ReadonlySet<string>;
}

/**
 * The endpoint changes from `previous` to `next`, or undefined when anything else
 * changed too (mesh config, services, any config object but EndpointSlices, Endpoints
 * and WorkloadEntries): then every proxy's config has to be built again.
 */
export function endpointChanges(previous: PushContext, next: PushContext): EndpointChanges | undefined {
  if (previous.configVersion !== next.configVersion) return undefined;
  const keys = new Set<string>();
  const hostnames = new Set<string>();
  const addresses = new Set<string>();
  for (const svc of next.services()) {
    for (const port of svc.ports) {
      const key = endpointKey(svc.hostname, port.port);
      if (keys.has(key)) continue;
      const before = previous.endpoints(svc.hostname, port.port);
      const after = next.endpoints(svc.hostname, port.port);
      if (before === after || sameList(before, after)) continue;
      keys.add(key);
      hostnames.add(svc.hostname);
      for (const ep of [...before, ...after]) addresses.add(ep.address);
    }
  }
  const workloadsBefore = byAddress(previous.workloads());
  const workloadsAfter = byAddress(next.workloads());
  for (const [address, list] of workloadsAfter) if (!sameList(workloadsBefore.get(address) ?? [], list)) addresses.add(address);
  for (const address of workloadsBefore.keys()) if (!workloadsAfter.has(address)) addresses.add(address);
  return { keys, hostnames, addresses };
}

function byAddress(workloads: readonly Workload[]): Map<string, Workload[]> {
  const out = new Map<string, Workload[]>();
  for (const w of workloads) {
    const list = out.get(w.address);
    if (list) list.push(w);
    else out.set(w.address, [w]);
  }
  return out;
}

function sameList(a: readonly (Endpoint | Workload)[], b: readonly (Endpoint | Workload)[]): boolean {
  return a.length === b.length && a.every((x, i) => samePlainData(x, b[i]));
}

/** Deep equality of JSON-like data (endpoints and workloads are plain objects of strings, numbers, booleans). */
export function samePlainData(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => samePlainData((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
