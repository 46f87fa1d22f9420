// The downstream HTTP/1.1 codec. skein drives llhttp (Node's HTTPParser binding, via
// http1/parser.ts) on each connection itself instead of going through node:http's
// server: no IncomingMessage/ServerResponse streams per request, a response head and
// its first body bytes in one write, and Envoy's connection rules (framing, Connection
// headers, pipelining one request at a time, timeouts) rather than node's defaults.
// llhttp stays strict: conflicting Content-Length / Transfer-Encoding, bad chunk sizes
// and oversized heads are errors (request smuggling defences).
//
// Deliberate differences from Envoy (docs/compatibility.md): response trailers are
// dropped unless `enableTrailers` (Envoy's http_protocol_options.enable_trailers); a
// headers-only HTTP/1.0 response gets `content-length: 0` and can keep the connection.
import type { Duplex } from 'node:stream';
import { Http1ServerConnection, type ConnectionLimits, type ConnectionOwner, type ProtocolErrorKind } from './http1/server_connection.js';
import type { Http1ServerStream } from './http1/server_stream.js';

export { Http1ServerStream } from './http1/server_stream.js';
export type { ProtocolErrorKind } from './http1/server_connection.js';

export interface Http1CodecOptions {
  maxRequestHeadersKb: number;
  /** Keep-alive idle time between requests (HCM idle_timeout; 0 = none). */
  idleTimeoutMs: number;
  /** Time allowed to receive request headers (request_headers_timeout; 0 = off). */
  headersTimeoutMs: number;
  acceptHttp10: boolean;
  defaultHostForHttp10?: string;
  /** Write response trailers in chunked bodies (Envoy's enable_trailers); default off: dropped. */
  enableTrailers?: boolean;
  /** After a connection's last response, how long to wait for the peer to close (Envoy's delayed_close_timeout, 1 s). */
  delayedCloseTimeoutMs?: number;
  scheme(socket: Duplex): 'http' | 'https';
}

export interface Http1CodecCallbacks {
  onStream(socket: Duplex, stream: Http1ServerStream): void;
  /**
   * Malformed request, header overflow, header timeout: the callback writes the reply
   * (e.g. `socket.end(...)`); the codec then closes the connection.
   */
  onProtocolError(socket: Duplex, kind: ProtocolErrorKind, detail: string): void;
  /** A keep-alive connection sat idle past idleTimeoutMs; the codec closes it. */
  onIdleTimeout?(socket: Duplex): void;
}

export class Http1Codec implements ConnectionOwner {
  readonly limits: ConnectionLimits;
  private readonly connections = new Set<Http1ServerConnection>();

  constructor(
    private readonly options: Http1CodecOptions,
    private readonly callbacks: Http1CodecCallbacks,
  ) {
    this.limits = {
      maxHeaderBytes: options.maxRequestHeadersKb * 1024,
      idleTimeoutMs: options.idleTimeoutMs,
      headersTimeoutMs: options.headersTimeoutMs,
      delayedCloseMs: options.delayedCloseTimeoutMs ?? 1000,
      enableTrailers: options.enableTrailers ?? false,
    };
  }

  /** Takes over a connected socket (plain or TLS) and serves HTTP/1 on it. */
  serve(socket: Duplex): void {
    if (socket.destroyed) return;
    try {
      this.connections.add(new Http1ServerConnection(socket, this));
    } catch {
      socket.destroy();
    }
  }

  /** Draining: idle connections close now, busy ones after their current response. */
  closeIdle(): void {
    for (const connection of this.connections) connection.drain();
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  // ---- ConnectionOwner ---------------------------------------------------------

  scheme(socket: Duplex): 'http' | 'https' {
    return this.options.scheme(socket);
  }

  onStream(socket: Duplex, stream: Http1ServerStream): void {
    this.callbacks.onStream(socket, stream);
  }

  onProtocolError(socket: Duplex, kind: ProtocolErrorKind, detail: string): void {
    this.callbacks.onProtocolError(socket, kind, detail);
  }

  onIdleTimeout(socket: Duplex): void {
    this.callbacks.onIdleTimeout?.(socket);
  }

  connectionClosed(connection: Http1ServerConnection): void {
    this.connections.delete(connection);
  }
}

export function createHttp1Codec(options: Http1CodecOptions, callbacks: Http1CodecCallbacks): Http1Codec {
  return new Http1Codec(options, callbacks);
}
