// node-http-proxy peer. Usage: node http-proxy.mjs PORT http://127.0.0.1:UPSTREAM
// A keep-alive agent is passed explicitly: without one http-proxy sends
// `Connection: close` upstream and would pay a connect per request.
import http from 'node:http';
import httpProxy from 'http-proxy';

const [port, target] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const proxy = httpProxy.createProxyServer({ target, agent });
proxy.on('error', (_err, _req, res) => {
  if (res.writeHead && !res.headersSent) res.writeHead(502);
  res.end();
});
const server = http.createServer((req, res) => proxy.web(req, res));
server.keepAliveTimeout = 300_000;
server.listen(Number(port), '127.0.0.1');
