// @fastify/http-proxy peer (fastify + @fastify/reply-from on undici, defaults).
// Usage: node fastify-http-proxy.mjs PORT http://127.0.0.1:UPSTREAM
import Fastify from 'fastify';
import httpProxy from '@fastify/http-proxy';

const [port, upstream] = process.argv.slice(2);
const app = Fastify({ logger: false, keepAliveTimeout: 300_000 });
await app.register(httpProxy, { upstream });
await app.listen({ port: Number(port), host: '127.0.0.1' });
