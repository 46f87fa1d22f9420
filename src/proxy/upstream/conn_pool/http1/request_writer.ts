// Putting a request on an upstream socket with as few writes as possible: the head
// alone, or head and a buffered body in one buffer (or one corked writev when large).
// A streamed body is pumped by RequestBodyWriter: chunked framing when the length is
// unknown, and back-pressure both ways (the body pauses while the socket's buffer is
// full and resumes on 'drain').
import type net from 'node:net';
import type { Readable } from 'node:stream';
import { LAST_CHUNK, chunkHeader, type EncodedHead } from './request_encoder.js';

/** Bodies up to this size go out in one buffer with the head (one write). */
const SMALL_BODY_BYTES = 16 * 1024;

/**
 * Writes the head, and the body when it is a Buffer (`framing` 'none' or 'buffer').
 * Returns the number of bytes written.
 */
export function writeHeadAndBuffer(socket: net.Socket, encoded: EncodedHead, body: Buffer | null): number {
  const head = encoded.head;
  if (encoded.framing !== 'buffer' || !body) {
    socket.write(head, 'latin1');
    return head.length;
  }
  if (body.length <= SMALL_BODY_BYTES) {
    const out = Buffer.allocUnsafe(head.length + body.length);
    out.write(head, 0, 'latin1');
    body.copy(out, head.length);
    socket.write(out);
  } else {
    socket.cork();
    socket.write(head, 'latin1');
    socket.write(body);
    socket.uncork();
  }
  return head.length + body.length;
}

export interface BodyWriterEvents {
  /** Bytes handed to the socket (framing included), for upstream_cx_tx_bytes_total. */
  wrote(bytes: number): void;
  /** The whole body (and the last chunk) is written. */
  finished(): void;
  /** The body stream failed or closed before its end: the request cannot be completed. */
  aborted(): void;
}

export class RequestBodyWriter {
  private active = true;

  constructor(
    private readonly socket: net.Socket,
    private readonly body: Readable,
    private readonly chunked: boolean,
    private readonly events: BodyWriterEvents,
  ) {
    if (body.readableEnded) {
      queueMicrotask(this.onEnd);
      return;
    }
    body.on('data', this.onData);
    body.on('end', this.onEnd);
    body.on('error', this.onAbort);
    body.on('close', this.onAbort);
  }

  /** The socket drained: read more of the body. */
  drained(): void {
    if (this.active && this.body.isPaused()) this.body.resume();
  }

  /** Stop sending (response already complete, connection closing); the body is left alone. */
  stop(): void {
    if (!this.active) return;
    this.active = false;
    const body = this.body;
    body.removeListener('data', this.onData);
    body.removeListener('end', this.onEnd);
    body.removeListener('error', this.onAbort);
    body.removeListener('close', this.onAbort);
  }

  private readonly onData = (data: Buffer | string): void => {
    const chunk = typeof data === 'string' ? Buffer.from(data) : data;
    const socket = this.socket;
    if (chunk.length === 0 || socket.destroyed) return; // an empty chunk would end a chunked body
    let ok: boolean;
    if (this.chunked) {
      const size = chunkHeader(chunk.length);
      socket.cork();
      socket.write(size, 'latin1');
      socket.write(chunk);
      ok = socket.write('\r\n', 'latin1');
      socket.uncork();
      this.events.wrote(size.length + chunk.length + 2);
    } else {
      ok = socket.write(chunk);
      this.events.wrote(chunk.length);
    }
    if (!ok) this.body.pause();
  };

  private readonly onEnd = (): void => {
    if (!this.active) return;
    this.stop();
    if (this.chunked && !this.socket.destroyed) {
      this.socket.write(LAST_CHUNK, 'latin1');
      this.events.wrote(LAST_CHUNK.length);
    }
    this.events.finished();
  };

  private readonly onAbort = (): void => {
    if (!this.active) return;
    this.stop();
    this.events.aborted();
  };
}
