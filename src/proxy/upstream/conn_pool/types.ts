// The codec-neutral seam between the router and upstream connections. The router
// asks a pool for a stream and gets callbacks; HTTP/1 (llhttp) and HTTP/2 (nghttp2) pools
// implement the same contract, so retries, timeouts and stats do not care which.
import type { Readable } from 'node:stream';
import type { HeaderMap } from '../../http/header_map.js';

/** Why an upstream stream ended early, in Envoy's vocabulary. */
export type ResetReason =
  | 'connection_failure'
  | 'connection_termination'
  | 'local_reset'
  | 'remote_reset'
  | 'overflow'
  | 'protocol_error'
  | 'remote_refused_stream_reset';

/** Envoy's text for each reset reason, as in local reply bodies and details. */
export const RESET_REASON_TEXT: Record<ResetReason, string> = {
  connection_failure: 'connection failure',
  connection_termination: 'connection termination',
  local_reset: 'local reset',
  remote_reset: 'remote reset',
  overflow: 'overflow',
  protocol_error: 'protocol error',
  remote_refused_stream_reset: 'remote refused stream reset',
};

export interface UpstreamRequest {
  method: string;
  /** Path with query, after rewrites. */
  path: string;
  /** Request headers including pseudo-headers; the pool writes them for its codec. */
  headers: HeaderMap;
  /** null: no body. A Buffer (buffered/retried) or a stream fed by the router. */
  body: Buffer | Readable | null;
  /** Set for Upgrade requests (websocket). */
  upgrade?: string;
}

export interface UpstreamCallbacks {
  /** The stream got a connection (the request is being written). */
  onPoolReady?(info: { localAddress?: string }): void;
  /**
   * Response headers (with `:status`). Return false to pause reading the body.
   * `endStream`: nothing follows (HTTP/2 trailers-only, e.g. a gRPC error); onComplete still comes.
   */
  onHeaders(status: number, headers: HeaderMap, endStream?: boolean): boolean;
  /** A chunk of response body. Return false to apply back-pressure (resume via the stream). */
  onData(chunk: Buffer): boolean;
  /** Response complete; trailers may be empty. */
  onComplete(trailers: HeaderMap | undefined): void;
  /** The stream failed. `beforeHeaders` tells whether any response was seen. */
  onReset(reason: ResetReason, detail: string): void;
  /** 101 Switching Protocols: the raw upstream socket, for upgrades. */
  onUpgrade?(status: number, headers: HeaderMap, socket: import('node:stream').Duplex): void;
}

export interface UpstreamStream {
  /** Abort the request (timeouts, downstream gone). Never calls onReset afterwards. */
  cancel(): void;
  /** Resume reading after onHeaders/onData returned false. */
  resume(): void;
}

export interface ConnectionPool {
  newStream(request: UpstreamRequest, callbacks: UpstreamCallbacks): UpstreamStream;
  /** Stop accepting streams, close idle connections, let active ones finish. */
  drain(): Promise<void>;
  /** Close everything now. */
  destroy(): Promise<void>;
  readonly activeStreams: number;
}
