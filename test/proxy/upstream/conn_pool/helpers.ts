// Shared pieces for the HTTP/1 pool tests: a raw TCP upstream that records the exact
// request bytes and answers with scripted bytes, a pool factory over a real
// ClusterInfo, and a promise-based client over the pool's callbacks.
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { Http1ConnectionPool } from '../../../../src/proxy/upstream/conn_pool/http1_client.js';
import { ClusterInfo, type Cluster } from '../../../../src/proxy/upstream/cluster_info.js';
import { Host } from '../../../../src/proxy/upstream/host.js';
import { HeaderMap } from '../../../../src/proxy/http/header_map.js';
import { StatsStore } from '../../../../src/proxy/stats/store.js';
import type { ResetReason, UpstreamRequest, UpstreamStream } from '../../../../src/proxy/upstream/conn_pool/types.js';

export interface RawRequest {
  /** Every byte of the request as received. */
  raw: string;
  head: string;
  body: string;
  /** Index of the server-side connection it came on (0-based, in accept order). */
  conn: number;
}

export interface RawConn {
  index: number;
  socket: net.Socket;
  /** Requests that came on this connection. */
  requests: RawRequest[];
  closed: boolean;
}

export type Responder = (req: RawRequest, conn: RawConn) => void;

/**
 * A TCP server that splits incoming bytes into HTTP/1 requests (content-length or
 * chunked bodies) and calls `respond` for each; the responder writes raw bytes.
 */
export class RawUpstream {
  readonly server: net.Server;
  readonly conns: RawConn[] = [];
  readonly requests: RawRequest[] = [];
  port = 0;

  constructor(public respond: Responder) {
    this.server = net.createServer((socket) => {
      const conn: RawConn = { index: this.conns.length, socket, requests: [], closed: false };
      this.conns.push(conn);
      let buffered = Buffer.alloc(0);
      socket.on('error', () => undefined);
      socket.on('close', () => (conn.closed = true));
      socket.on('data', (data: Buffer) => {
        buffered = Buffer.concat([buffered, data]);
        for (;;) {
          const split = splitRequest(buffered);
          if (!split) return;
          buffered = buffered.subarray(split.length);
          const req: RawRequest = { ...split.request, conn: conn.index };
          conn.requests.push(req);
          this.requests.push(req);
          this.respond(req, conn);
        }
      });
    });
  }

  async listen(): Promise<this> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

function splitRequest(buf: Buffer): { request: Omit<RawRequest, 'conn'>; length: number } | undefined {
  const text = buf.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const head = text.slice(0, headEnd + 4);
  const lower = head.toLowerCase();
  const cl = /\r\ncontent-length: *(\d+)/.exec(lower);
  let end = headEnd + 4;
  if (cl) {
    end += Number(cl[1]);
    if (text.length < end) return undefined;
  } else if (/\r\ntransfer-encoding: *chunked/.test(lower)) {
    const last = text.indexOf('\r\n0\r\n\r\n', headEnd + 2);
    const first = text.startsWith('0\r\n\r\n', headEnd + 4) ? headEnd + 4 : -1;
    if (first >= 0) end = first + 5;
    else if (last >= 0) end = last + 7;
    else return undefined;
  }
  const raw = text.slice(0, end);
  return { request: { raw, head, body: raw.slice(headEnd + 4) }, length: end };
}

/** `HTTP/1.1 200 OK` with content-length and the given extra header lines. */
export function okResponse(body = 'ok', extra = ''): string {
  return `HTTP/1.1 200 OK\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extra}\r\n${body}`;
}

export interface PoolFixture {
  pool: Http1ConnectionPool;
  info: ClusterInfo;
  host: Host;
  stats: StatsStore;
  /** Counter or gauge value by its short name (cluster.c.<name>). */
  stat(name: string): number;
}

export function makePool(port: number, cluster: Partial<Cluster> = {}, options: { tls?: import('node:tls').ConnectionOptions; ip?: string } = {}): PoolFixture {
  const stats = new StatsStore();
  const info = new ClusterInfo({ name: 'c', connect_timeout: { seconds: 2 }, ...cluster } as Cluster, stats.scope(''), 'c');
  const host = new Host({ ip: options.ip ?? '127.0.0.1', port, hostname: '', weight: 1, priority: 0 });
  const pool = new Http1ConnectionPool(host, info, options.tls ? { tls: options.tls } : {});
  const stat = (name: string): number => {
    const s = info.stats as unknown as Record<string, { value?: number; count?: number }>;
    const handle = s[name];
    if (!handle) throw new Error(`no stat ${name}`);
    return handle.value ?? handle.count ?? 0;
  };
  return { pool, info, host, stats, stat };
}

export interface Result {
  status?: number;
  headers?: HeaderMap;
  body: string;
  chunks: number;
  trailers?: HeaderMap;
  complete: boolean;
  reset?: ResetReason;
  detail?: string;
  upgrade?: { status: number; headers: HeaderMap; socket: Duplex };
}

export interface SendOptions {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: UpstreamRequest['body'];
  upgrade?: string;
  /** Called from onHeaders; return false to pause. */
  onHeaders?: (status: number, stream: UpstreamStream) => boolean;
  onData?: (chunk: Buffer, stream: UpstreamStream, result: Result) => boolean;
}

/** Sends one request; resolves on complete, reset or upgrade. `stream` is available synchronously. */
export function send(pool: Http1ConnectionPool, opts: SendOptions = {}): Promise<Result> & { stream: UpstreamStream } {
  const headers = HeaderMap.from({ ':method': opts.method ?? 'GET', ':path': opts.path ?? '/', ':authority': 'backend', ':scheme': 'http', ...opts.headers });
  let stream!: UpstreamStream;
  const promise = new Promise<Result>((resolve) => {
    const result: Result = { body: '', chunks: 0, complete: false };
    stream = pool.newStream(
      { method: opts.method ?? 'GET', path: opts.path ?? '/', headers, body: opts.body ?? null, ...(opts.upgrade ? { upgrade: opts.upgrade } : {}) },
      {
        onHeaders: (status, h) => {
          result.status = status;
          result.headers = h;
          return opts.onHeaders ? opts.onHeaders(status, stream) : true;
        },
        onData: (chunk) => {
          result.body += chunk.toString('latin1');
          result.chunks++;
          return opts.onData ? opts.onData(chunk, stream, result) : true;
        },
        onComplete: (trailers) => {
          result.complete = true;
          result.trailers = trailers;
          resolve(result);
        },
        onReset: (reason, detail) => {
          result.reset = reason;
          result.detail = detail;
          resolve(result);
        },
        onUpgrade: (status, h, socket) => {
          result.upgrade = { status, headers: h, socket };
          resolve(result);
        },
      },
    );
  });
  return Object.assign(promise, { stream });
}

export function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Waits until `check` holds (polling), failing after `ms`. */
export async function until(check: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}
