// One request/response exchange on a downstream HTTP/1 connection. The request side
// delivers body and end-of-stream to the connection manager (buffering while the
// stream is not started or reading is paused); the response side frames what the
// connection manager writes (see server_head.ts) and writes the head together with
// the first body bytes, so a small response costs one socket write.
import type { Duplex } from 'node:stream';
import { HeaderMap } from '../../header_map.js';
import type { HttpProtocol, ServerStream, ServerStreamEvents } from '../types.js';
import { Framing, serializeResponseHead, serializeTrailers, type RequestHead } from './server_head.js';

/** What a stream needs from its connection. */
export interface StreamConnection {
  /** Writes `head` (latin1), `body` and `tail` (latin1) as one socket write where it can. */
  send(head: string | undefined, body: Buffer | undefined, tail: string | undefined): boolean;
  pauseReading(stream: Http1ServerStream): void;
  resumeReading(stream: Http1ServerStream): void;
  /** The last byte of the response has been handed to the socket. */
  responseComplete(stream: Http1ServerStream): void;
  /** The connection manager (or a bad response head) aborted the stream: close now. */
  abort(stream: Http1ServerStream): void;
  detach(stream: Http1ServerStream): Duplex;
  /** A connection manager callback threw outside a socket event: close the connection. */
  fault(err: unknown): void;
  readonly enableTrailers: boolean;
}

const EMPTY = Buffer.alloc(0);
/** Marks the end of a request body in the pending list. */
const END = null;

export class Http1ServerStream implements ServerStream {
  readonly protocol: HttpProtocol;
  readonly requestHeaders: HeaderMap;
  readonly headersOnlyRequest: boolean;
  readonly requestHeadersBytes: number;
  readonly isHead: boolean;
  readonly expectContinue: boolean;
  events?: ServerStreamEvents;
  headersWritten = false;
  /** The request's last byte was parsed. */
  requestComplete = false;
  /** The response's last byte was written. */
  responseComplete = false;
  /** Request and response both complete: the connection moved on (connection-owned). */
  exchangeDone = false;
  /** No more events go to the connection manager (response done, reset, or aborted). */
  finished = false;
  closeAfter: boolean;
  started = false;
  private readPaused = false;
  /** Request events not yet delivered: body chunks, trailers, END. */
  private pending: Array<Buffer | HeaderMap | null> | undefined;
  private flushScheduled = false;
  private framing: Framing = Framing.None;
  /** Response head waiting for the first body bytes (flushed at the end of the tick). */
  private pendingHead: string | undefined;

  constructor(
    private readonly conn: StreamConnection,
    head: RequestHead,
    keepAlive: boolean,
    readonly upgrade: boolean,
  ) {
    this.protocol = head.protocol;
    this.requestHeaders = head.headers;
    this.headersOnlyRequest = head.headersOnly;
    this.requestHeadersBytes = head.bytes;
    this.isHead = head.isHead;
    this.expectContinue = head.expectContinue;
    // Without a body llhttp completes the message right after the head, in the same
    // parse call: the request is complete as far as the response is concerned.
    this.requestComplete = head.headersOnly;
    // Connection: close, or HTTP/1.0 without keep-alive (llhttp's should_keep_alive).
    // After an upgrade request the bytes that follow are not HTTP: unless the socket is
    // taken over, the connection ends with this response.
    this.closeAfter = !keepAlive || upgrade;
  }

  // ---- request side (called by the connection) -----------------------------

  receiveData(chunk: Buffer): void {
    if (this.finished) return;
    if (this.pending === undefined && this.started && !this.readPaused) this.events!.onData(chunk, false);
    else (this.pending ??= []).push(chunk);
  }

  receiveComplete(trailers: string[]): void {
    this.requestComplete = true;
    if (this.finished) return;
    let item: HeaderMap | null;
    if (trailers.length) item = HeaderMap.fromFlat(trailers);
    else if (this.headersOnlyRequest) return; // the connection manager already knows
    else item = END;
    if (this.pending === undefined && this.started && !this.readPaused) this.deliver(item);
    else (this.pending ??= []).push(item);
  }

  private deliver(item: Buffer | HeaderMap | null): void {
    const events = this.events!;
    if (item === END) events.onData(EMPTY, true);
    else if (item instanceof HeaderMap) events.onTrailers(item);
    else events.onData(item, false);
  }

  /** Delivers buffered request events once the connection manager can take them. */
  private scheduleFlush(): void {
    if (this.flushScheduled || this.pending === undefined) return;
    this.flushScheduled = true;
    // Not synchronously: start() and resumeReading() are called from inside the
    // connection manager, which expects the body after it has handled the headers.
    queueMicrotask(() => {
      this.flushScheduled = false;
      const pending = this.pending;
      if (pending === undefined) return;
      try {
        while (pending.length && !this.finished && this.started && !this.readPaused) this.deliver(pending.shift()!);
      } catch (e) {
        this.conn.fault(e);
        return;
      }
      if (pending.length === 0 || this.finished) this.pending = undefined;
    });
  }

