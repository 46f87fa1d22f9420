// The proxy's xDS client: subscriptions in, validated resources out (Envoy's GrpcMux).
// One mux talks to one control plane, either over one aggregated stream (ADS) or one
// stream per type (api_config_source GRPC / DELTA_GRPC), in SotW or delta. It decides
// when requests go out: the type states (sotw_state.ts, delta_state.ts) build them,
// the mux sends them in subscription order, holding back paused types and obeying
// rate limits, and resends everything when a stream comes back.
//
// Responses of one stream are handled strictly one after another, even when callbacks
// are async: a CDS update must be applied before the EDS response behind it is looked
// at, which is the ordering ADS exists to give.
import type { envoy } from '../../api/envoy-types.generated.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../api/xds/resource_types.js';
import { logger } from '../../common/logger.js';
import { StatsStore, type StatsScope } from '../stats/store.js';
import { DEFAULT_BACKOFF, JitteredBackoff } from './backoff.js';
import { DeltaTypeState } from './delta_state.js';
import { ChannelPool, XdsGrpcStream, type XdsTarget } from './grpc_stream.js';
import { SotwTypeState } from './sotw_state.js';
import { CONTROL_PLANE_STATS, type ControlPlaneStats } from './stats.js';
import { TokenBucket } from './token_bucket.js';
import type { TypeState, TypeStateHost } from './type_state.js';
import type {
  BackoffOptions,
  RateLimitOptions,
  ResourceInterest,
  SubscribeOptions,
  Subscription,
  SubscriptionCallbacks,
  SubscriptionStatus,
  XdsTransport,
} from './types.js';
import {
  ADS_METHODS,
  decodeDeltaDiscoveryResponse,
  decodeDiscoveryResponse,
  encodeDeltaDiscoveryRequest,
  encodeDiscoveryRequest,
  perTypeMethod,
} from './wire.js';

const log = logger('config');

export interface XdsMuxOptions {
  transport: XdsTransport;
  /** One ADS stream for every type, or one stream per type. */
  aggregated: boolean;
  target: XdsTarget;
  node: envoy.config.core.v3.Node;
  /** Envoy's `set_node_on_first_message_only`. */
  setNodeOnFirstMessageOnly?: boolean;
  /** The scope `control_plane.*` is created under (the server's root scope). */
  stats?: StatsScope;
  /** Stream retry backoff; default 500 ms doubling up to 30 s. */
  backoff?: BackoffOptions;
  /** Envoy's `rate_limit_settings`; none by default. */
  rateLimit?: RateLimitOptions;
}

/** A subscription handle that can also report its state (for config_dump). */
export interface XdsSubscription extends Subscription {
  status(): SubscriptionStatus;
}

/**
 * While a type's update is applied, the types its resources point at are held, so
 * the subscriptions it creates (a cluster's EDS, a listener's RDS, their SDS) go out
 * as one request when it is done — Envoy's CDS/LDS pause.
 */
const HELD_WHILE_APPLYING: Record<string, string[]> = {
  [CLUSTER_TYPE]: [ENDPOINT_TYPE, SECRET_TYPE],
  [LISTENER_TYPE]: [ROUTE_TYPE, SECRET_TYPE],
};

type AnyTypeState = TypeState<any, any>;

interface StreamSlot {
  /** 'ads' or the type URL of a per-type stream. */
  key: string;
  stream: XdsGrpcStream<any, any>;
  /** The next request on this call is its first (it carries the node). */
  firstRequest: boolean;
  /** Responses are handled one at a time, in arrival order. */
  processing: Promise<void>;
}

const ADS_KEY = 'ads';

export class XdsMux implements TypeStateHost {
  private readonly types = new Map<string, AnyTypeState>();
  private readonly slots = new Map<string, StreamSlot>();
  /** Types with a request to send, in the order they asked. */
  private readonly queue = new Set<string>();
  private readonly pauses = new Map<string, number>();
  private readonly channels: ChannelPool;
  private readonly stats: ControlPlaneStats;
  private readonly bucket?: TokenBucket;
  private drainTimer?: NodeJS.Timeout;
  private drainQueued = false;
  running = false;

