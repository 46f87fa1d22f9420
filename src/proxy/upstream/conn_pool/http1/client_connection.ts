// One upstream HTTP/1.1 connection: a socket, an llhttp response parser and at most
// one request at a time (no pipelining, as Envoy's HTTP/1 pool). The connection
// writes the request itself (head and body framing), feeds socket bytes to the
// parser, and turns socket and parser events into stream callbacks. Whether the
// connection is reused, parked or closed afterwards is the pool's decision; the
// connection only reports what happened.
import net from 'node:net';
import type { Readable } from 'node:stream';
import tls from 'node:tls';
import { Http1Parser, type ParseError, type ParsedHead } from '../../../http/codec/http1/parser.js';
import { HeaderMap } from '../../../http/header_map.js';
import type { ClusterInfo } from '../../cluster_info.js';
import type { Host } from '../../host.js';
import type { ClientStream } from './client_stream.js';
import { connectFailureDetail, terminationDetail } from './failure_detail.js';
import { RequestBodyWriter, writeHeadAndBuffer } from './request_writer.js';
import { headEndOffset } from './upgrade_head.js';

/** Envoy's default for max_response_headers_kb is 60; undici's pool allowed 96 KiB. */
const MAX_RESPONSE_HEAD_BYTES = 96 * 1024;

/** How the pool hears about a connection. */
export interface ConnectionOwner {
  readonly host: Host;
  readonly cluster: ClusterInfo;
  /** TCP (and TLS) established. */
  connected(conn: ClientConnection): void;
  /** The response is complete and the connection can take another request. */
  released(conn: ClientConnection): void;
  /** The socket is gone (after connect failures too); `connectFailure` is set if it never connected. */
  closed(conn: ClientConnection, connectFailure: string | undefined): void;
  /** A reused connection closed before any response byte: send the request again elsewhere. */
  retryStale(stream: ClientStream): void;
  /** A 101 took the socket out of the pool. */
  upgraded(conn: ClientConnection): void;
}

export class ClientConnection {
  readonly socket: net.Socket;
  private readonly parser: Http1Parser;
  state: 'connecting' | 'ready' | 'closed' | 'upgraded' = 'connecting';
  stream: ClientStream | null = null;
  /** Requests written on this connection. */
  requestCount = 0;
  /** No more requests after the current one (max_requests_per_connection, draining). */
  lastRequest = false;
  readonly createdAt = performance.now();
  /** Who closed it first, for upstream_cx_destroy_local / _remote. */
  closedBy: 'local' | 'remote' | null = null;
  /** A request was in flight when it closed (..._with_active_rq). */
  closedWithActiveRequest = false;
  connectTimedOut = false;

  private connectTimer?: NodeJS.Timeout;
  private idleTimer?: NodeJS.Timeout;
  private idleSince = 0;
  private idle = false;
  private tcpConnected = false;
  private socketError?: NodeJS.ErrnoException;
  private remoteEnded = false;
  // Response parsing state for the current request.
  private executing = false;
  private parserClosed = false;
  private afterResponse: 'reuse' | 'close' | null = null;
  private violation: string | null = null;
  private skipInformational = false;
  private upgradeHead: { status: number; headers: HeaderMap } | null = null;
  private headsInChunk = 0;
  private prevChunk: Buffer | undefined;
  private responseKeepAlive = true;
  private receivedForStream = false;
  // Request body being streamed, if any.
  private body: RequestBodyWriter | null = null;

  constructor(
    private readonly owner: ConnectionOwner,
    tlsOptions: tls.ConnectionOptions | undefined,
  ) {
    const { host, cluster } = owner;
    const socket = tlsOptions
      ? tls.connect({ ...tlsOptions, host: host.ip, port: host.port })
      : net.connect({ host: host.ip, port: host.port, noDelay: true });
    socket.setNoDelay(true);
    if (tlsOptions) {
      socket.once('connect', () => (this.tcpConnected = true));
      socket.once('secureConnect', this.onConnect);
    } else {
      socket.once('connect', this.onConnect);
    }
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
    this.socket = socket;
    this.parser = new Http1Parser(
      'response',
      { onHead: (h) => this.onHead(h), onBody: (c) => this.onBody(c), onComplete: (t) => this.onComplete(t) },
      MAX_RESPONSE_HEAD_BYTES,
    );
    if (cluster.connectTimeoutMs > 0) this.connectTimer = setTimeout(this.onConnectTimeout, cluster.connectTimeoutMs);
  }

