// fast-proxy peer (undici client, as its README recommends for speed).
// Usage: node fast-proxy.mjs PORT http://127.0.0.1:UPSTREAM
import http from 'node:http';
import fastProxy from 'fast-proxy';

const [port, base] = process.argv.slice(2);
const { proxy } = fastProxy({ base, undici: { connections: 256, pipelining: 1 } });
const server = http.createServer((req, res) => proxy(req, res, req.url, {}));
server.keepAliveTimeout = 300_000;
server.listen(Number(port), '127.0.0.1');
