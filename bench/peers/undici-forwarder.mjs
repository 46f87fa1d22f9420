// The plain baseline DESIGN §6 names: a node:http server forwarding with an
// undici Pool (the same undici skein uses), nothing else.
// Usage: node undici-forwarder.mjs PORT http://127.0.0.1:UPSTREAM
import http from 'node:http';
import { pipeline } from 'node:stream';
import { Pool } from 'undici';

const [port, origin] = process.argv.slice(2);
const pool = new Pool(origin, { connections: 256, pipelining: 1, keepAliveTimeout: 300_000 });
// Hop-by-hop headers must not be forwarded (and undici rejects some of them).
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'expect']);
const strip = (headers) => Object.fromEntries(Object.entries(headers).filter(([k]) => !HOP.has(k)));

const server = http.createServer(async (req, res) => {
  try {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const up = await pool.request({ method: req.method, path: req.url, headers: strip(req.headers), body: hasBody ? req : null });
    res.writeHead(up.statusCode, strip(up.headers));
    pipeline(up.body, res, () => {});
  } catch {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  }
});
server.keepAliveTimeout = 300_000;
server.listen(Number(port), '127.0.0.1');