  /** Can take a request now (not closing, not upgraded). */
  get usable(): boolean {
    return this.state === 'ready' && this.closedBy === null && this.stream === null;
  }

  get localAddress(): string | undefined {
    const s = this.socket;
    return s.localAddress ? `${s.localAddress}:${s.localPort}` : undefined;
  }

  // ---- pool-facing --------------------------------------------------------

  /** Writes the request of `stream` (head, then body) and waits for its response. */
  send(stream: ClientStream): void {
    this.stream = stream;
    stream.conn = this;
    this.requestCount++;
    this.receivedForStream = false;
    this.prevChunk = undefined;
    this.responseKeepAlive = true;
    this.markBusy();
    const { framing } = stream.encoded;
    const body = stream.request.body;
    const streamed = framing === 'length' || framing === 'chunked';
    const tx = writeHeadAndBuffer(this.socket, stream.encoded, streamed ? null : (body as Buffer | null));
    this.owner.cluster.stats.upstream_cx_tx_bytes_total.inc(tx);
    if (streamed) this.startBody(stream, body as Readable, framing === 'chunked');
    else stream.requestDone = true;
  }

  /** The stream was cancelled: HTTP/1 cannot abandon a request, so the connection goes. */
  abortStream(stream: ClientStream): void {
    if (this.stream !== stream) return;
    this.detachStream();
    this.owner.cluster.stats.upstream_rq_tx_reset.inc();
    this.closedWithActiveRequest = true;
    this.close('local');
  }

  /** The consumer caught up: read from the socket again. */
  resumeReading(): void {
    if (this.state === 'ready' && this.socket.isPaused()) this.socket.resume();
  }

  /** Parked in the pool: the socket no longer keeps the process alive; the idle timer runs. */
  markIdle(idleTimeoutMs: number, onTimeout: (conn: ClientConnection) => void): void {
    this.idle = true;
    this.idleSince = performance.now();
    this.socket.unref();
    if (this.socket.isPaused()) this.socket.resume();
    if (idleTimeoutMs > 0 && !this.idleTimer) this.armIdleTimer(idleTimeoutMs, idleTimeoutMs, onTimeout);
  }

  /** Closes the socket now (idempotent); `by` is recorded for the destroy stats. */
  close(by: 'local' | 'remote'): void {
    if (this.state === 'closed' || this.state === 'upgraded') return;
    this.closedBy ??= by;
    if (this.stream && !this.stream.done) this.closedWithActiveRequest = true;
    this.socket.destroy();
  }

  // ---- socket events ------------------------------------------------------

  private readonly onConnect = (): void => {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    this.connectTimer = undefined;
    if (this.state !== 'connecting') return;
    this.state = 'ready';
    this.owner.connected(this);
  };

  private readonly onConnectTimeout = (): void => {
    this.connectTimer = undefined;
    if (this.state !== 'connecting') return;
    this.connectTimedOut = true;
    this.close('local');
  };

  private readonly onData = (chunk: Buffer): void => {
    this.owner.cluster.stats.upstream_cx_rx_bytes_total.inc(chunk.length);
    if (this.closedBy !== null || this.state !== 'ready') return;
    if (this.stream) this.receivedForStream = true;
    this.executing = true;
    this.headsInChunk = 0;
    let err: ParseError | undefined;
    try {
      err = this.parser.execute(chunk);
    } catch (thrown) {
      // A callback threw inside llhttp: the parser state is unknown, the connection goes.
      err = { code: 'HPE_USER', reason: (thrown as Error).message };
    }
    this.executing = false;
    this.afterParse(err, chunk);
    this.prevChunk = chunk;
  };

