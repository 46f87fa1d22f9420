// One cache + one xDS server on a free port per test, and the clients it opened.
import { logRegistry } from '../../../src/common/logger.js';
import { SnapshotCache } from '../../../src/discovery/xds/cache/snapshot_cache.js';
import { XdsServer } from '../../../src/discovery/xds/server.js';
import { XdsTestClient, type DeltaClient, type SotwClient } from './client.js';
import type { XdsServiceSpec } from '../../../src/discovery/xds/services.js';

export interface Harness {
  cache: SnapshotCache;
  server: XdsServer;
  port: number;
  sotw(spec?: XdsServiceSpec): SotwClient;
  delta(spec?: XdsServiceSpec): DeltaClient;
  close(): Promise<void>;
}

// Connects and NACKs are logged at info/warning; keep test output to failures.
if (!process.env.XDS_TEST_LOG) logRegistry.setLevel('xds', 'error');

export async function startXds(): Promise<Harness> {
  const cache = new SnapshotCache();
  const server = new XdsServer({ cache });
  const { port } = await server.listen(0, '127.0.0.1');
  const clients: Array<{ close(): void }> = [];
  const track = <T extends { close(): void }>(c: T) => (clients.push(c), c);
  return {
    cache,
    server,
    port,
    sotw: (spec) => track(XdsTestClient.sotw(port, spec)),
    delta: (spec) => track(XdsTestClient.delta(port, spec)),
    close: async () => {
      for (const c of clients) c.close();
      await server.close();
    },
  };
}

/** Waits until `check` holds (status is updated when the server reads a request). */
export async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
