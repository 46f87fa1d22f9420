// A real `bin/skein xds serve` process serving a folder, and readers for its status
// endpoints (/debug/syncz, /debug/snapshot).
import { spawnSkein, type SkeinProcess } from './process.js';

export interface XdsServer {
  proc: SkeinProcess;
  /** The xDS gRPC port (127.0.0.1). */
  port: number;
  /** Base URL of the status server, e.g. http://127.0.0.1:PORT */
  statusUrl: string;
}

/** Starts `skein xds serve --dir DIR` on 127.0.0.1 (`port` 0 picks a free one) with its status server on a free port. */
export async function spawnXdsServer(dir: string, port = 0, extraArgs: string[] = []): Promise<XdsServer> {
  const proc = spawnSkein(['xds', 'serve', '--dir', dir, '--port', String(port), '--address', '127.0.0.1', '--status-port', '0', ...extraArgs]);
  const bound = Number((await proc.waitFor(/xds server listening on 127\.0\.0\.1:(\d+)/))[1]);
  const statusUrl = (await proc.waitFor(/xds status listening on (http:\/\/\S+)\/debug\/syncz/))[1]!;
  return { proc, port: bound, statusUrl };
}

export interface TypeSync {
  state: 'SYNCED' | 'STALE' | 'NOT SENT';
  sentVersion?: string;
  sentResources?: number;
  ackedVersion?: string;
  lastNack?: { message: string; version: string; nonce: string; at: string };
}

export interface SyncEntry {
  streamId: number;
  nodeId: string;
  protocol: 'sotw' | 'delta';
  service: string;
  types: Record<string, TypeSync>;
}

export async function syncz(statusUrl: string): Promise<SyncEntry[]> {
  const res = await fetch(`${statusUrl}/debug/syncz`);
  if (res.status !== 200) throw new Error(`/debug/syncz: ${res.status}`);
  return (await res.json()) as SyncEntry[];
}

/** The status of the (single) stream of `nodeId`, or undefined when it is not connected. */
export async function syncEntry(statusUrl: string, nodeId: string): Promise<SyncEntry | undefined> {
  const entries = (await syncz(statusUrl)).filter((e) => e.nodeId === nodeId);
  if (entries.length > 1) throw new Error(`${entries.length} streams for node ${nodeId}: ${JSON.stringify(entries)}`);
  return entries[0];
}

export interface Served {
  /** The snapshot's version (`COUNTER-HASH`). */
  version: string;
  /** Per type (CDS, EDS, LDS, RDS, SDS): a type keeps its version while its resources do not change. */
  versions: Record<string, string>;
}

/** What the server is serving now, from /debug/snapshot. */
export async function served(statusUrl: string): Promise<Served> {
  const res = await fetch(`${statusUrl}/debug/snapshot`);
  if (res.status !== 200) throw new Error(`/debug/snapshot: ${res.status}`);
  const body = (await res.json()) as Served;
  return { version: body.version, versions: body.versions };
}