  private readonly onEnd = (): void => {
    this.remoteEnded = true;
    if (this.state === 'ready' && this.closedBy === null && this.stream) {
      // A body delimited by the close completes here; anything else is a truncation.
      this.executing = true;
      this.headsInChunk = 0;
      try {
        this.parser.finish();
      } catch {
        // Truncated response: reported as a termination when the socket closes.
      }
      this.executing = false;
      this.afterParse(undefined, undefined);
    }
    this.close('remote');
  };

  private readonly onError = (err: Error): void => {
    this.socketError ??= err as NodeJS.ErrnoException;
  };

  private readonly onDrain = (): void => {
    this.body?.drained();
  };

  private readonly onClose = (): void => {
    if (this.state === 'upgraded') return;
    const neverConnected = this.state === 'connecting';
    this.state = 'closed';
    this.closedBy ??= 'remote';
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.connectTimer = this.idleTimer = undefined;
    this.stopBody();
    const stream = this.stream;
    if (stream && !stream.done) this.closedWithActiveRequest = true;
    this.detachStream();
    this.closeParser();
    this.owner.closed(this, neverConnected ? connectFailureDetail(this.socketError, this.connectTimedOut, this.tcpConnected) : undefined);
    if (!stream || stream.done || neverConnected) return;
    // Reused keep-alive connection closed by the server just as we wrote: nothing of a
    // response came back, so the request can go again on a fresh connection.
    const replayable = stream.request.body === null || Buffer.isBuffer(stream.request.body);
    if (this.requestCount > 1 && !this.receivedForStream && !stream.staleRetried && replayable && this.closedBy === 'remote') {
      stream.staleRetried = true;
      this.owner.retryStale(stream);
      return;
    }
    this.owner.cluster.stats.upstream_rq_rx_reset.inc();
    stream.reset('connection_termination', terminationDetail(this.socketError));
  };

  // ---- parser events ------------------------------------------------------

