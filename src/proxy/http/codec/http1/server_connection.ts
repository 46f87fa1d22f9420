// One downstream HTTP/1 connection: llhttp parses what arrives, requests are served
// strictly one at a time in arrival order, and the connection is closed, timed out or
// handed over here. Like Envoy's HTTP/1 codec a pipelined request is only given to the
// connection manager after the previous response is complete. Node's llhttp binding
// cannot stop in the middle of a buffer, so requests parsed ahead wait in a queue
// (with their body events) and reading pauses until the queue is served.
import type { Duplex } from 'node:stream';
import { logger } from '../../../../common/logger.js';
import { Http1Parser, type ParsedHead, type ParseError } from './parser.js';
import { buildRequestHead } from './server_head.js';
import { writeCoalesced } from './server_write.js';
import { Http1ServerStream, type StreamConnection } from './server_stream.js';

const log = logger('http');

export type ProtocolErrorKind = 'protocol_error' | 'headers_too_large' | 'header_timeout';

export interface ConnectionLimits {
  readonly maxHeaderBytes: number;
  /** Close a connection with no request for this long (0 = never). */
  readonly idleTimeoutMs: number;
  /** A request head must be complete this long after its first byte (0 = no limit). */
  readonly headersTimeoutMs: number;
  /** After the last response of a connection, wait this long for the peer to close. */
  readonly delayedCloseMs: number;
  readonly enableTrailers: boolean;
}

/** The codec a connection reports to. */
export interface ConnectionOwner {
  readonly limits: ConnectionLimits;
  scheme(socket: Duplex): 'http' | 'https';
  onStream(socket: Duplex, stream: Http1ServerStream): void;
  onProtocolError(socket: Duplex, kind: ProtocolErrorKind, detail: string): void;
  onIdleTimeout(socket: Duplex): void;
  connectionClosed(connection: Http1ServerConnection): void;
}

const PAUSED_BY_STREAM = 1;
const PAUSED_BY_PIPELINE = 2;

const OPEN = 0;
/** The last response is out (or an error reply): discard input, wait for the close. */
const CLOSING = 1;
const CLOSED = 2;
/** The socket was taken over for an upgrade. */
const DETACHED = 3;

const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';

