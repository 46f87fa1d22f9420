// What SotW and delta streams share: the gRPC call's life cycle, the node (sent
// only on the first request when the client sets set_node_on_first_message_only),
// type URL checks, counter nonces, status and metrics. A client's bad input ends
// its own stream with a gRPC status; it never reaches the process.
import * as grpc from '@grpc/grpc-js';
import { isXdsTypeUrl, type XdsTypeUrl } from '../../api/xds/resource_types.js';
import type { Logger } from '../../common/logger.js';
import type { ConfigWatcher, Node } from './cache/types.js';
import { BadRequestError } from './codec.js';
import type { XdsMetrics } from './metrics.js';
import { StreamStatus, type XdsProtocol, type XdsService } from './status.js';

export type XdsCall = grpc.ServerDuplexStream<Buffer, Uint8Array>;

export interface StreamContext {
  readonly watcher: ConfigWatcher;
  readonly metrics: XdsMetrics;
  readonly log: Logger;
  /** Called once when the stream ends, however it ends. */
  readonly onClosed: (stream: XdsStream) => void;
}

export abstract class XdsStream {
  readonly status: StreamStatus;
  private nonceCounter = 0;
  private closed = false;

  constructor(
    protected readonly call: XdsCall,
    protected readonly ctx: StreamContext,
    streamId: number,
    protocol: XdsProtocol,
    service: XdsService,
    /** The per-type service's type; undefined on ADS. */
    protected readonly fixedTypeUrl?: XdsTypeUrl,
  ) {
    this.status = new StreamStatus(streamId, protocol, service);
    ctx.metrics.streamOpened(protocol);
    call.on('data', (bytes: Buffer) => this.receive(bytes));
    // The client half-closed: finish our side with OK, as go-control-plane does.
    call.on('end', () => {
      if (!this.closed) call.end();
      this.cleanup();
    });
    call.on('cancelled', () => this.cleanup());
    call.on('error', () => this.cleanup());
    call.on('close', () => this.cleanup());
  }

  get node(): Node | undefined {
    return this.status.node;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends the stream with OK (server shutdown); the client reconnects elsewhere. */
  end(): void {
    if (this.closed) return;
    this.cleanup();
    this.call.end();
  }

  protected abstract handle(bytes: Buffer): void;

  /** Cancels every open watch of the stream. */
  protected abstract cancelWatches(): void;

  protected nextNonce(): string {
    return String(++this.nonceCounter);
  }

  /**
   * The node this stream speaks for: the first request's, remembered, since a client
   * with set_node_on_first_message_only omits it afterwards. Later nodes are ignored
   * so the snapshot key cannot change under open watches.
   */
  protected adoptNode(node: Node | undefined): Node {
    if (!this.status.node) {
      if (!node) throw new BadRequestError('the first request on a stream must carry a node');
      this.status.node = node;
      this.ctx.log.info(`${this.describe()} connected`);
    }
    return this.status.node;
  }

  /** The request's type URL, checked against the service and the types the server knows. */
  protected resolveType(typeUrl: string | undefined): XdsTypeUrl {
    if (this.fixedTypeUrl) {
      if (typeUrl && typeUrl !== this.fixedTypeUrl) throw new BadRequestError(`type URL ${typeUrl} on the ${this.status.service.toUpperCase()} service`);
      return this.fixedTypeUrl;
    }
    if (!typeUrl) throw new BadRequestError('request without type_url on an aggregated stream');
    if (!isXdsTypeUrl(typeUrl)) throw new BadRequestError(`unknown type URL ${typeUrl}`);
    return typeUrl;
  }

  protected write(bytes: Buffer): void {
    if (!this.closed) this.call.write(bytes);
  }

  protected describe(): string {
    const s = this.status;
    return `${s.protocol} ${s.service.toUpperCase()} stream ${s.streamId} (node ${s.node?.id ?? '?'})`;
  }

  private receive(bytes: Buffer): void {
    if (this.closed) return;
    try {
      this.handle(bytes);
    } catch (err) {
      if (err instanceof BadRequestError) {
        this.ctx.metrics.badRequest();
        this.fail(grpc.status.INVALID_ARGUMENT, err.message);
      } else {
        this.ctx.log.error(`${this.describe()}: ${(err as Error).stack ?? err}`);
        this.fail(grpc.status.INTERNAL, `xds server error: ${(err as Error).message}`);
      }
    }
  }

  private fail(code: grpc.status, details: string): void {
    if (this.closed) return;
    this.ctx.log.warn(`${this.describe()} closed: ${details}`);
    this.ctx.metrics.streamFailed();
    this.cleanup();
    // grpc-js turns an 'error' on a server stream into the trailing status.
    this.call.emit('error', { code, details });
  }

  private cleanup(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelWatches();
    this.ctx.metrics.streamClosed(this.status.protocol);
    if (this.status.node) this.ctx.log.info(`${this.describe()} disconnected`);
    this.ctx.onClosed(this);
  }
}
