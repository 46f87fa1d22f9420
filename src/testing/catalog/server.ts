// `skein catalog`: the book's catalog service (istioinaction/catalog, a json-server app on
// port 3000). Same items, same Express-style answers, and the same /blowup switch the
// book's chaos scripts use to make /items fail (500s), slow down, or drop connections.
import type http from 'node:http';
import { createHttpServer, listen, type RunningServer } from '../httpbin/listen.js';

export interface CatalogItem {
  id: number;
  color: string;
  department: string;
  name: string;
  price: string;
  imageUrl?: string;
  [extra: string]: unknown;
}

export const CATALOG_ITEMS: readonly CatalogItem[] = [
  { id: 1, color: 'amber', department: 'Eyewear', name: 'Elinor Glasses', price: '282.00' },
  { id: 2, color: 'cyan', department: 'Clothing', name: 'Atlas Shirt', price: '127.00' },
  { id: 3, color: 'teal', department: 'Clothing', name: 'Small Metal Shoes', price: '232.00' },
  { id: 4, color: 'red', department: 'Watches', name: 'Red Dragon Watch', price: '232.00' },
];

export interface CatalogOptions {
  port: number;
  host?: string;
  /** Adds `imageUrl` to items, as catalog v2 does with SHOW_IMAGE set (default: $SHOW_IMAGE). */
  showImage?: boolean;
}

interface Blowup {
  type?: string;
  active?: boolean;
  percentage?: number;
  latencyMs?: number;
  volatile?: boolean;
}

const JSON_CT = 'application/json; charset=utf-8';
const TEXT_CT = 'text/plain; charset=utf-8';

function send(res: http.ServerResponse, status: number, contentType: string | undefined, body: string): void {
  const headers: Record<string, string | number> = { 'X-Powered-By': 'Express', 'Content-Length': Buffer.byteLength(body) };
  if (contentType) headers['Content-Type'] = contentType;
  res.writeHead(status, headers);
  res.end(body);
}

// json-server sets Express's `json spaces` to 2
const sendJSON = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, JSON_CT, JSON.stringify(value, null, 2));

function readJSON(req: http.IncomingMessage): Promise<Record<string, unknown> | Error> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', (err) => resolve(err));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve({});
      try {
        const v: unknown = JSON.parse(text);
        resolve(v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {});
      } catch (err) {
        resolve(err as Error);
      }
    });
  });
}

export function catalogHandler(options: Omit<CatalogOptions, 'port' | 'host'> = {}): http.RequestListener {
  const items: CatalogItem[] = CATALOG_ITEMS.map((i) => ({ ...i }));
  let autoIncrement = 4;
  const blowups: Record<string, Blowup> = {};
  const showImage = options.showImage ?? Boolean(process.env.SHOW_IMAGE);
  const withImage = (i: CatalogItem): CatalogItem => (showImage ? { ...i, imageUrl: 'http://lorempixel.com/640/480' } : i);

  /** The blowup middleware: true when it has taken over the response. */
  function blowUp(path: string, req: http.IncomingMessage, res: http.ServerResponse, next: () => void): boolean {
    if (!path.includes('items')) return false;
    for (const b of Object.values(blowups)) {
      if (b.active !== true) continue;
      const hit = () => Math.floor(Math.random() * 100) <= (b.percentage || 100);
      if (b.type === '500' && hit()) {
        send(res, 500, undefined, '');
        return true;
      }
      if (b.type === 'latency') {
        const ms = b.latencyMs || 1000;
        setTimeout(next, b.volatile ? Math.floor(Math.random() * ms) : ms);
        return true;
      }
      if (b.type === 'drop' && hit()) {
        req.socket.end();
        return true;
      }
    }
    return false;
  }

  async function route(method: string, path: string, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (path === '/items' && method === 'GET') return sendJSON(res, 200, items.map(withImage));
    const byId = /^\/items\/([^/]+)$/.exec(path);
    if (byId && method === 'GET') {
      const id = decodeURIComponent(byId[1]);
      // Express compares with ==, so "1" and "01" both find item 1
      const item = id.trim() === '' ? undefined : items.find((i) => i.id === Number(id));
      return item ? sendJSON(res, 200, withImage(item)) : send(res, 404, TEXT_CT, 'Not Found');
    }
    if (path === '/items' && method === 'POST') {
      const body = await readJSON(req);
      if (body instanceof Error) return send(res, 400, TEXT_CT, `SyntaxError: ${body.message}`);
      items.push({ ...(body as CatalogItem), id: ++autoIncrement });
      return send(res, 201, undefined, '');
    }
    if (path === '/blowup') {
      if (method === 'GET') return sendJSON(res, 200, blowups);
      const body = await readJSON(req);
      if (body instanceof Error) return send(res, 400, TEXT_CT, `SyntaxError: ${body.message}`);
      const type = String(body.type);
      if (method === 'POST') {
        blowups[type] = body as Blowup;
        return send(res, 200, 'text/html; charset=utf-8', 'blowups=[object Object]');
      }
      if (method === 'DELETE') {
        delete blowups[type];
        return send(res, 200, 'text/html; charset=utf-8', `deleted blowup ${type}`);
      }
    }
    send(res, 404, 'text/html; charset=utf-8', `<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Error</title>\n</head>\n<body>\n<pre>Cannot ${method} ${path}</pre>\n</body>\n</html>\n`);
  }

  return (req, res) => {
    // Express routes HEAD to GET handlers (node drops the body)
    const method = req.method === 'HEAD' ? 'GET' : req.method ?? 'GET';
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const run = () => {
      route(method, path, req, res).catch((err: unknown) => {
        if (!res.headersSent) send(res, 500, TEXT_CT, String(err));
      });
    };
    if (!blowUp(path, req, res, run)) run();
  };
}

export function startCatalog(options: CatalogOptions): Promise<RunningServer> {
  return listen(createHttpServer(catalogHandler(options)), options.port, options.host);
}
