// `skein mesh status`: pods like `kubectl get pods -o wide` shows them.
import type { PodStatus } from './pod.js';

/** kubectl's short ages: 45s, 3m20s, 12m, 5h3m, 2d4h. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  return d < 8 ? `${d}d${h % 24}h` : `${d}d`;
}

export function podTable(pods: readonly PodStatus[], options: { now?: number; withNamespace?: boolean } = {}): string {
  const now = options.now ?? Date.now();
  const header = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE', 'IP'];
  if (options.withNamespace) header.unshift('NAMESPACE');
  const rows = pods.map((p) => {
    const row = [p.name, p.ready, p.status, String(p.restarts), formatAge(now - Date.parse(p.createdAt)), p.ip];
    if (options.withNamespace) row.unshift(p.namespace);
    return row;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]! + 3))).join('')).join('\n') + '\n';
}
