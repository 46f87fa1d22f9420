// The HTTP connection manager: takes over a downstream connection, picks its codec,
// counts connection stats, and turns each request the codec produces into an
// ActiveStream running the HTTP filter chain.
import type { Socket } from 'node:net';
import { logger } from '../../../common/logger.js';
import { createHttp1Codec, type Http1Codec } from '../../http/codec/http1_server.js';
import { Http2Codec } from '../../http/codec/http2_server.js';
import { peek } from '../../listener/filters/peek.js';
import type { ServerStream } from '../../http/codec/types.js';
import { LocalReplySender } from '../../http/local_reply.js';
import type { DownstreamConnection } from '../network_filter.js';
import { ActiveStream } from './active_stream.js';
import type { HcmConfig } from './config.js';

const log = logger('http');

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

/** Per-connection state the codec's streams report to. */
export class HcmConnection {
  activeStreams = 0;
  requestCount = 0;
  private readonly startedAt = performance.now();
  closed = false;
  protocol: 'http1' | 'http2' = 'http1';

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
    if (this.protocol === 'http2') stats.downstream_cx_http2_active.dec();
    else stats.downstream_cx_http1_active.dec();
    if (this.connection.info.tls) stats.downstream_cx_ssl_active.dec();
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
  private http2Codec?: Http2Codec;
  /** Keyed by socket (HTTP/1) or session (HTTP/2): what the codecs report streams with. */
  private readonly connections = new WeakMap<object, HcmConnection>();
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

  private get http2(): Http2Codec {
    // Built on first use: most listeners never see HTTP/2.
    return (this.http2Codec ??= new Http2Codec(
      { protocolOptions: this.config.proto.http2_protocol_options, maxRequestHeadersKb: this.config.maxRequestHeadersKb, stats: this.config.context.stats.scope('http2.') },
      { onStream: (session, stream) => this.onStream(session, stream) },
    ));
  }

  handleConnection(connection: DownstreamConnection): void {
    const stats = this.config.stats;
    stats.downstream_cx_total.inc();
    stats.downstream_cx_active.inc();
    if (connection.info.tls) {
      stats.downstream_cx_ssl_total.inc();
      stats.downstream_cx_ssl_active.inc();
    }
    const socket = connection.socket as Socket;
    const state = new HcmConnection(this, connection);
    let remoteClosed = false;
    socket.on('end', () => (remoteClosed = true));
    connection.onClose(() => {
      stats.downstream_cx_rx_bytes_total.add(socket.bytesRead ?? 0);
      stats.downstream_cx_tx_bytes_total.add(socket.bytesWritten ?? 0);
      state.onClosed(remoteClosed);
    });
    void this.chooseCodec(connection).then((codec) => this.serve(state, socket, codec));
  }

  /**
   * codec_type AUTO: TLS says it with ALPN; on plaintext an HTTP/2 client starts with
   * the connection preface (prior knowledge h2c), anything else is HTTP/1.
   */
  private async chooseCodec(connection: DownstreamConnection): Promise<'http1' | 'http2'> {
    const type = this.config.codecType;
    if (type === 'HTTP2') return 'http2';
    if (type === 'HTTP1') return 'http1';
    const tls = connection.info.tls;
    if (tls) return tls.alpn === 'h2' ? 'http2' : 'http1';
    const outcome = await peek(connection.socket as Socket, (chunk, total) => {
      const n = Math.min(chunk.length, H2_PREFACE.length);
      if (!chunk.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return 'http1' as const;
      return total >= H2_PREFACE.length ? ('http2' as const) : undefined;
    }).catch(() => undefined);
    return outcome?.kind === 'decided' ? outcome.value : 'http1';
  }

  private serve(state: HcmConnection, socket: Socket, codec: 'http1' | 'http2'): void {
    const stats = this.config.stats;
    if (socket.destroyed) return;
    state.protocol = codec;
    if (codec === 'http2') {
      stats.downstream_cx_http2_total.inc();
      stats.downstream_cx_http2_active.inc();
      const session = this.http2.serve(socket);
      if (session) this.connections.set(session, state);
      else socket.destroy();
      return;
    }
    stats.downstream_cx_http1_total.inc();
    stats.downstream_cx_http1_active.inc();
    this.connections.set(socket, state);
    this.http1.serve(socket);
  }

  /** Draining: HTTP/2 connections get GOAWAY; idle HTTP/1 ones close if `closeIdleHttp1`. */
  startDrain(closeIdleHttp1: boolean): void {
    if (closeIdleHttp1) this.http1.closeIdle();
    this.http2Codec?.closeIdle();
  }

  private onStream(key: object, stream: ServerStream): void {
    const state = this.connections.get(key);
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