  /** The downstream went away before the response completed. */
  remoteClosed(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.started) this.events!.onReset(this.requestComplete ? 'connection_termination' : 'remote_reset');
  }

  /** The request turned out malformed mid-body. */
  protocolError(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.started) this.events!.onReset('protocol_error');
  }

  drained(): void {
    if (!this.finished && this.started) this.events!.onWritable();
  }

  // ---- ServerStream ----------------------------------------------------------

  start(): void {
    this.started = true;
    if (this.pending !== undefined) this.scheduleFlush();
  }

  pauseReading(): void {
    if (this.readPaused || this.finished) return;
    this.readPaused = true;
    this.conn.pauseReading(this);
  }

  resumeReading(): void {
    if (!this.readPaused) return;
    this.readPaused = false;
    this.conn.resumeReading(this);
    if (this.pending !== undefined) this.scheduleFlush();
  }

  writeHeaders(headers: HeaderMap, endStream: boolean): void {
    if (this.headersWritten || this.finished) return;
    this.headersWritten = true;
    // A response that starts before the request is in: the rest of the body is still on
    // the wire, so this connection cannot carry another request (as Envoy).
    if (!this.requestComplete) this.closeAfter = true;
    const out = serializeResponseHead(headers, {
      http10: this.protocol === 'HTTP/1.0',
      isHead: this.isHead,
      closeAfter: this.closeAfter,
      endStream,
    });
    if (out === undefined) {
      // A header that cannot be written safely (CR/LF injection, bad status): Envoy
      // resets the stream; on HTTP/1 that closes the connection.
      this.finished = true;
      this.conn.abort(this);
      const events = this.events;
      if (events) {
        queueMicrotask(() => {
          try {
            events.onReset('protocol_error');
          } catch (e) {
            this.conn.fault(e);
          }
        });
      }
      return;
    }
    this.framing = out.framing;
    this.closeAfter = out.closeAfter;
    if (endStream) {
      this.conn.send(out.head, undefined, undefined);
      this.complete();
      return;
    }
    this.pendingHead = out.head;
    queueMicrotask(() => this.flushHead());
  }

  private flushHead(): void {
    const head = this.pendingHead;
    if (head === undefined || this.finished) return;
    this.pendingHead = undefined;
    this.conn.send(head, undefined, undefined);
  }

  writeData(chunk: Buffer, endStream: boolean): boolean {
    if (this.finished || !this.headersWritten) return true;
    const head = this.pendingHead;
    this.pendingHead = undefined;
    let ok = true;
    switch (this.framing) {
      case Framing.Chunked:
        if (chunk.length) ok = this.conn.send(`${head ?? ''}${chunk.length.toString(16)}\r\n`, chunk, endStream ? '\r\n0\r\n\r\n' : '\r\n');
        else if (endStream) ok = this.conn.send(head, undefined, '0\r\n\r\n');
        else if (head !== undefined) ok = this.conn.send(head, undefined, undefined);
        break;
      case Framing.None:
        // No body on the wire whatever arrives (HEAD, 204, 304, 1xx).
        if (head !== undefined) ok = this.conn.send(head, undefined, undefined);
        break;
      default:
        if (chunk.length || head !== undefined) ok = this.conn.send(head, chunk.length ? chunk : undefined, undefined);
    }
    if (endStream) this.complete();
    return ok;
  }

  writeTrailers(trailers: HeaderMap): void {
    if (this.finished || !this.headersWritten) return;
    // HTTP/1 trailers exist only in chunked bodies; like Envoy without enable_trailers
    // they are dropped unless the codec was told to keep them.
    if (this.framing === Framing.Chunked && this.conn.enableTrailers) {
      const last = serializeTrailers(trailers);
      if (last !== undefined) {
        const head = this.pendingHead;
        this.pendingHead = undefined;
        this.conn.send(head, undefined, last);
        this.complete();
        return;
      }
    }
    this.writeData(EMPTY, true);
  }

  private complete(): void {
    this.responseComplete = true;
    this.finished = true;
    this.pending = undefined;
    this.conn.responseComplete(this);
  }

  reset(): void {
    if (this.finished && this.responseComplete) return;
    this.finished = true;
    this.pendingHead = undefined;
    this.conn.abort(this);
  }

  closeConnectionAfterResponse(): void {
    this.closeAfter = true;
  }

  takeSocketForUpgrade(): Duplex {
    this.finished = true;
    return this.conn.detach(this);
  }
}
