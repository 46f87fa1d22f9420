// kube-proxy's part of the local mesh: plain TCP forwarding from an address the outside
// (or an app without a sidecar) knows to a healthy endpoint of a service, chosen per
// connection round-robin. Used for NodePort / LoadBalancer node ports on 0.0.0.0, the
// way kind maps localhost:30000 to the ingress gateway in the seeds, and for the
// service addresses of pods that have no sidecar.
import net from 'node:net';
import type { PushContext } from '../discovery/model/types.js';

export interface Target {
  host: string;
  port: number;
}

export class TcpForwarder {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly pick: () => Target | undefined) {}

  /** Rejects with the OS error (EADDRINUSE, EACCES). */
  listen(host: string, port: number): Promise<void> {
    // half-open both ways: `printf 'hi\n' | nc` closes its side first and still gets its answer
    const server = net.createServer({ noDelay: true, allowHalfOpen: true }, (client) => this.forward(client));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host, port }, () => {
        server.off('error', reject);
        server.on('error', () => undefined);
        this.server = server;
        resolve();
      });
    });
  }

  private forward(client: net.Socket): void {
    const target = this.pick();
    if (!target) {
      client.destroy();
      return;
    }
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    upstream.setNoDelay(true);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    }
    client.pipe(upstream);
    upstream.pipe(client);
    // a reset on one side resets the other, as a connection through kube-proxy would
    client.once('error', () => upstream.destroy());
    upstream.once('error', () => client.destroy());
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/**
 * Round-robin over the healthy endpoints of one service port, read from the current
 * PushContext at each connection (so scaling and restarts apply at once).
 */
export function endpointPicker(push: () => PushContext | undefined, hostname: string, servicePort: number): () => Target | undefined {
  let next = 0;
  return () => {
    const endpoints = (push()?.endpoints(hostname, servicePort) ?? []).filter((e) => e.healthy && !e.hostname);
    if (endpoints.length === 0) return undefined;
    const e = endpoints[next++ % endpoints.length]!;
    return { host: e.address, port: e.port };
  };
}
