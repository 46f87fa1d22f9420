// One long-lived xDS gRPC stream that comes back by itself (Envoy's GrpcStream). When a
// call ends — error, server shutdown, even a clean OK — a new call is started after a
// jittered exponential backoff, moving to the next configured address when the call
// never got anywhere. The protocol above only hears "opened", "response", "closed".
import type * as grpc from '@grpc/grpc-js';
import { logger } from '../../common/logger.js';
import { lazyRequire } from '../common/lazy_require.js';
import { JitteredBackoff } from './backoff.js';
import type { XdsAddress } from './types.js';

const log = logger('config');
// @grpc/grpc-js (~2 MB of RSS with the node:zlib and node:http2 it pulls in) loads
// with the first xDS stream: a static config never needs it (lazy_require.ts).
const loadGrpc = lazyRequire<typeof grpc>('@grpc/grpc-js');

export interface XdsTarget {
  /** Control plane addresses, tried in turn. */
  addresses: XdsAddress[];
  /** Default: insecure (plaintext h2c). */
  credentials?: grpc.ChannelCredentials;
  /** :authority to send (Envoy's `envoy_grpc.authority`). */
  authority?: string;
  /** `initial_metadata` of the GrpcService, sent on every stream. */
  metadata?: Record<string, string>;
  channelOptions?: grpc.ChannelOptions;
}

/**
 * gRPC channels per address, shared by every stream of a mux (non-aggregated xDS opens
 * one stream per type, all on the same HTTP/2 connection, as Envoy's async client does).
 */
export class ChannelPool {
  private readonly clients = new Map<string, grpc.Client>();

  constructor(
    private readonly target: XdsTarget,
    private readonly reconnectBackoffMs: { initial: number; max: number },
  ) {}

  client(address: XdsAddress): grpc.Client {
    const key = formatAddress(address);
    let client = this.clients.get(key);
    if (!client) {
      const options: grpc.ChannelOptions = {
        // xDS responses carry whole config sets; Envoy puts no limit on them.
        'grpc.max_receive_message_length': -1,
        // The channel's own reconnect backoff must not outlast the stream's.
        'grpc.initial_reconnect_backoff_ms': this.reconnectBackoffMs.initial,
        'grpc.max_reconnect_backoff_ms': this.reconnectBackoffMs.max,
        ...(this.target.authority ? { 'grpc.default_authority': this.target.authority } : {}),
        ...this.target.channelOptions,
      };
      const { Client, credentials } = loadGrpc();
      client = new Client(key, this.target.credentials ?? credentials.createInsecure(), options);
      this.clients.set(key, client);
    }
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }
}

export function formatAddress(a: XdsAddress): string {
  return a.host.includes(':') && !a.host.startsWith('[') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

export interface StreamHandlers<Response> {
  /** A new call exists (requests written now are sent once it connects). */
  onOpen(): void;
  /** The stream is known to be up: the channel is ready or the server answered. */
  onConnected(): void;
  onResponse(response: Response): void;
  /** The call ended while the stream should be running; a retry is scheduled. */
  onClose(error: Error): void;
}

export interface XdsGrpcStreamOptions<Request, Response> {
  /** Full method path, e.g. /envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources. */
  method: string;
  serialize: (request: Request) => Buffer;
  deserialize: (bytes: Buffer) => Response;
  target: XdsTarget;
  channels: ChannelPool;
  backoff: JitteredBackoff;
  handlers: StreamHandlers<Response>;
}

export class XdsGrpcStream<Request, Response> {
  private call?: grpc.ClientDuplexStream<Request, Response>;
  /** Bumped per call, so events of a finished call are recognised and dropped. */
  private epoch = 0;
  private running = false;
  private retryTimer?: NodeJS.Timeout;
  private addressIndex = 0;
  private connected = false;
  private answered = false;
  private failures = 0;

  constructor(private readonly options: XdsGrpcStreamOptions<Request, Response>) {}

  get isConnected(): boolean {
    return this.connected;
  }

  get isOpen(): boolean {
    return this.call !== undefined;
  }

  /** Identifies the current call; compare with `isCurrent` after async work. */
  get currentEpoch(): number {
    return this.epoch;
  }

  isCurrent(epoch: number): boolean {
    return this.running && this.call !== undefined && epoch === this.epoch;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.open();
  }

  stop(): void {
    this.running = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const call = this.call;
    this.call = undefined;
    this.connected = false;
    this.epoch++;
    call?.cancel();
  }

  /** False when there is no call to write to (the request is rebuilt on reconnect). */
  send(request: Request): boolean {
    if (!this.call) return false;
    this.call.write(request);
    return true;
  }

  private open(): void {
    const { target, method, serialize, deserialize, handlers } = this.options;
    const address = target.addresses[this.addressIndex % target.addresses.length]!;
    const client = this.options.channels.client(address);
    const metadata = new (loadGrpc().Metadata)();
    for (const [k, v] of Object.entries(target.metadata ?? {})) metadata.set(k, v);
    const epoch = ++this.epoch;
    const call = client.makeBidiStreamRequest<Request, Response>(method, serialize, deserialize, metadata, {});
    this.call = call;
    this.connected = false;
    this.answered = false;
    call.on('metadata', () => this.isCurrent(epoch) && this.markConnected());
    call.on('data', (response: Response) => {
      if (!this.isCurrent(epoch)) return;
      if (!this.answered) {
        this.answered = true;
        this.failures = 0;
        this.options.backoff.reset();
      }
      this.markConnected();
      handlers.onResponse(response);
    });
    call.on('error', () => {}); // the 'status' event below carries the same news
    call.on('status', (status: grpc.StatusObject) => this.closed(epoch, status, formatAddress(address)));
    handlers.onOpen();
    this.watchChannelReady(client.getChannel(), epoch);
  }

  /** grpc-js servers send headers lazily, so a ready channel is the first sign of life. */
  private watchChannelReady(channel: grpc.ChannelInterface, epoch: number): void {
    const check = (): void => {
      if (!this.isCurrent(epoch) || this.connected) return;
      const state = channel.getConnectivityState(true);
      if (state === loadGrpc().connectivityState.READY) return this.markConnected();
      try {
        channel.watchConnectivityState(state, Infinity, check);
      } catch {
        // the channel was shut down: the call's status event follows
      }
    };
    check();
  }

  private markConnected(): void {
    if (this.connected) return;
    this.connected = true;
    this.options.handlers.onConnected();
  }

  private closed(epoch: number, status: grpc.StatusObject, address: string): void {
    if (epoch !== this.epoch || !this.call) return;
    this.call = undefined;
    this.connected = false;
    if (!this.running) return;
    if (!this.answered) this.addressIndex++;
    this.failures++;
    const message = `${this.options.method.slice(this.options.method.lastIndexOf('/') + 1)} gRPC config stream to ${address} closed: ${status.code}, ${status.details}`;
    // The first failure is news; the retries of an outage are noise.
    if (this.failures === 1) log.warn(message);
    else log.debug(message);
    const delay = this.options.backoff.next();
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.running) this.open();
    }, delay);
    this.options.handlers.onClose(new Error(`xDS stream closed: ${status.code}, ${status.details}`));
  }
}
