// The admin API (Envoy's /stats, /clusters, /config_dump, ...). Endpoints that change
// server state answer only to POST, as in Envoy; unknown paths list the commands.
import http from 'node:http';
import type { envoy } from '../../api/envoy-types.generated.js';
import { logger } from '../../common/logger.js';
import { HeaderMap } from '../http/header_map.js';
import { StreamInfo } from '../http/stream_info.js';
import { createAccessLogs } from '../observability/access_log/index.js';
import type { AccessLogInstance } from '../observability/access_log/types.js';
import type { Server } from '../server/server.js';
import { ADMIN_HANDLERS, type AdminHandler, type AdminResponse } from './handlers.js';

const log = logger('admin');

export class AdminServer {
  private server?: http.Server;
  private readonly accessLogs: AccessLogInstance[];
  private readonly handlers = new Map<string, AdminHandler>();

  constructor(
    readonly proxy: Server,
    config: envoy.config.bootstrap.v3.Admin,
  ) {
    this.accessLogs = createAccessLogs(config.access_log, 'admin.access_log', {});
    for (const h of ADMIN_HANDLERS) this.handlers.set(h.path, h);
  }

  listen(host: string, port: number): Promise<{ address: string; port: number }> {
    const server = http.createServer((req, res) => void this.handle(req, res));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        const a = server.address() as import('node:net').AddressInfo;
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  helpText(): string {
    const lines = ['admin commands are:'];
    for (const h of [...this.handlers.values()].sort((a, b) => a.path.localeCompare(b.path))) lines.push(`  ${h.path}: ${h.help}`);
    return lines.join('\n') + '\n';
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const handler = this.handlers.get(url.pathname);
    const method = req.method ?? 'GET';
    let response: AdminResponse;
    try {
      if (!handler) response = { status: 404, body: `invalid path. ${this.helpText()}` };
      else if (handler.mutates && method !== 'POST') {
        log.error(`admin path "${url.pathname}" mutates state, method=${method} rather than POST`);
        response = { status: 405, body: `Method ${method} not allowed, POST required.` };
      } else response = await handler.handle({ server: this.proxy, admin: this, query: url.searchParams, method });
    } catch (err) {
      log.error(`admin ${url.pathname} failed: ${(err as Error).stack ?? err}`);
      response = { status: 500, body: `error: ${(err as Error).message}\n` };
    }
    const body = Buffer.from(response.body);
    res.writeHead(response.status, {
      'content-type': response.contentType ?? 'text/plain; charset=UTF-8',
      'content-length': body.length,
      'cache-control': 'no-cache, max-age=0',
      'x-content-type-options': 'nosniff',
    });
    res.end(method === 'HEAD' ? undefined : body);
    this.logRequest(req, response.status, body.length);
    response.after?.();
  }

  private logRequest(req: http.IncomingMessage, status: number, bytes: number): void {
    if (!this.accessLogs.length) return;
    const info = new StreamInfo(`${req.socket.localAddress}:${req.socket.localPort}`, `${req.socket.remoteAddress}:${req.socket.remotePort}`);
    info.responseCode = status;
    info.bytesSent = bytes;
    info.endTime = info.elapsedMs();
    const headers = HeaderMap.fromFlat(req.rawHeaders);
    headers.add(':method', req.method ?? 'GET');
    headers.add(':path', req.url ?? '/');
    for (const l of this.accessLogs) l.log({ streamInfo: info, requestHeaders: headers });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
