// The book's catalog and webapp sample services: catalog's items and answers, webapp's
// calls to catalog (header forwarding, error handling), over real sockets.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { CATALOG_ITEMS, startCatalog } from '../../src/testing/catalog/index.js';
import type { RunningServer } from '../../src/testing/httpbin/listen.js';
import { defaultCatalogUrl, startWebapp } from '../../src/testing/webapp/index.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

function request(port: number, path: string, opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {}): Promise<Reply> {
  const headers = { ...opts.headers };
  if (opts.body !== undefined) headers['content-length'] = Buffer.byteLength(opts.body);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: opts.method ?? 'GET', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const BOOK_ITEMS = [
  { id: 1, color: 'amber', department: 'Eyewear', name: 'Elinor Glasses', price: '282.00' },
  { id: 2, color: 'cyan', department: 'Clothing', name: 'Atlas Shirt', price: '127.00' },
  { id: 3, color: 'teal', department: 'Clothing', name: 'Small Metal Shoes', price: '232.00' },
  { id: 4, color: 'red', department: 'Watches', name: 'Red Dragon Watch', price: '232.00' },
];

describe('catalog', () => {
  let catalog: RunningServer;
  before(async () => {
    catalog = await startCatalog({ port: 0, host: '127.0.0.1', showImage: false });
  });
  after(() => catalog.close());

  it('GET /items returns the four book items as json-server prints them', async () => {
    const r = await request(catalog.port, '/items');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(r.text), BOOK_ITEMS);
    assert.deepEqual(CATALOG_ITEMS, BOOK_ITEMS);
    // the book's access logs show 502 bytes for this answer
    assert.equal(r.headers['content-length'], '502');
  });

  it('GET /items/{id}: one item, or 404', async () => {
    const r = await request(catalog.port, '/items/1');
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), BOOK_ITEMS[0]);
    assert.ok(r.text.startsWith('{\n  "id": 1,'));
    const missing = await request(catalog.port, '/items/42');
    assert.equal(missing.status, 404);
    assert.equal(missing.text, 'Not Found');
  });

  it('POST /items adds an item with the next id and answers 201', async () => {
    const body = JSON.stringify({ color: 'blue', department: 'Toys', name: 'Kite', price: '10.00' });
    const r = await request(catalog.port, '/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    assert.equal(r.status, 201);
    assert.equal(r.text, '');
    const items = JSON.parse((await request(catalog.port, '/items')).text);
    assert.equal(items.length, 5);
    assert.deepEqual(items[4], { color: 'blue', department: 'Toys', name: 'Kite', price: '10.00', id: 5 });
  });

  it('/blowup makes /items fail until removed', async () => {
    const blow = JSON.stringify({ type: '500', percentage: 100, active: true });
    assert.equal((await request(catalog.port, '/blowup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: blow })).status, 200);
    assert.equal((await request(catalog.port, '/items')).status, 500);
    const del = JSON.stringify({ type: '500' });
    assert.equal((await request(catalog.port, '/blowup', { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: del })).status, 200);
    assert.equal((await request(catalog.port, '/items')).status, 200);
  });
});

describe('webapp', () => {
  let catalog: RunningServer;
  let webapp: RunningServer;
  before(async () => {
    catalog = await startCatalog({ port: 0, host: '127.0.0.1', showImage: false });
    webapp = await startWebapp({ port: 0, host: '127.0.0.1', catalogUrl: `http://127.0.0.1:${catalog.port}` });
  });
  after(async () => {
    await webapp.close();
    await catalog.close();
  });

  it('GET /api/catalog returns catalog items as compact JSON', async () => {
    const r = await request(webapp.port, '/api/catalog');
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(r.text, JSON.stringify(BOOK_ITEMS));
  });

  it('GET /api/catalog/items/{id} and /api/healthz', async () => {
    const r = await request(webapp.port, '/api/catalog/items/3');
    assert.deepEqual(JSON.parse(r.text), BOOK_ITEMS[2]);
    const h = await request(webapp.port, '/api/healthz');
    assert.equal(h.status, 200);
    assert.equal(h.text, 'Healthy!');
    assert.equal((await request(webapp.port, '/api/catalog/items/99')).status, 500);
  });

  it('forwards x-* and Authorization headers to catalog', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const fake = http.createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('[]');
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    const port = (fake.address() as { port: number }).port;
    const w = await startWebapp({ port: 0, host: '127.0.0.1', catalogUrl: `http://127.0.0.1:${port}` });
    try {
      const r = await request(w.port, '/api/catalog', {
        headers: { 'x-request-id': 'rid-1', 'x-b3-traceid': 't1', authorization: 'Bearer tok', cookie: 'c=1', 'accept-language': 'ko' },
      });
      assert.equal(r.status, 200);
      assert.equal(r.text, '[]');
      assert.equal(seen.length, 1);
      assert.equal(seen[0]['x-request-id'], 'rid-1');
      assert.equal(seen[0]['x-b3-traceid'], 't1');
      assert.equal(seen[0].authorization, 'Bearer tok');
      assert.equal(seen[0].cookie, undefined);
      assert.equal(seen[0]['accept-language'], undefined);
      assert.equal(seen[0]['user-agent'], 'beegoServer');
    } finally {
      await w.close();
      fake.closeAllConnections();
      await new Promise((resolve) => fake.close(resolve));
    }
  });

  it('answers 500 "error calling Catalog service" when catalog fails', async () => {
    const down = await startCatalog({ port: 0, host: '127.0.0.1' });
    const downPort = down.port;
    await down.close();
    const w = await startWebapp({ port: 0, host: '127.0.0.1', catalogUrl: `http://127.0.0.1:${downPort}` });
    try {
      const r = await request(w.port, '/api/catalog');
      assert.equal(r.status, 500);
      assert.equal(r.text, 'error calling Catalog service');
    } finally {
      await w.close();
    }
    const blow = JSON.stringify({ type: '500', active: true });
    await request(catalog.port, '/blowup', { method: 'POST', headers: { 'content-type': 'application/json' }, body: blow });
    try {
      const r = await request(webapp.port, '/api/catalog');
      assert.equal(r.status, 500);
      assert.equal(r.text, 'error calling Catalog service');
    } finally {
      await request(catalog.port, '/blowup', { method: 'DELETE', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: '500' }) });
    }
  });

  it('finds catalog from CATALOG_SERVICE_HOST / CATALOG_SERVICE_PORT', () => {
    assert.equal(defaultCatalogUrl({ CATALOG_SERVICE_HOST: 'catalog.istioinaction', CATALOG_SERVICE_PORT: '80' }), 'http://catalog.istioinaction:80');
    assert.equal(defaultCatalogUrl({}), 'http://127.0.0.1:3000');
  });
});
