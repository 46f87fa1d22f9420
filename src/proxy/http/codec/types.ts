// The codec seam: a downstream connection's codec turns bytes into ServerStreams
// (one per request) and writes responses back. The HTTP connection manager only
// talks to this interface, so HTTP/1.1 (node:http) and HTTP/2 (node:http2) are
// interchangeable beneath it.
import type { HeaderMap } from '../header_map.js';

export type HttpProtocol = 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2';

export interface ServerStreamEvents {
  onData(chunk: Buffer, endStream: boolean): void;
  onTrailers(trailers: HeaderMap): void;
  /** The peer went away or the codec reset the stream before it completed. */
  onReset(reason: 'remote_reset' | 'connection_termination' | 'protocol_error'): void;
  /** The stream can take more response data after writeData returned false. */
  onWritable(): void;
}

export interface ServerStream {
  readonly protocol: HttpProtocol;
  /** Request headers with `:method`, `:path`, `:authority`, `:scheme`. */
  readonly requestHeaders: HeaderMap;
  /** True when the request has no body (headers-only). */
  readonly headersOnlyRequest: boolean;
  /** Bytes of the request head as received (for %REQUEST_HEADERS_BYTES%). */
  readonly requestHeadersBytes: number;
  /** Set by the connection manager before the first event. */
  events?: ServerStreamEvents;
  /** Starts delivering body events (after events are attached). */
  start(): void;
  pauseReading(): void;
  resumeReading(): void;
  /** Response headers with `:status`. */
  writeHeaders(headers: HeaderMap, endStream: boolean): void;
  /** Returns false when the peer is slow: wait for onWritable before writing more. */
  writeData(chunk: Buffer, endStream: boolean): boolean;
  writeTrailers(trailers: HeaderMap): void;
  /** Abort the stream (HTTP/1: close the connection). */
  reset(): void;
  /** Ask the codec to close the connection after this response (drain, max requests). */
  closeConnectionAfterResponse(): void;
  readonly headersWritten: boolean;
  /** Raw socket access for upgrades (HTTP/1 only). */
  takeSocketForUpgrade?(): import('node:stream').Duplex;
}