export class Http1ServerConnection implements StreamConnection {
  readonly enableTrailers: boolean;
  private readonly parser: Http1Parser;
  private readonly scheme: 'http' | 'https';
  private readonly limits: ConnectionLimits;
  private state: number = OPEN;
  /** The stream the connection manager is answering. */
  private active: Http1ServerStream | undefined;
  /** The stream whose request is being parsed (the active one or the last queued). */
  private parsing: Http1ServerStream | undefined;
  /** Pipelined requests parsed ahead, waiting for `active` to complete. */
  private readonly queue: Http1ServerStream[] = [];
  /** A parse error behind the queued requests, reported once they are answered. */
  private pendingError: { kind: ProtocolErrorKind; detail: string } | undefined;
  private pausedBy = 0;
  private executing = false;
  /** An upgrade request was parsed: llhttp stopped there, what follows is not HTTP. */
  private upgraded = false;
  private upgradeData: Buffer[] | undefined;
  private draining = false;
  // Timers are lazy: one Timeout each, checked against timestamps when it fires, so a
  // request costs no timer churn.
  private idleSince: number;
  private idleTimer: NodeJS.Timeout | undefined;
  private headStartedAt = -1;
  private headTimer: NodeJS.Timeout | undefined;
  private closeTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Duplex,
    private readonly owner: ConnectionOwner,
  ) {
    const limits = (this.limits = owner.limits);
    this.enableTrailers = limits.enableTrailers;
    this.scheme = owner.scheme(socket);
    this.parser = new Http1Parser(
      'request',
      {
        onMessageBegin: limits.headersTimeoutMs > 0 ? () => this.onMessageBegin() : undefined,
        onHead: (head) => this.onHead(head),
        onBody: (chunk) => this.onBody(chunk),
        onComplete: (trailers) => this.onComplete(trailers),
      },
      limits.maxHeaderBytes,
    );
    this.idleSince = performance.now();
    if (limits.idleTimeoutMs > 0) this.idleTimer = setTimeout(() => this.checkIdle(), limits.idleTimeoutMs);
    socket.on('data', this.dataListener);
    socket.on('end', this.endListener);
    socket.on('drain', this.drainListener);
    socket.on('error', (err: Error) => log.debug(`downstream connection error: ${err.message}`));
    socket.once('close', () => this.onClose());
  }

  private readonly dataListener = (chunk: Buffer): void => this.onData(chunk);
  private readonly endListener = (): void => this.onEnd();
  private readonly drainListener = (): void => {
    try {
      this.active?.drained();
    } catch (e) {
      this.fault(e);
    }
  };

  // ---- input ---------------------------------------------------------------

  private onData(chunk: Buffer): void {
    if (this.state !== OPEN) return; // closing: discard what the peer still sends
    if (this.upgraded) {
      (this.upgradeData ??= []).push(chunk);
      this.pause(PAUSED_BY_PIPELINE);
      return;
    }
    this.idleSince = -1;
    let err: ParseError | undefined;
    this.executing = true;
    try {
      err = this.parser.execute(chunk);
    } catch (e) {
      // A handler threw inside a parser callback: the parser is unusable now.
      this.executing = false;
      this.fault(e);
      return;
    }
    this.executing = false;
    // Parser callbacks may have closed or handed over the connection.
    const state = this.state as number;
    if (state === CLOSED || state === DETACHED) {
      this.parser.close();
      return;
    }
    if (state !== OPEN) return;
    if (this.upgraded) {
      // llhttp stops right after an upgrade head; the rest of this read belongs to the
      // upgraded protocol (e.g. the first WebSocket frame) and must reach the upstream.
      const used = this.parser.consumed;
      if (used < chunk.length) (this.upgradeData ??= []).push(chunk.subarray(used));
      if (err?.code === 'HPE_PAUSED_UPGRADE') err = undefined;
    }
    if (err !== undefined) this.onParseError(err);
    else if (this.queue.length || this.upgraded) this.pause(PAUSED_BY_PIPELINE);
  }

  private onMessageBegin(): void {
    this.headStartedAt = performance.now();
    this.headTimer ??= setTimeout(() => this.checkHead(), this.limits.headersTimeoutMs);
  }

  private onHead(head: ParsedHead): void {
    if (this.state !== OPEN) return;
    this.headStartedAt = -1;
    const stream = new Http1ServerStream(this, buildRequestHead(head, this.scheme), head.shouldKeepAlive, head.upgrade);
    if (this.draining) stream.closeAfter = true;
    this.parsing = stream;
    if (this.active === undefined) {
      this.active = stream;
      this.dispatch(stream);
    } else this.queue.push(stream);
  }

  private onBody(chunk: Buffer): void {
    if (this.state === OPEN) this.parsing?.receiveData(chunk);
  }

  private onComplete(trailers: string[]): void {
    const stream = this.parsing;
    if (stream === undefined || this.state !== OPEN) return;
    this.parsing = undefined;
    if (stream.upgrade) this.upgraded = true;
    stream.receiveComplete(trailers);
    if (stream.responseComplete) this.finishExchange(stream);
    this.maybeIdle();
  }

  private onParseError(err: ParseError): void {
    const kind: ProtocolErrorKind = err.code === 'HPE_HEADER_OVERFLOW' ? 'headers_too_large' : 'protocol_error';
    const detail = `${err.code} ${err.reason}`.trim();
    const stream = this.parsing;
    this.parsing = undefined;
    if (stream !== undefined && stream === this.active) {
      // The body (or trailers) of the request being served is malformed.
      const canReply = !stream.headersWritten && !stream.finished;
      stream.protocolError();
      if (canReply) this.fail(kind, detail);
      else this.socket.destroy();
      return;
    }
    if (stream !== undefined && this.queue[this.queue.length - 1] === stream) this.queue.pop();
    if (this.active !== undefined) {
      // Behind a response in progress: answer the error in turn.
      this.pendingError = { kind, detail };
      this.pause(PAUSED_BY_PIPELINE);
      return;
    }
    this.fail(kind, detail);
  }

  private onEnd(): void {
    if (this.state !== OPEN) return;
    const active = this.active;
    if ((active !== undefined && !active.responseComplete) || this.queue.length || this.parsing !== undefined) {
      // The peer closed with a request outstanding: like Envoy, a remote close resets
      // the streams (node ends our side too: nothing more could be written).
      this.socket.destroy();
      return;
    }
    this.closeGracefully();
  }

  private onClose(): void {
    if (this.state === DETACHED) return;
    this.state = CLOSED;
    this.clearTimers();
    const active = this.active;
    this.active = undefined;
    this.parsing = undefined;
    this.pendingError = undefined;
    this.queue.length = 0;
    try {
      active?.remoteClosed();
    } catch (e) {
      log.error(`downstream reset handling failed: ${(e as Error).message}`);
    }
    if (!this.executing) this.parser.close();
    this.owner.connectionClosed(this);
  }

  // ---- streams ---------------------------------------------------------------

  private dispatch(stream: Http1ServerStream): void {
    if (stream.expectContinue && !stream.requestComplete) this.socket.write(CONTINUE, 'latin1');
    try {
      this.owner.onStream(this.socket, stream);
    } catch (e) {
      this.fault(e);
    }
  }

  responseComplete(stream: Http1ServerStream): void {
    if (this.state !== OPEN) return;
    if (stream.closeAfter || this.draining || !stream.requestComplete) {
      this.closeGracefully();
      return;
    }
    this.finishExchange(stream);
    this.maybeIdle();
  }

  /** Both halves of `stream` are done: serve the next pipelined request, if any. */
  private finishExchange(stream: Http1ServerStream): void {
    if (stream.exchangeDone || this.active !== stream || this.state !== OPEN) return;
    stream.exchangeDone = true;
    this.active = undefined;
    this.resume(PAUSED_BY_STREAM);
    const next = this.queue.shift();
    if (next !== undefined) {
      this.active = next;
      if (this.queue.length === 0 && this.pendingError === undefined) this.resume(PAUSED_BY_PIPELINE);
      // Not from inside the previous stream's final write: its connection manager
      // stream finishes first.
      queueMicrotask(() => {
        if (this.state === OPEN && this.active === next) this.dispatch(next);
      });
      return;
    }
    const error = this.pendingError;
    if (error !== undefined) {
      this.pendingError = undefined;
      this.fail(error.kind, error.detail);
      return;
    }
    if (this.upgraded) {
      this.closeGracefully();
      return;
    }
    this.resume(PAUSED_BY_PIPELINE);
  }

  private maybeIdle(): void {
    if (this.state === OPEN && this.active === undefined && this.parsing === undefined && this.queue.length === 0) {
      this.idleSince = performance.now();
    }
  }

  /** Connection manager code threw from a codec callback: never past a socket event. */
  fault(err: unknown): void {
    log.error(`downstream stream handling failed: ${(err as Error)?.message ?? String(err)}`);
    if (this.state === OPEN) this.state = CLOSING;
    this.socket.destroy();
  }

  abort(_stream: Http1ServerStream): void {
    // HTTP/1 has no stream reset: the connection goes.
    if (this.state === OPEN) this.state = CLOSING;
    this.socket.destroy();
  }

  detach(_stream: Http1ServerStream): Duplex {
    const socket = this.socket;
    this.state = DETACHED;
    this.clearTimers();
    socket.off('data', this.dataListener);
    socket.off('end', this.endListener);
    socket.off('drain', this.drainListener);
    socket.pause();
    // Bytes that arrived after the upgrade request (when they came in a later read;
    // llhttp does not report where a read that held the head ended).
    const buffered = this.upgradeData;
    this.upgradeData = undefined;
    if (buffered) for (let i = buffered.length - 1; i >= 0; i--) socket.unshift(buffered[i]!);
    if (!this.executing) this.parser.close();
    this.owner.connectionClosed(this);
    return socket;
  }

  /** Drain: close now if idle, else after the response in progress (connection: close). */
  drain(): void {
    if (this.state !== OPEN) return;
    this.draining = true;
    if (this.active === undefined && this.parsing === undefined && this.queue.length === 0) this.closeGracefully();
    else this.active?.closeConnectionAfterResponse();
  }

  // ---- output ----------------------------------------------------------------

  send(head: string | undefined, body: Buffer | undefined, tail: string | undefined): boolean {
    const socket = this.socket;
    if (socket.destroyed || socket.writableEnded) return true;
    return writeCoalesced(socket, head, body, tail);
  }

  pauseReading(stream: Http1ServerStream): void {
    if (stream === this.active) this.pause(PAUSED_BY_STREAM);
  }

  resumeReading(stream: Http1ServerStream): void {
    if (stream === this.active) this.resume(PAUSED_BY_STREAM);
  }

  private pause(by: number): void {
    if (this.pausedBy === 0 && this.state === OPEN) this.socket.pause();
    this.pausedBy |= by;
  }

  private resume(by: number): void {
    if ((this.pausedBy & by) === 0) return;
    this.pausedBy &= ~by;
    if (this.pausedBy === 0 && this.state === OPEN) this.socket.resume();
  }

  // ---- closing -----------------------------------------------------------------

  /** The last response is out: end our side, keep reading until the peer closes too. */
  private closeGracefully(): void {
    if (this.state !== OPEN) return;
    this.enterClosing();
    this.socket.end();
  }

  /** A malformed or timed-out request: the connection manager replies, then the connection closes. */
  private fail(kind: ProtocolErrorKind, detail: string): void {
    if (this.state !== OPEN) return;
    this.enterClosing();
    try {
      this.owner.onProtocolError(this.socket, kind, detail);
    } catch (e) {
      log.debug(`protocol error reply failed: ${(e as Error).message}`);
      this.socket.destroy();
      return;
    }
    if (!this.socket.writableEnded) this.socket.end();
  }

  private enterClosing(): void {
    this.state = CLOSING;
    this.idleSince = performance.now();
    this.queue.length = 0;
    this.pendingError = undefined;
    if (this.headTimer) clearTimeout(this.headTimer);
    this.headTimer = undefined;
    // Keep reading (and discarding): unread input would turn our close into a reset
    // that can destroy the response in flight, and the peer's FIN must be seen.
    this.pausedBy = 0;
    this.socket.resume();
    const socket = this.socket;
    const arm = () => {
      if (this.state === CLOSING) this.closeTimer = setTimeout(() => socket.destroy(), this.limits.delayedCloseMs);
    };
    if (socket.writableFinished) arm();
    else socket.once('finish', arm);
  }

  // ---- timers ------------------------------------------------------------------

  private checkIdle(): void {
    if (this.state === CLOSED || this.state === DETACHED) return;
    const timeout = this.limits.idleTimeoutMs;
    if (this.idleSince < 0) {
      this.idleTimer!.refresh();
      return;
    }
    const left = timeout - (performance.now() - this.idleSince);
    if (left > 1) {
      this.idleTimer = setTimeout(() => this.checkIdle(), left);
      return;
    }
    this.idleTimer = undefined;
    try {
      this.owner.onIdleTimeout(this.socket);
    } catch (e) {
      log.error(`idle timeout handling failed: ${(e as Error).message}`);
    }
    if (this.state === OPEN) this.closeGracefully();
    else this.socket.destroy();
  }

  private checkHead(): void {
    this.headTimer = undefined;
    if (this.state !== OPEN || this.headStartedAt < 0) return;
    const timeout = this.limits.headersTimeoutMs;
    // A pipelined head behind a response in progress is not read yet (as in Envoy).
    if (this.active !== undefined) this.headStartedAt = performance.now();
    const left = timeout - (performance.now() - this.headStartedAt);
    if (left > 1) {
      this.headTimer = setTimeout(() => this.checkHead(), left);
      return;
    }
    this.fail('header_timeout', `request headers not received within ${timeout} ms`);
  }

  private clearTimers(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.headTimer) clearTimeout(this.headTimer);
    if (this.closeTimer) clearTimeout(this.closeTimer);
    this.idleTimer = this.headTimer = this.closeTimer = undefined;
  }
}
