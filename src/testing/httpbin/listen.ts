// Start/stop plumbing shared by the built-in test services (httpbin, echo, catalog, webapp).
import http from 'node:http';
import type net from 'node:net';

export interface RunningServer<S extends net.Server = http.Server> {
  server: S;
  /** The bound port (the real one when asked for port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * An HTTP server tuned to sit behind a proxy: idle keep-alive connections live longer than
 * node's 5 s default so a proxy's pooled connection is rarely closed under it mid-reuse.
 */
export function createHttpServer(handler: http.RequestListener): http.Server {
  const server = http.createServer({ keepAliveTimeout: 65_000, headersTimeout: 66_000 }, handler);
  // the benchmark upstream role: keep latency low for small responses
  server.on('connection', (socket: net.Socket) => socket.setNoDelay(true));
  return server;
}

export function listen<S extends net.Server>(server: S, port: number, host?: string): Promise<RunningServer<S>> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const addr = server.address();
      const bound = typeof addr === 'object' && addr ? addr.port : port;
      resolve({ server, port: bound, close: () => closeServer(server) });
    });
  });
}

/** Stops accepting, then drops every connection (including ones mid-request, e.g. /delay). */
export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    if (server instanceof http.Server) server.closeAllConnections();
  });
}
