// Each service's localIndex (1..254) picks its per-pod "service view" address in the
// local mesh (local_addresses.ts). Addresses that apps have already been given must not
// move, so a rebuild keeps every surviving service's index and only hands out free
// ones to new services; removed services free theirs.
import { MAX_LOCAL_SERVICES } from '../model/local_addresses.js';
import type { Service } from '../model/types.js';

export function localIndexKey(svc: Pick<Service, 'namespace' | 'hostname'>): string {
  return `${svc.namespace}/${svc.hostname}`;
}

/**
 * Sets `localIndex` on every service (mutates). `services` must already be in a stable
 * order (sorted by hostname): new services get the smallest free index in that order.
 * Returns a warning naming the services left without an index (0), if any.
 */
export function assignLocalIndexes(services: Service[], previous?: ReadonlyMap<string, number>): string[] {
  const used = new Set<number>();
  const pending: Service[] = [];
  for (const svc of services) {
    const old = previous?.get(localIndexKey(svc));
    if (old !== undefined && old >= 1 && old <= MAX_LOCAL_SERVICES && !used.has(old)) {
      svc.localIndex = old;
      used.add(old);
    } else {
      pending.push(svc);
    }
  }
  const left: Service[] = [];
  let next = 1;
  for (const svc of pending) {
    while (next <= MAX_LOCAL_SERVICES && used.has(next)) next++;
    if (next > MAX_LOCAL_SERVICES) {
      svc.localIndex = 0;
      left.push(svc);
      continue;
    }
    svc.localIndex = next;
    used.add(next);
  }
  if (left.length === 0) return [];
  // One warning, not one per service: a big Kubernetes registry may have thousands.
  const shown = left.slice(0, 10).map((s) => s.hostname);
  const more = left.length > shown.length ? ` and ${left.length - shown.length} more` : '';
  return [
    `more than ${MAX_LOCAL_SERVICES} services: ${left.length} have no local mesh address and are unreachable through the local mesh: ${shown.join(', ')}${more}`,
  ];
}

/** The index map to pass as `previous` to the next build. */
export function localIndexesOf(services: readonly Service[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const svc of services) if (svc.localIndex > 0) out.set(localIndexKey(svc), svc.localIndex);
  return out;
}