  constructor(private readonly options: XdsMuxOptions) {
    const backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.channels = new ChannelPool(options.target, { initial: backoff.baseMs, max: backoff.maxMs });
    this.stats = CONTROL_PLANE_STATS.create((options.stats ?? new StatsStore().scope('')).scope('control_plane.'));
    if (options.rateLimit) this.bucket = new TokenBucket(options.rateLimit);
    if (options.target.addresses.length === 0) throw new Error('xDS: no control plane address');
  }

  /** Subscribes to `typeUrl` resources; `'*'` (or a list containing it) is the wildcard. */
  subscribe(typeUrl: string, interest: ResourceInterest, callbacks: SubscriptionCallbacks, options: SubscribeOptions = {}): XdsSubscription {
    const watch = this.typeState(typeUrl).addWatch(interest, callbacks, options);
    // After the watch exists, so a new per-type stream opens with its names.
    if (this.running && !this.options.aggregated) this.ensureSlot(typeUrl);
    return watch;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    if (this.options.aggregated) this.ensureSlot(ADS_KEY);
    for (const [typeUrl, state] of this.types) {
      if (!this.options.aggregated) this.ensureSlot(typeUrl);
      state.startInitFetchTimers();
    }
    this.drain();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = undefined;
    for (const slot of this.slots.values()) slot.stream.stop();
    this.slots.clear();
    this.channels.close();
    for (const state of this.types.values()) for (const w of state.watches) w.stopInitFetchTimer();
    this.updateConnectedState();
  }

  /** Holds requests of these types until the returned function is called (Envoy's ScopedResume). */
  pause(typeUrls: readonly string[]): () => void {
    for (const t of typeUrls) this.pauses.set(t, (this.pauses.get(t) ?? 0) + 1);
    let resumed = false;
    return () => {
      if (resumed) return;
      resumed = true;
      for (const t of typeUrls) {
        const n = (this.pauses.get(t) ?? 1) - 1;
        if (n > 0) this.pauses.set(t, n);
        else this.pauses.delete(t);
      }
      this.drain();
    };
  }

  /** The type's last accepted version, update time and rejection; undefined if never subscribed. */
  subscriptionState(typeUrl: string): SubscriptionStatus | undefined {
    return this.types.get(typeUrl)?.status();
  }

  /** Every stream this mux runs is up. */
  get connected(): boolean {
    if (this.slots.size === 0) return false;
    for (const slot of this.slots.values()) if (!slot.stream.isConnected) return false;
    return true;
  }

  // ---- TypeStateHost ----------------------------------------------------------------

  queueRequest(typeUrl: string): void {
    this.queue.add(typeUrl);
    // Sent at the end of the current tick: interest changes made together (a cluster
    // replaced, many routes acquired in a loop) go out as one request per type.
    if (this.drainQueued) return;
    this.drainQueued = true;
    queueMicrotask(() => {
      this.drainQueued = false;
      this.drain();
    });
  }

  runInOrder(typeUrl: string, work: () => Promise<void>): void {
    const slot = this.slots.get(this.slotKeyOf(typeUrl));
    const run = async () => {
      try {
        await work();
      } catch (err) {
        log.error(`xDS: ${typeUrl}: ${(err as Error).stack ?? err}`);
      }
    };
    if (slot) slot.processing = slot.processing.then(run);
    else void Promise.resolve().then(run);
  }

  // ---- internals --------------------------------------------------------------------

  private typeState(typeUrl: string): AnyTypeState {
    let state = this.types.get(typeUrl);
    if (!state) {
      state = this.options.transport === 'delta' ? new DeltaTypeState(typeUrl, this) : new SotwTypeState(typeUrl, this);
      this.types.set(typeUrl, state);
    }
    return state;
  }

  private slotKeyOf(typeUrl: string): string {
    return this.options.aggregated ? ADS_KEY : typeUrl;
  }

  private typesOn(slot: StreamSlot): AnyTypeState[] {
    if (slot.key === ADS_KEY) return [...this.types.values()];
    const state = this.types.get(slot.key);
    return state ? [state] : [];
  }

