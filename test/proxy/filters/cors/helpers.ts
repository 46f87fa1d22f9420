// Shared by the CORS filter tests: a proxy whose chain is cors → router, and raw HTTP/1.1
// requests through node:http (fetch refuses to send Origin and the preflight headers).
import http from 'node:http';
import { bootstrapYaml, startProxy, staticCluster, type RunningProxy } from '../../../helpers/proxy.js';

export const CORS_POLICY = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';
export const FILTER_CONFIG = 'type.googleapis.com/envoy.config.route.v3.FilterConfig';

export const CORS_CHAIN = `
- name: envoy.filters.http.cors
  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.cors.v3.Cors }
- name: envoy.filters.http.router
  typed_config: { "@type": type.googleapis.com/envoy.extensions.filters.http.router.v3.Router }`;

export function startCorsProxy(routeConfig: string, upstreamPort: number, httpFilters = CORS_CHAIN): Promise<RunningProxy> {
  return startProxy(bootstrapYaml({ routeConfig, clusters: staticCluster('echo', [upstreamPort]), httpFilters }));
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export function send(port: number, method: string, path: string, host: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers: { host, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A preflight: OPTIONS with Origin and Access-Control-Request-Method (plus `extra`). */
export function preflight(port: number, path: string, host: string, origin: string, extra: Record<string, string> = {}): Promise<Reply> {
  return send(port, 'OPTIONS', path, host, { origin, 'access-control-request-method': 'PUT', ...extra });
}

/** The access-control-* response headers, for whole-set comparisons. */
export function corsHeaders(reply: Reply): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(reply.headers)) if (k.startsWith('access-control-')) out[k] = String(v);
  return out;
}

/** Whether the upstream (the echo server, which answers with JSON naming the method) saw the request. */
export function reachedUpstream(reply: Reply): boolean {
  try {
    return typeof (JSON.parse(reply.body) as { method?: unknown }).method === 'string';
  } catch {
    return false;
  }
}
