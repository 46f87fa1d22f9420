// The control planes' debug port: `skein discovery`'s (istiod splits this over 8080
// and 15014; one port on 127.0.0.1 is enough here) and `skein xds serve`'s. JSON
// debug pages, /ready and Prometheus /metrics. Handlers are plain functions of the
// query string so each server decides what its pages show and this file only speaks
// HTTP.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type DebugReply =
  | { status?: number; json: unknown }
  | { status?: number; text: string; contentType?: string };

export interface DebugRoute {
  path: string;
  help: string;
  handle(query: URLSearchParams): DebugReply;
}

export interface DebugHttpServer {
  port: number;
  close(): Promise<void>;
}

export async function startDebugHttpServer(routes: DebugRoute[], port: number, host: string): Promise<DebugHttpServer> {
  const byPath = new Map(routes.map((r) => [r.path, r]));
  const index = () => ({ endpoints: routes.map((r) => ({ path: r.path, help: r.help })) });
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://debug');
    const send = (reply: DebugReply) => {
      const status = reply.status ?? 200;
      if ('json' in reply) {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(req.method === 'HEAD' ? undefined : JSON.stringify(reply.json, null, 2) + '\n');
      } else {
        res.writeHead(status, { 'content-type': reply.contentType ?? 'text/plain; charset=utf-8' });
        res.end(req.method === 'HEAD' ? undefined : reply.text);
      }
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return send({ status: 405, json: { error: 'only GET is supported' } });
    if (url.pathname === '/' || url.pathname === '/debug') return send({ json: index() });
    const route = byPath.get(url.pathname);
    if (!route) return send({ status: 404, json: { error: `no such endpoint ${url.pathname}`, ...index() } });
    try {
      send(route.handle(url.searchParams));
    } catch (err) {
      send({ status: 500, json: { error: (err as Error).message } });
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
