// One request through the HTTP/1 pool, from newStream to its last callback. It
// outlives its connection when the consumer is slow: a response llhttp has finished
// parsing can sit here (queued body chunks, completion) while the connection already
// serves the next request. After cancel() or the final callback, nothing is called.
import type { HeaderMap } from '../../../http/header_map.js';
import type { ResetReason, UpstreamCallbacks, UpstreamRequest, UpstreamStream } from '../types.js';
import type { ClientConnection } from './client_connection.js';
import type { EncodedHead } from './request_encoder.js';

/** What a stream needs from its pool (kept narrow to avoid an import cycle). */
export interface StreamOwner {
  /** A queued stream was cancelled before it got a connection. */
  cancelPending(stream: ClientStream): void;
  /** The stream delivered its last callback or was cancelled. */
  streamFinished(stream: ClientStream): void;
}

export class ClientStream implements UpstreamStream {
  state: 'pending' | 'active' | 'done' = 'pending';
  conn: ClientConnection | null = null;
  /** Counted in upstream_rq_active (attached to a connection at least once). */
  attached = false;
  /** Already retried once after a stale keep-alive connection closed under it. */
  staleRetried = false;
  gotHeaders = false;
  /** The request (head and body) has been fully handed to the socket. */
  requestDone = false;
  private paused = false;
  private queue: Buffer[] | null = null;
  private queuedComplete: { trailers: HeaderMap | undefined } | null = null;

  constructor(
    private readonly owner: StreamOwner,
    readonly request: UpstreamRequest,
    readonly callbacks: UpstreamCallbacks,
    /** The request head, encoded once (a stale-connection retry sends it again). */
    readonly encoded: EncodedHead,
  ) {}

  get done(): boolean {
    return this.state === 'done';
  }

  /** Whether the consumer asked for no more data until resume(). */
  get isPaused(): boolean {
    return this.paused || this.queue !== null;
  }

  cancel(): void {
    if (this.state === 'done') return;
    const wasPending = this.state === 'pending';
    const conn = this.conn;
    this.finish();
    if (wasPending) this.owner.cancelPending(this);
    else if (conn) conn.abortStream(this);
  }

  resume(): void {
    if (this.state === 'done') return;
    this.paused = false;
    const queue = this.queue;
    if (queue) {
      while (queue.length) {
        const chunk = queue.shift()!;
        const more = this.callbacks.onData(chunk);
        if (this.done) return;
        if (!more) {
          this.paused = true;
          return;
        }
      }
      this.queue = null;
    }
    const complete = this.queuedComplete;
    if (complete) {
      this.queuedComplete = null;
      this.complete(complete.trailers);
      return;
    }
    this.conn?.resumeReading();
  }

  deliverHeaders(status: number, headers: HeaderMap): void {
    if (this.state === 'done') return;
    this.gotHeaders = true;
    if (!this.callbacks.onHeaders(status, headers) && !this.done) this.paused = true;
  }

  deliverData(chunk: Buffer): void {
    if (this.state === 'done') return;
    if (this.paused || this.queue) {
      (this.queue ??= []).push(chunk);
      return;
    }
    if (!this.callbacks.onData(chunk) && !this.done) this.paused = true;
  }

  deliverComplete(trailers: HeaderMap | undefined): void {
    if (this.state === 'done') return;
    if (this.paused || this.queue) this.queuedComplete = { trailers };
    else this.complete(trailers);
  }

  reset(reason: ResetReason, detail: string): void {
    if (this.state === 'done') return;
    this.finish();
    this.callbacks.onReset(reason, detail);
  }

  /** 101: the socket leaves the pool with the stream. */
  upgrade(status: number, headers: HeaderMap, socket: import('node:stream').Duplex): void {
    if (this.state === 'done') {
      socket.destroy();
      return;
    }
    this.finish();
    this.callbacks.onUpgrade!(status, headers, socket);
  }

  private complete(trailers: HeaderMap | undefined): void {
    this.finish();
    this.callbacks.onComplete(trailers);
  }

  private finish(): void {
    this.state = 'done';
    this.queue = null;
    this.queuedComplete = null;
    this.owner.streamFinished(this);
  }
}
