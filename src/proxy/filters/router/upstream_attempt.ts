// One try of a request against one upstream host. The router may run several
// (retries); each has its own host, per-try timer and request-body stream.
import { Readable } from 'node:stream';
import type { HeaderMap } from '../../http/header_map.js';
import type { ResetReason, UpstreamCallbacks, UpstreamStream } from '../../upstream/conn_pool/types.js';
import type { Host } from '../../upstream/host.js';
import type { ThreadLocalCluster } from '../../upstream/thread_local_cluster.js';

/** Request body for one attempt; the router pushes chunks, undici pulls them. */
export class RequestBodyStream extends Readable {
  private wantMore?: () => void;
  constructor(onWantMore: () => void) {
    super({ highWaterMark: 64 * 1024 });
    this.wantMore = onWantMore;
  }
  override _read(): void {
    this.wantMore?.();
  }
  /** false: the upstream is slow; stop reading the downstream until _read. */
  write(chunk: Buffer): boolean {
    return this.push(chunk);
  }
  finish(): void {
    this.push(null);
  }
}

export interface AttemptEvents {
  onHeaders(attempt: UpstreamAttempt, status: number, headers: HeaderMap, endStream: boolean): boolean;
  onData(attempt: UpstreamAttempt, chunk: Buffer): boolean;
  onComplete(attempt: UpstreamAttempt, trailers: HeaderMap | undefined): void;
  onReset(attempt: UpstreamAttempt, reason: ResetReason, detail: string): void;
  onPerTryTimeout(attempt: UpstreamAttempt): void;
  onUpgrade(attempt: UpstreamAttempt, status: number, headers: HeaderMap, socket: import('node:stream').Duplex): void;
}

export class UpstreamAttempt {
  readonly startedAt = performance.now();
  private stream?: UpstreamStream;
  private perTryTimer?: NodeJS.Timeout;
  body?: RequestBodyStream;
  sawHeaders = false;
  done = false;

  constructor(
    readonly host: Host,
    readonly cluster: ThreadLocalCluster,
    readonly attemptNumber: number,
    private readonly events: AttemptEvents,
  ) {}

  start(method: string, path: string, headers: HeaderMap, body: Buffer | RequestBodyStream | null, perTryTimeoutMs: number, downstreamProtocol?: 'HTTP/1.0' | 'HTTP/1.1' | 'HTTP/2', upgrade?: string): void {
    if (body instanceof RequestBodyStream) this.body = body;
    const info = this.cluster.info;
    info.activeRequests++;
    const callbacks: UpstreamCallbacks = {
      onHeaders: (status, h, endStream) => {
        this.sawHeaders = true;
        return this.events.onHeaders(this, status, h, endStream === true);
      },
      onData: (chunk) => this.events.onData(this, chunk),
      onComplete: (trailers) => {
        this.finish();
        this.events.onComplete(this, trailers);
      },
      onReset: (reason, detail) => {
        this.finish();
        this.events.onReset(this, reason, detail);
      },
      onUpgrade: (status, h, socket) => {
        this.finish();
        this.events.onUpgrade(this, status, h, socket);
      },
    };
    if (perTryTimeoutMs > 0) this.perTryTimer = setTimeout(() => this.events.onPerTryTimeout(this), perTryTimeoutMs);
    const sni = info.upstreamTlsFor(this.host)?.sniForRequest(headers.get(':authority'), (name) => headers.get(name));
    this.stream = this.cluster.pool(this.host, downstreamProtocol, sni).newStream({ method, path, headers, body, upgrade }, callbacks);
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.cluster.info.activeRequests--;
    if (this.perTryTimer) clearTimeout(this.perTryTimer);
  }

  /** Headers arrived and are final: the per-try timer only guards time to first byte. */
  clearPerTryTimer(): void {
    if (this.perTryTimer) clearTimeout(this.perTryTimer);
    this.perTryTimer = undefined;
  }

  /**
   * The router moved on (retry) but the response may still be arriving: read it to
   * the end, ignored, so the connection can be reused; cancel if it is large.
   */
  abandon(): void {
    if (this.perTryTimer) clearTimeout(this.perTryTimer);
    this.perTryTimer = setTimeout(() => this.cancel(), 1000);
    this.perTryTimer.unref();
  }

  resume(): void {
    this.stream?.resume();
  }

  cancel(): void {
    this.finish();
    this.stream?.cancel();
    this.body?.destroy();
  }
}
