// Shared pieces of the TCP proxy tests: a bootstrap with one tcp_proxy listener, plain
// upstream servers, and clients that record everything they receive until close.
import net from 'node:net';
import { indent, startProxy, type RunningProxy } from '../../../helpers/proxy.js';
// Registers the filter even before the lead wires it into extensions/builtin.ts.
import '../../../../src/proxy/network/tcp_proxy/config.js';

export const TCP_PROXY_URL = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';

/** One listener `tcp` on 127.0.0.1:0 whose only filter is tcp_proxy with `tcpProxy` (YAML body). */
export function tcpBootstrap(tcpProxy: string, clusters: string): string {
  return `
admin:
  address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
static_resources:
  listeners:
  - name: tcp
    address: { socket_address: { address: 127.0.0.1, port_value: 0 } }
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": ${TCP_PROXY_URL}
${indent(tcpProxy, 10)}
  clusters:
${indent(clusters, 2)}
`;
}

export async function withTcpProxy(tcpProxy: string, clusters: string, fn: (proxy: RunningProxy, port: number) => Promise<void>): Promise<void> {
  const proxy = await startProxy(tcpBootstrap(tcpProxy, clusters));
  try {
    await fn(proxy, proxy.port('tcp'));
  } finally {
    await proxy.stop();
  }
}

export interface Received {
  data: Buffer;
  /** The peer sent FIN (we saw 'end') before the socket closed. */
  gotEnd: boolean;
  error?: string;
}

/** Connects, writes `payload` (then FIN unless `keepOpen`), and collects what comes back until close. */
export function exchange(port: number, payload: string | Buffer, opts: { keepOpen?: boolean } = {}): Promise<Received> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let gotEnd = false;
    let error: string | undefined;
    const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true }, () => {
      if (payload.length) socket.write(payload);
      if (!opts.keepOpen) socket.end();
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => {
      gotEnd = true;
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      error = err.code ?? err.message;
    });
    socket.on('close', () => resolve({ data: Buffer.concat(chunks), gotEnd, error }));
  });
}

/** Sends one line and resolves with the first line that comes back (the connection stays open). */
export function openLine(port: number): Promise<{ socket: net.Socket; ask(line: string): Promise<string>; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' }, () => {
      let buffered = '';
      let waiter: ((line: string) => void) | undefined;
      socket.setEncoding('utf8');
      socket.on('data', (c: string) => {
        buffered += c;
        const nl = buffered.indexOf('\n');
        if (nl >= 0 && waiter) {
          const line = buffered.slice(0, nl);
          buffered = buffered.slice(nl + 1);
          const w = waiter;
          waiter = undefined;
          w(line);
        }
      });
      const closed = new Promise<void>((done) => socket.once('close', () => done()));
      resolve({
        socket,
        closed,
        ask: (line) =>
          new Promise<string>((answer) => {
            waiter = answer;
            socket.write(`${line}\n`);
          }),
      });
    });
    socket.once('error', reject);
  });
}

/** A port nothing listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A plain upstream server; `onSocket` decides what it does. Sockets are half-open capable. */
export async function startServer(onSocket: (socket: net.Socket) => void): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onSocket(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((done) => {
        for (const s of sockets) s.destroy();
        server.close(() => done());
      }),
  };
}

/** Stats from the admin /stats text output, by full name. */
export async function stats(proxy: RunningProxy, filter: string): Promise<Map<string, number>> {
  const res = await fetch(`${proxy.adminUrl}/stats?filter=${encodeURIComponent(filter)}`);
  const text = await res.text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([^:]+): (-?\d+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Polls `check` until it returns true (the proxy's close handlers run after the client sees the close). */
export async function eventually(check: () => Promise<boolean> | boolean, what: string, limitMs = 5000): Promise<void> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * Waits until the proxy has no open downstream or upstream connections: a client sees
 * its close before the proxy's own close handlers (stats, gauges, logs) have run.
 */
export async function settled(proxy: RunningProxy): Promise<void> {
  await eventually(async () => {
    const s = await stats(proxy, '(downstream_cx_active|upstream_cx_active)$');
    return [...s.entries()].every(([name, v]) => !/^(listener|cluster)\./.test(name) || v === 0);
  }, 'all connections to close');
}
