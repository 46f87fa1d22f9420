// A minimal node:http upstream, used only to compare against nginx as the shared
// upstream (run.mjs --upstream node). Usage: node upstream-node.mjs PORT
import http from 'node:http';
import { BODY } from '../lib/configs.mjs';

const body = Buffer.from(BODY);
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
  res.end(body);
});
server.keepAliveTimeout = 300_000;
server.listen(Number(process.argv[2]), '127.0.0.1');
