// The control plane's debug endpoint: istiod's paths (`/debug/syncz` for per-proxy
// sync state) served as JSON on a small HTTP port, so tests, curl and later
// `skein proxy-status` can see what each connected proxy has ACKed or NACKed
// without speaking xDS themselves.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

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
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://debug');
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body, null, 2) + '\n');
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, { error: 'only GET is supported' });
    if (url.pathname === '/' || url.pathname === '/debug') return send(200, { endpoints: Object.keys(PATHS) });
    const source = PATHS[url.pathname];
    if (!source) return send(404, { error: `no such endpoint ${url.pathname}`, endpoints: Object.keys(PATHS) });
    try {
      send(200, sources[source]());
    } catch (err) {
      send(500, { error: (err as Error).message });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
