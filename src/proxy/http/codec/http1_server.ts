// HTTP/1.1 downstream codec on node:http. One http.Server per connection manager
// config parses every connection handed to it (it never listens itself); each
// request becomes an Http1ServerStream. llhttp does the wire parsing and already
// rejects request smuggling (conflicting Content-Length / Transfer-Encoding).
import http from 'node:http';
import type { Socket } from 'node:net';
import { HeaderMap } from '../header_map.js';
import type { HttpProtocol, ServerStream, ServerStreamEvents } from './types.js';

export interface Http1CodecOptions {
  maxRequestHeadersKb: number;
  /** Keep-alive idle time between requests (HCM idle_timeout). */
  idleTimeoutMs: number;
  /** Time allowed to receive request headers (request_headers_timeout; 0 = off). */
  headersTimeoutMs: number;
  acceptHttp10: boolean;
  defaultHostForHttp10?: string;
  scheme(socket: Socket): 'http' | 'https';
}

export interface Http1CodecCallbacks {
  onStream(socket: Socket, stream: Http1ServerStream): void;
  /** Malformed request, header overflow, timeouts: the codec answers and closes. */
  onProtocolError(socket: Socket, kind: 'protocol_error' | 'headers_too_large' | 'header_timeout', detail: string): void;
  /** A request arrived with Upgrade (websocket); the stream is created as usual. */
}

export function createHttp1Codec(options: Http1CodecOptions, callbacks: Http1CodecCallbacks): http.Server {
  const server = http.createServer({
    maxHeaderSize: options.maxRequestHeadersKb * 1024,
    requestTimeout: 0,
    headersTimeout: options.headersTimeoutMs,
    keepAliveTimeout: options.idleTimeoutMs,
    noDelay: true,
    requireHostHeader: false,
    joinDuplicateHeaders: false,
  } as http.ServerOptions);
  server.maxHeadersCount = 0;
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const socket = req.socket;
    callbacks.onStream(socket, new Http1ServerStream(req, res, options.scheme(socket)));
  });
  // Upgrade requests (websocket) arrive here instead of 'request'.
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    const res = new http.ServerResponse(req);
    res.assignSocket(socket);
    const stream = new Http1ServerStream(req, res, options.scheme(socket), head);
    callbacks.onStream(socket, stream);
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    if (err.code === 'HPE_HEADER_OVERFLOW') callbacks.onProtocolError(socket, 'headers_too_large', err.message);
    else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') callbacks.onProtocolError(socket, 'header_timeout', err.message);
    else callbacks.onProtocolError(socket, 'protocol_error', `${err.code ?? ''} ${err.message}`.trim());
  });
  return server;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

export class Http1ServerStream implements ServerStream {
  readonly protocol: HttpProtocol;
  readonly requestHeaders: HeaderMap;
  readonly headersOnlyRequest: boolean;
  readonly requestHeadersBytes: number;
  events?: ServerStreamEvents;
  headersWritten = false;
  private finished = false;
  private closeAfter = false;
  private readonly isUpgrade: boolean;

  constructor(
    private readonly req: http.IncomingMessage,
    private readonly res: http.ServerResponse,
    scheme: 'http' | 'https',
    private readonly upgradeHead?: Buffer,
  ) {
    this.protocol = req.httpVersion === '1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
    this.isUpgrade = upgradeHead !== undefined;
    const headers = new HeaderMap();
    let url = req.url ?? '/';
    let authority: string | undefined;
    if (url.startsWith('http://') || url.startsWith('https://')) {
      // Absolute-form request target (proxy style): it carries the authority.
      try {
        const parsed = new URL(url);
        authority = parsed.host;
        url = parsed.pathname + parsed.search;
      } catch {
        /* leave as is; routing will 404 */
      }
    }
    headers.add(':method', req.method ?? 'GET');
    headers.add(':scheme', scheme);
    headers.add(':path', url);
    const raw = req.rawHeaders;
    let bytes = (req.method?.length ?? 0) + url.length + 12;
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      const value = raw[i + 1]!;
      bytes += name.length + value.length + 4;
      if (name === 'host') {
        if (authority === undefined) authority = value;
        continue;
      }
      headers.add(name, value);
    }
    if (authority !== undefined) headers.add(':authority', authority);
    this.requestHeaders = headers;
    this.requestHeadersBytes = bytes;
    const te = req.headers['transfer-encoding'];
    const cl = req.headers['content-length'];
    this.headersOnlyRequest = !this.isUpgrade && te === undefined && (cl === undefined || cl === '0');
    res.sendDate = false;
    if (this.protocol === 'HTTP/1.0' && req.headers.connection?.toLowerCase() !== 'keep-alive') this.closeAfter = true;
  }

  start(): void {
    const events = this.events!;
    const { req, res } = this;
    if (this.isUpgrade) {
      // After a 101 the bytes are opaque; the upgrade path takes the socket.
      return;
    }
    if (!this.headersOnlyRequest) {
      req.on('data', (chunk: Buffer) => events.onData(chunk, false));
      req.on('end', () => {
        const t = req.rawTrailers;
        if (t.length) events.onTrailers(HeaderMap.fromFlat(t));
        else events.onData(Buffer.alloc(0), true);
      });
    } else {
      req.resume();
    }
    res.on('close', () => {
      if (!this.finished) events.onReset(req.complete ? 'connection_termination' : 'remote_reset');
    });
    res.on('drain', () => events.onWritable());
  }

  pauseReading(): void {
    this.req.pause();
  }

  resumeReading(): void {
    this.req.resume();
  }

  writeHeaders(headers: HeaderMap, endStream: boolean): void {
    if (this.headersWritten || this.res.destroyed) return;
    this.headersWritten = true;
    const status = Number(headers.get(':status') ?? 200);
    const flat: string[] = [];
    headers.forEach((name, value) => {
      if (name.charCodeAt(0) === 58 || HOP_BY_HOP.has(name)) return;
      flat.push(name, value);
    });
    if (this.closeAfter) flat.push('connection', 'close');
    else if (this.protocol === 'HTTP/1.0') flat.push('connection', 'keep-alive');
    // HTTP/1.1 is persistent by default: like Envoy, say nothing (node would add
    // "Connection: keep-alive" and "Keep-Alive: timeout=..." otherwise).
    else this.res.removeHeader('connection');
    try {
      this.res.writeHead(status, flat);
    } catch (err) {
      // Invalid header characters from upstream: Envoy would reset; do the same.
      this.res.destroy(err as Error);
      return;
    }
    if (endStream) this.end();
  }

  writeData(chunk: Buffer, endStream: boolean): boolean {
    if (this.res.destroyed || this.finished) return true;
    if (endStream) {
      this.finished = true;
      this.res.end(chunk.length ? chunk : undefined);
      return true;
    }
    if (chunk.length === 0) return true;
    return this.res.write(chunk);
  }

  writeTrailers(_trailers: HeaderMap): void {
    // HTTP/1 responses carry no trailers unless chunked with a Trailer header;
    // like Envoy's default, they are dropped and the response ends.
    this.end();
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    this.res.end();
  }

  reset(): void {
    this.finished = true;
    this.res.destroy();
    this.req.socket?.destroy();
  }

  closeConnectionAfterResponse(): void {
    this.closeAfter = true;
  }

  takeSocketForUpgrade(): import('node:stream').Duplex {
    const socket = this.req.socket;
    if (this.upgradeHead?.length) socket.unshift(this.upgradeHead);
    this.finished = true;
    return socket;
  }
}