  private ensureSlot(key: string): void {
    if (this.slots.has(key)) return;
    const delta = this.options.transport === 'delta';
    const slot: StreamSlot = { key, stream: undefined as never, firstRequest: true, processing: Promise.resolve() };
    slot.stream = new XdsGrpcStream<any, any>({
      method: key === ADS_KEY ? ADS_METHODS[this.options.transport] : perTypeMethod(key, this.options.transport),
      serialize: delta ? encodeDeltaDiscoveryRequest : encodeDiscoveryRequest,
      deserialize: delta ? decodeDeltaDiscoveryResponse : decodeDiscoveryResponse,
      target: this.options.target,
      channels: this.channels,
      backoff: new JitteredBackoff(this.options.backoff ?? DEFAULT_BACKOFF),
      handlers: {
        onOpen: () => this.streamOpened(slot),
        onConnected: () => this.updateConnectedState(),
        onResponse: (response: { type_url: string }) => this.responseArrived(slot, response),
        onClose: (error) => this.streamClosed(slot, error),
      },
    });
    this.slots.set(key, slot);
    slot.stream.start();
  }

  private streamOpened(slot: StreamSlot): void {
    slot.firstRequest = true;
    // Every subscription is re-sent: SotW with the versions held, delta with initial_resource_versions.
    for (const state of this.typesOn(slot)) {
      state.onStreamEstablished();
      this.queue.add(state.typeUrl);
    }
    this.drain();
  }

  private streamClosed(slot: StreamSlot, error: Error): void {
    this.updateConnectedState();
    // Nothing is removed: the proxy keeps serving the last config while away.
    for (const state of this.typesOn(slot)) state.connectionFailed(error);
  }

  private responseArrived(slot: StreamSlot, response: { type_url: string; version_info?: string; system_version_info?: string }): void {
    const typeUrl = response.type_url;
    const state = this.types.get(typeUrl);
    if (!state || this.slotKeyOf(typeUrl) !== slot.key) {
      log.warn(`Ignoring the message for type URL ${typeUrl} as it has no current subscribers.`);
      return;
    }
    log.debug(`Received gRPC message for ${typeUrl} at version ${response.version_info ?? response.system_version_info ?? ''}`);
    const epoch = slot.stream.currentEpoch;
    slot.processing = slot.processing.then(async () => {
      const resume = this.pause([typeUrl, ...(HELD_WHILE_APPLYING[typeUrl] ?? [])]);
      try {
        await state.handleResponse(response, () => slot.stream.isCurrent(epoch));
      } catch (err) {
        log.error(`xDS: handling a ${typeUrl} response failed: ${(err as Error).stack ?? err}`);
      } finally {
        resume();
      }
    });
  }

  private drain(): void {
    if (!this.running) return;
    for (const typeUrl of [...this.queue]) {
      if (this.pauses.has(typeUrl)) continue;
      const slot = this.slots.get(this.slotKeyOf(typeUrl));
      // Without a call the request waits; a new call re-queues every type anyway.
      if (!slot?.stream.isOpen) continue;
      if (this.bucket && this.bucket.msUntilNextToken() > 0) {
        this.stats.rate_limit_enforced.inc();
        this.scheduleDrain(this.bucket.msUntilNextToken());
        break;
      }
      this.queue.delete(typeUrl);
      const request = this.types.get(typeUrl)?.buildRequest();
      if (!request) continue;
      this.bucket?.consume();
      if (slot.firstRequest || !this.options.setNodeOnFirstMessageOnly) request.node = this.options.node;
      slot.firstRequest = false;
      log.trace(`Sending DiscoveryRequest for ${typeUrl}: ${JSON.stringify({ ...request, node: request.node ? '(node)' : undefined })}`);
      slot.stream.send(request);
    }
    this.stats.pending_requests.set(this.queue.size);
  }

  private scheduleDrain(ms: number): void {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = undefined;
      this.drain();
    }, ms);
  }

  private updateConnectedState(): void {
    this.stats.connected_state.set(this.running && this.connected ? 1 : 0);
  }
}
