// `skein webapp`: the book's webapp (a beego app on port 8080) in front of catalog. It
// forwards the caller's x-* and Authorization headers so tracing and header-based routing
// work end to end, and turns any catalog trouble into beego's 500 "error calling Catalog
// service".
import http from 'node:http';
import { createHttpServer, listen, type RunningServer } from '../httpbin/listen.js';

export interface WebappOptions {
  port: number;
  host?: string;
  /** Base URL of catalog; default http://$CATALOG_SERVICE_HOST:$CATALOG_SERVICE_PORT, else http://127.0.0.1:3000. */
  catalogUrl?: string;
}

const CATALOG_ERROR = 'error calling Catalog service';
// beego's httplib default, visible in catalog's access log as the book shows
const USER_AGENT = 'beegoServer';
const UPSTREAM_TIMEOUT_MS = 60_000;

export function defaultCatalogUrl(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CATALOG_SERVICE_HOST) return `http://${env.CATALOG_SERVICE_HOST}:${env.CATALOG_SERVICE_PORT || '80'}`;
  return 'http://127.0.0.1:3000';
}

/** The Go struct webapp decodes into: unknown fields dropped, missing ones zero. */
function catalogItem(v: unknown): Record<string, unknown> {
  const o = (v && typeof v === 'object' ? v : {}) as Record<string, unknown>;
  const str = (x: unknown) => (typeof x === 'string' ? x : '');
  const item: Record<string, unknown> = {
    id: typeof o.id === 'number' ? Math.trunc(o.id) : 0,
    color: str(o.color),
    department: str(o.department),
    name: str(o.name),
    price: str(o.price),
  };
  if (str(o.imageUrl)) item.imageUrl = o.imageUrl;
  return item;
}

/** ExtractHeaders: x-* and Authorization, first value of each. */
function forwardedHeaders(req: http.IncomingMessage): Record<string, string> {
  const out: Record<string, string> = { 'User-Agent': USER_AGENT };
  for (const [name, values] of Object.entries(req.headersDistinct)) {
    if ((name.startsWith('x-') || name.startsWith('authorization')) && values?.length) out[name] = values[0];
  }
  return out;
}

interface UpstreamReply {
  status: number;
  body: string;
}

function callCatalog(agent: http.Agent, base: URL, method: string, path: string, headers: Record<string, string>, body?: string): Promise<UpstreamReply> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const h: Record<string, string | number> = { ...headers };
    if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      h['Content-Length'] = Buffer.byteLength(body);
    }
    const req = http.request(url, { method, headers: h, agent, timeout: UPSTREAM_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout calling catalog')));
    req.on('error', reject);
    req.end(body);
  });
}

function send(res: http.ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const sendJSON = (res: http.ServerResponse, value: unknown) => send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value));
const sendText = (res: http.ServerResponse, status: number, text: string) => send(res, status, 'text/plain; charset=utf-8', text);

const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>Web App - Istio in Action</title>
</head>
<body>
<h1>Web App - Istio in Action</h1>
<p>Served by skein webapp. Try <a href="/api/catalog">/api/catalog</a>.</p>
</body>
</html>
`;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export function webappHandler(options: Omit<WebappOptions, 'port' | 'host'> & { agent: http.Agent }): http.RequestListener {
  const base = new URL(options.catalogUrl ?? defaultCatalogUrl());
  const { agent } = options;

  async function route(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const method = req.method ?? 'GET';
    const fwd = forwardedHeaders(req);
    if (path === '/api/healthz') return sendText(res, 200, 'Healthy!');
    if (path === '/api/catalog') {
      const reply = await callCatalog(agent, base, 'GET', '/items', fwd);
      const items: unknown = JSON.parse(reply.body);
      if (!Array.isArray(items)) throw new Error('catalog /items is not a list');
      return sendJSON(res, items.map(catalogItem));
    }
    if (path === '/api/catalog/items' && method === 'POST') {
      let item: unknown;
      try {
        item = JSON.parse(await readBody(req));
      } catch {
        return sendText(res, 400, 'Invalid CatalogItem');
      }
      const reply = await callCatalog(agent, base, 'POST', '/items', fwd, JSON.stringify(catalogItem(item)));
      if (reply.status !== 201) throw new Error(`catalog answered ${reply.status}`);
      return sendJSON(res, null);
    }
    const byId = /^\/api\/catalog\/items\/(-?\d+)$/.exec(path);
    if (byId) {
      const reply = await callCatalog(agent, base, 'GET', `/items/${Number(byId[1])}`, fwd);
      const item: unknown = JSON.parse(reply.body);
      if (!item || typeof item !== 'object' || Array.isArray(item)) throw new Error('catalog item is not an object');
      return sendJSON(res, catalogItem(item));
    }
    if (path === '/' || path === '/index.html') return send(res, 200, 'text/html; charset=utf-8', INDEX_HTML);
    sendText(res, 404, '404 page not found');
  }

  return (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    route(req, res, q < 0 ? url : url.slice(0, q)).catch(() => {
      // any failure talking to or decoding catalog is beego's CustomAbort(500, ...)
      if (!res.headersSent) sendText(res, 500, CATALOG_ERROR);
      else res.destroy();
    });
  };
}

export async function startWebapp(options: WebappOptions): Promise<RunningServer> {
  const agent = new http.Agent({ keepAlive: true });
  const running = await listen(createHttpServer(webappHandler({ ...options, agent })), options.port, options.host);
  return {
    ...running,
    close: async () => {
      await running.close();
      agent.destroy();
    },
  };
}