  private onHead(head: ParsedHead): boolean {
    this.headsInChunk++;
    if (this.closedBy !== null) return true;
    const stream = this.stream;
    if (!stream || this.upgradeHead) {
      this.violation ??= 'response without a request';
      return true;
    }
    const status = head.statusCode ?? 0;
    if (status < 200 && status !== 101) {
      // 100 Continue, 102, 103: informational, not forwarded; the real response follows.
      this.skipInformational = true;
      return false;
    }
    const headers = new HeaderMap();
    headers.add(':status', String(status));
    const raw = head.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) headers.add(raw[i]!.toLowerCase(), raw[i + 1]!);
    if (status === 101) {
      if (!stream.callbacks.onUpgrade) this.violation = 'unexpected 101 response';
      else this.upgradeHead = { status, headers };
      return true;
    }
    this.responseKeepAlive = head.shouldKeepAlive;
    stream.deliverHeaders(status, headers);
    return stream.request.method === 'HEAD';
  }

  private onBody(chunk: Buffer): void {
    if (this.closedBy !== null) return;
    const stream = this.stream;
    if (stream) stream.deliverData(chunk);
    else this.violation ??= 'response body without a request';
  }

  private onComplete(trailers: string[]): void {
    if (this.closedBy !== null) return;
    if (this.skipInformational) {
      this.skipInformational = false;
      return;
    }
    if (this.upgradeHead) return;
    const stream = this.stream;
    if (!stream) {
      this.violation ??= 'response without a request';
      return;
    }
    const reusable = this.responseKeepAlive && stream.requestDone && !this.lastRequest && !this.remoteEnded;
    if (!this.responseKeepAlive) this.owner.cluster.stats.upstream_cx_close_notify.inc();
    // Responded before the request body was sent in full: stop sending, never reuse.
    if (!stream.requestDone) this.stopBody();
    this.detachStream();
    // Reuse waits until this chunk is parsed: bytes after the response must not be
    // taken as the next request's response.
    this.afterResponse = reusable ? 'reuse' : 'close';
    stream.deliverComplete(trailers.length ? HeaderMap.fromFlat(trailers) : undefined);
  }

  /** Runs after each execute()/finish(): upgrades, protocol errors, reuse, back-pressure. */
  private afterParse(err: ParseError | undefined, chunk: Buffer | undefined): void {
    if (this.state !== 'ready') {
      this.afterResponse = null;
      this.closeParser();
      return;
    }
    if (this.upgradeHead && !err && !this.violation) {
      this.handOff(chunk);
      return;
    }
    if (err || this.violation) {
      this.protocolError(err ? `${err.code}: ${err.reason}` : this.violation!);
      return;
    }
    const next = this.afterResponse;
    if (next) {
      this.afterResponse = null;
      if (next === 'reuse' && this.closedBy === null) this.owner.released(this);
      else this.close(this.remoteEnded ? 'remote' : 'local');
      return;
    }
    if (this.stream?.isPaused && this.closedBy === null) this.socket.pause();
  }

  private protocolError(detail: string): void {
    const stats = this.owner.cluster.stats;
    stats.upstream_cx_protocol_error.inc();
    this.afterResponse = null;
    const stream = this.stream;
    this.close('local');
    this.detachStream();
    if (stream && !stream.done) {
      stats.upstream_rq_rx_reset.inc();
      stream.reset('protocol_error', detail);
    }
  }

  /** 101 Switching Protocols: the socket, with any bytes read past the head, leaves the pool. */
  private handOff(chunk: Buffer | undefined): void {
    const { status, headers } = this.upgradeHead!;
    this.upgradeHead = null;
    const stream = this.stream!;
    this.detachStream();
    this.stopBody();
    const socket = this.socket;
    socket.pause();
    socket.removeListener('data', this.onData);
    socket.removeListener('end', this.onEnd);
    socket.removeListener('drain', this.onDrain);
    socket.removeListener('close', this.onClose);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.state = 'upgraded';
    this.closeParser();
    // Our 'error' listener stays (a no-op record) so an error before the new owner
    // listens cannot crash the process; the pool keeps counting the connection until it closes.
    socket.once('close', () => this.owner.closed(this, undefined));
    this.owner.upgraded(this);
    const at = chunk ? headEndOffset(chunk, this.headsInChunk, this.prevChunk) : 0;
    if (chunk && at < chunk.length) socket.unshift(chunk.subarray(at));
    // Back to "no consumer yet": reading (and the unshifted bytes) start when the new
    // owner adds a 'data' listener, pipes or resumes, as with a fresh socket.
    (socket as { readableFlowing: boolean | null }).readableFlowing = null;
    stream.upgrade(status, headers, socket);
  }

  // ---- request body -------------------------------------------------------

  private startBody(stream: ClientStream, body: Readable, chunked: boolean): void {
    const stats = this.owner.cluster.stats;
    this.body = new RequestBodyWriter(this.socket, body, chunked, {
      wrote: (bytes) => stats.upstream_cx_tx_bytes_total.inc(bytes),
      finished: () => {
        this.body = null;
        stream.requestDone = true;
      },
      aborted: () => {
        this.body = null;
        if (this.stream !== stream || stream.done) return;
        this.detachStream();
        this.closedWithActiveRequest = true;
        this.close('local');
        stream.reset('local_reset', 'request body aborted');
      },
    });
  }

  private stopBody(): void {
    this.body?.stop();
    this.body = null;
  }

  // ---- helpers ------------------------------------------------------------

  private markBusy(): void {
    if (this.idle) {
      this.idle = false;
      this.socket.ref();
    }
  }

  private armIdleTimer(delayMs: number, idleTimeoutMs: number, onTimeout: (conn: ClientConnection) => void): void {
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (!this.idle || this.state !== 'ready') return; // re-armed when it is parked again
      const left = idleTimeoutMs - (performance.now() - this.idleSince);
      if (left > 1) this.armIdleTimer(left, idleTimeoutMs, onTimeout);
      else onTimeout(this);
    }, delayMs);
    this.idleTimer.unref();
  }

  private detachStream(): void {
    const stream = this.stream;
    if (!stream) return;
    this.stream = null;
    stream.conn = null;
  }

  private closeParser(): void {
    if (this.parserClosed || this.executing) return;
    this.parserClosed = true;
    this.parser.close();
  }
}
