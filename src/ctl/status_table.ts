// `skein proxy-status`: istioctl 1.17's table (the version the seeds show), one row
// per proxy sorted by name: NAME CLUSTER CDS LDS EDS RDS ECDS ISTIOD VERSION, each
// type SYNCED (the proxy ACKed the latest response), NOT SENT (nothing sent: never
// subscribed, like ECDS, or RDS on a gateway without routes) or STALE (sent and not
// ACKed yet, or NACKed).
import { formatTable } from './table.js';
import { stateOf, STATUS_TYPES, type SyncedProxy } from './syncz.js';

export const STATUS_HEADER = ['NAME', 'CLUSTER', 'CDS', 'LDS', 'EDS', 'RDS', 'ECDS', 'ISTIOD', 'VERSION'];

export function statusRows(proxies: readonly SyncedProxy[]): string[][] {
  return proxies.map((p) => [p.name, p.clusterId, ...STATUS_TYPES.map((t) => stateOf(p, t)), p.discovery, p.istioVersion]);
}

export function formatProxyStatus(proxies: readonly SyncedProxy[]): string {
  return formatTable([STATUS_HEADER, ...statusRows(proxies)]);
}

/**
 * What the table cannot show: the NACKs behind a STALE state, one line per type,
 * e.g. `webapp-1.ns: LDS version 3 NACKed: listener 0.0.0.0_8080: ...`.
 */
export function nackNotes(proxies: readonly SyncedProxy[]): string[] {
  const notes: string[] = [];
  for (const p of proxies) {
    for (const t of STATUS_TYPES) {
      const s = p.types[t];
      if (s?.state === 'STALE' && s.lastNack && s.lastNack.version === s.sentVersion) {
        notes.push(`${p.name}: ${t} version ${s.lastNack.version} NACKed: ${s.lastNack.message}`);
      }
    }
  }
  return notes;
}
