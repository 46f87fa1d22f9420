// `skein demo-app`: the small demo image of seed 004 (rlawnsdud/demo) behind the Gateway
// API canary (myapp v1 80% / v2 20%) and the `/other` route. It is configured only by
// environment, as the seed's Deployments do: HOST and PORT (where to listen), APP_NAME
// (who answers: "myapp v1", "myapp v2", "otherapp") and GLOBAL_PREFIX (the path it is
// mounted under, e.g. "/other"). The seed tells versions apart by looking for "v1"/"v2"
// in the body, so the root answer is one plain-text line naming APP_NAME; /headers
// echoes the request headers so header modifiers (X-Mesh, X-Canary) can be seen.
import type http from 'node:http';
import os from 'node:os';
import { createHttpServer, listen, type RunningServer } from '../httpbin/listen.js';

export interface DemoAppOptions {
  port: number;
  host?: string;
  /** Default $APP_NAME, else "demo". */
  appName?: string;
  /** Default $GLOBAL_PREFIX, else "" (mounted at /). */
  globalPrefix?: string;
}

export const DEMO_APP_DEFAULT_PORT = 5678;

/** "/other/" → "/other", "other" → "/other", "/" or "" → "". */
export function normalizePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? '').trim().replace(/\/+$/, '');
  if (trimmed === '') return '';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}


export function demoAppHandler(options: Omit<DemoAppOptions, 'port' | 'host'> = {}): http.RequestListener {
  const appName = options.appName ?? process.env.APP_NAME ?? 'demo';
  const prefix = normalizePrefix(options.globalPrefix ?? process.env.GLOBAL_PREFIX);
  const hostname = process.env.HOSTNAME || os.hostname();
  const reply = (res: http.ServerResponse, status: number, contentType: string, body: string) => {
    res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };

  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    // Everything the app serves lives under its prefix; the rest is someone else's.
    if (prefix !== '' && path !== prefix && !path.startsWith(prefix + '/')) {
      return reply(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
    }
    const rest = path.slice(prefix.length) || '/';
    if (rest === '/') return reply(res, 200, 'text/plain; charset=utf-8', `Hello from ${appName} (${hostname})\n`);
    if (rest === '/healthz' || rest === '/health') return reply(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    if (rest === '/headers') {
      const body = { app: appName, hostname, method: req.method, path, headers: req.headers };
      return reply(res, 200, 'application/json; charset=utf-8', JSON.stringify(body, null, 2) + '\n');
    }
    reply(res, 404, 'text/plain; charset=utf-8', '404 page not found\n');
  };
}

export function startDemoApp(options: DemoAppOptions): Promise<RunningServer> {
  return listen(createHttpServer(demoAppHandler(options)), options.port, options.host);
}
