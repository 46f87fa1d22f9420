// `skein httpbin`: a go-httpbin compatible server on node:http, fast enough to be the
// upstream in benchmarks. Routing mirrors go-httpbin's ServeMux: method-restricted
// endpoints answer 405 with Allow, unknown paths Go's plain 404, unclean paths a 301.
import type http from 'node:http';
import * as h from './handlers.js';
import { cleanPath, decodePath, requestTarget, sendCleanPathRedirect, sendMethodNotAllowed, sendNotFound } from './gohttp.js';
import { createHttpServer, listen, type RunningServer } from './listen.js';

interface Route {
  /** Methods the Go pattern names (GET implies HEAD); undefined = any method. */
  methods?: string[];
  handler: h.Handler;
}

const only = (method: string, handler: h.Handler): Route => ({
  methods: method === 'GET' ? ['GET', 'HEAD'] : [method],
  handler,
});

const EXACT = new Map<string, Route>([
  ['/', only('GET', h.index)],
  ['/get', only('GET', h.get)],
  ['/head', only('HEAD', h.get)],
  ['/post', only('POST', h.requestWithBody)],
  ['/put', only('PUT', h.requestWithBody)],
  ['/patch', only('PATCH', h.requestWithBody)],
  ['/delete', only('DELETE', h.requestWithBody)],
  ['/anything', { handler: h.anything }],
  ['/headers', { handler: h.headers }],
  ['/ip', { handler: h.ip }],
  ['/user-agent', { handler: h.userAgent }],
  ['/uuid', { handler: h.uuid }],
  ['/response-headers', { handler: h.responseHeaders }],
]);

/** `/name/{value}` routes: exactly one non-empty segment after the prefix. */
const ONE_SEGMENT = new Map<string, h.Handler>([
  ['/status/', h.status],
  ['/delay/', h.delay],
  ['/bytes/', h.bytes],
]);

function lookup(path: string): { route: Route; param: string } | undefined {
  const exact = EXACT.get(path);
  if (exact) return { route: exact, param: '' };
  if (path.startsWith('/anything/')) return { route: { handler: h.anything }, param: '' };
  const slash = path.indexOf('/', 1);
  if (slash < 0) return undefined;
  const handler = ONE_SEGMENT.get(path.slice(0, slash + 1));
  const param = path.slice(slash + 1);
  if (!handler || param === '' || param.includes('/')) return undefined;
  return { route: { handler }, param };
}

const PREFLIGHT_METHODS = 'GET, POST, HEAD, PUT, DELETE, PATCH, QUERY, OPTIONS';

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  // go-httpbin's preflight middleware: CORS on every answer, OPTIONS answered here
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin || '*');
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  if (req.method === 'OPTIONS') {
    res.setHeader('Access-Control-Allow-Methods', PREFLIGHT_METHODS);
    res.setHeader('Access-Control-Max-Age', '3600');
    const requested = req.headers['access-control-request-headers'];
    if (requested) res.setHeader('Access-Control-Allow-Headers', requested);
    res.writeHead(200, { 'Content-Length': 0 });
    res.end();
    return;
  }
  const target = requestTarget(req);
  const clean = cleanPath(target.rawPath);
  if (clean !== target.rawPath) {
    sendCleanPathRedirect(res, req, clean + (target.hasQuery ? '?' + target.rawQuery : ''));
    return;
  }
  const found = lookup(decodePath(target.rawPath));
  if (!found) return sendNotFound(res);
  const { route, param } = found;
  if (route.methods && !route.methods.includes(req.method ?? '')) {
    return sendMethodNotAllowed(res, route.methods);
  }
  const done = route.handler({ req, res, target, param });
  if (done) {
    done.catch((err: unknown) => {
      // a handler bug must not take the test service down; answer like a crashed Go handler
      if (!res.headersSent) h.writeError(res, 500, String(err));
      else res.destroy();
    });
  }
}

export interface HttpbinOptions {
  port: number;
  host?: string;
}

export function startHttpbin(options: HttpbinOptions): Promise<RunningServer> {
  return listen(createHttpServer(handle), options.port, options.host);
}
