// The control plane's debug endpoint: istiod's paths (`/debug/syncz` for per-proxy
// sync state) served as JSON on a small HTTP port, so tests, curl and later
// `skein proxy-status` can see what each connected proxy has ACKed or NACKed
// without speaking xDS themselves.
import { startDebugHttpServer, type DebugRoute } from '../../debug_http_server.js';

export interface DebugSources {
  /** `/debug/syncz`: one entry per connected proxy stream. */
  syncz(): unknown;
  /** `/debug/metrics`: the xDS server's counters. */
  metrics(): unknown;
  /** `/debug/snapshot`: what is being served and why files are not. */
  snapshot(): unknown;
}

export interface DebugServer {
  port: number;
  close(): Promise<void>;
}

const PATHS: Record<string, keyof DebugSources> = {
  '/debug/syncz': 'syncz',
  '/debug/metrics': 'metrics',
  '/debug/snapshot': 'snapshot',
};

export async function startDebugServer(sources: DebugSources, port: number, host: string): Promise<DebugServer> {
  const routes: DebugRoute[] = Object.entries(PATHS).map(([path, source]) => ({
    path,
    help: `${source} as JSON`,
    handle: () => ({ json: sources[source]() }),
  }));
  return startDebugHttpServer(routes, port, host);
}
