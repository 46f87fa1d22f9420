// The HTTP connection manager: takes over a downstream connection, picks its codec,
// counts connection stats, and turns each request the codec produces into an
// ActiveStream running the HTTP filter chain.
import type { Socket } from 'node:net';
import { logger } from '../../../common/logger.js';
import { createHttp1Codec, type Http1Codec } from '../../http/codec/http1_server.js';
import type { ServerStream } from '../../http/codec/types.js';
import { LocalReplySender } from '../../http/local_reply.js';
import type { DownstreamConnection } from '../network_filter.js';
import { ActiveStream } from './active_stream.js';
import type { HcmConfig } from './config.js';

const log = logger('http');

/** Per-connection state the codec's streams report to. */
export class HcmConnection {
  activeStreams = 0;
  requestCount = 0;
  private readonly startedAt = performance.now();
  closed = false;

  constructor(
    readonly manager: HttpConnectionManager,
    readonly connection: DownstreamConnection,
  ) {}

  /** True when this response should be the connection's last (drain, max requests). */
  shouldCloseAfterResponse(): boolean {
    const cfg = this.manager.config;
    if (cfg.maxRequestsPerConnection > 0 && this.requestCount >= cfg.maxRequestsPerConnection) {
      cfg.stats.downstream_cx_max_requests_reached.inc();
      return true;
    }
    if (cfg.context.drain.drainClose()) {
      cfg.stats.downstream_cx_drain_close.inc();
      return true;
    }
    return false;
  }

  onClosed(remote: boolean): void {
    if (this.closed) return;
    this.closed = true;
    const stats = this.manager.config.stats;
    stats.downstream_cx_active.dec();
    stats.downstream_cx_http1_active.dec();
    stats.downstream_cx_destroy.inc();
    if (remote) stats.downstream_cx_destroy_remote.inc();
    else stats.downstream_cx_destroy_local.inc();
    if (this.activeStreams > 0) {
      stats.downstream_cx_destroy_active_rq.inc();
      if (remote) stats.downstream_cx_destroy_remote_active_rq.inc();
      else stats.downstream_cx_destroy_local_active_rq.inc();
    }
    stats.downstream_cx_length_ms.record(performance.now() - this.startedAt);
  }
}

export class HttpConnectionManager {
  private readonly http1: Http1Codec;
  private readonly connections = new WeakMap<Socket, HcmConnection>();
  readonly localReplies: LocalReplySender;

  constructor(readonly config: HcmConfig) {
    this.localReplies = new LocalReplySender(config);
    this.http1 = createHttp1Codec(
      {
        maxRequestHeadersKb: config.maxRequestHeadersKb,
        idleTimeoutMs: config.idleTimeoutMs,
        headersTimeoutMs: config.requestHeadersTimeoutMs,
        acceptHttp10: config.acceptHttp10,
        defaultHostForHttp10: config.defaultHostForHttp10,
        scheme: (socket) => this.connections.get(socket as Socket)?.connection.info.scheme ?? 'http',
      },
      {
        onStream: (socket, stream) => this.onStream(socket as Socket, stream),
        onProtocolError: (socket, kind, detail) => this.onProtocolError(socket as Socket, kind, detail),
        onIdleTimeout: () => config.stats.downstream_cx_idle_timeout.inc(),
      },
    );
  }

  handleConnection(connection: DownstreamConnection): void {
    const stats = this.config.stats;
    stats.downstream_cx_total.inc();
    stats.downstream_cx_active.inc();
    stats.downstream_cx_http1_total.inc();
    stats.downstream_cx_http1_active.inc();
    const socket = connection.socket as Socket;
    const state = new HcmConnection(this, connection);
    this.connections.set(socket, state);
    let remoteClosed = false;
    socket.on('end', () => (remoteClosed = true));
    connection.onClose(() => {
      stats.downstream_cx_rx_bytes_total.add(socket.bytesRead ?? 0);
      stats.downstream_cx_tx_bytes_total.add(socket.bytesWritten ?? 0);
      state.onClosed(remoteClosed);
    });
    if (this.config.codecType === 'HTTP2') {
      // HTTP/2 arrives with the next part of the proxy (the codec seam is ready for it).
      log.warn('HTTP/2 codec requested but not available; closing connection');
      connection.close(true);
      return;
    }
    this.http1.serve(socket);
  }

  private onStream(socket: Socket, stream: ServerStream): void {
    const state = this.connections.get(socket);
    if (!state) {
      stream.reset();
      return;
    }
    state.requestCount++;
    if (state.shouldCloseAfterResponse()) stream.closeConnectionAfterResponse();
    new ActiveStream(this, state, stream).start();
  }

  private onProtocolError(socket: Socket, kind: 'protocol_error' | 'headers_too_large' | 'header_timeout', detail: string): void {
    const stats = this.config.stats;
    log.debug(`downstream protocol error (${kind}): ${detail}`);
    if (kind === 'header_timeout') {
      stats.downstream_rq_header_timeout.inc();
      socket.end('HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      return;
    }
    stats.downstream_cx_protocol_error.inc();
    const [status, text] = kind === 'headers_too_large' ? [431, 'Request Header Fields Too Large'] : [400, 'Bad Request'];
    const body = text;
    socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-length: ${body.length}\r\ncontent-type: text/plain\r\nconnection: close\r\n\r\n${body}`);
  }
}
