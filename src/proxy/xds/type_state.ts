// Per-type state shared by the SotW and delta protocols: the watches of the type (Envoy's
// WatchMap), their merged interest, the last accepted and last rejected update, and the
// delivery loop that turns a decoded response into per-watch callbacks and a verdict.
// The protocol subclasses own only what differs on the wire: requests and bookkeeping.
import { logger } from '../../common/logger.js';
import { RejectedUpdate } from './decode.js';
import {
  ResourceRejectedError,
  type DecodedResource,
  type ResourceInterest,
  type SubscribeOptions,
  type SubscriptionCallbacks,
  type SubscriptionStatus,
  type UpdateFailureState,
} from './types.js';
import { type Interest, Watch, type WatchOwner } from './watch.js';
import { NACK_STATUS_CODE, truncateErrorDetail } from './wire.js';

const log = logger('config');

/** What a type needs from the mux that carries it. */
export interface TypeStateHost {
  /** A request for this type should go out (now, or when unpaused/connected). */
  queueRequest(typeUrl: string): void;
  /** The mux is running: initial fetch timers may start. */
  readonly running: boolean;
  /** Runs `work` after the responses of this type's stream that are already queued. */
  runInOrder(typeUrl: string, work: () => Promise<void>): void;
}

export interface WatchUpdate {
  added: DecodedResource[];
  removed: string[];
}

export interface ErrorDetail {
  code: number;
  message: string;
}

export abstract class TypeState<Request, Response> implements WatchOwner {
  readonly watches = new Set<Watch>();
  /** version_info (SotW) or system_version_info (delta) of the last accepted update. */
  versionInfo = '';
  lastUpdatedMs?: number;
  errorState?: UpdateFailureState;
  /**
   * The last accepted copy of every wanted resource. A subscription that starts (or
   * widens) while another already holds a name gets it from here: the server will
   * not send it again, since from its side nothing changed — the case of a cluster
   * replaced by an update, whose new EDS subscription names the same assignment.
   */
  protected readonly cache = new Map<string, DecodedResource>();

  constructor(
    readonly typeUrl: string,
    protected readonly host: TypeStateHost,
  ) {}

  // ---- the protocol's part --------------------------------------------------------

  /** A new stream carries this type: per-stream state (nonces, what was sent) resets. */
  abstract onStreamEstablished(): void;
  /** The next request for this type, or undefined when there is nothing to say. */
  abstract buildRequest(): Request | undefined;
  /** Decodes, delivers and records the verdict; `current()` is false once the stream that carried it is gone. */
  abstract handleResponse(response: Response, current: () => boolean): Promise<void>;

  // ---- watches --------------------------------------------------------------------

  addWatch(interest: ResourceInterest, callbacks: SubscriptionCallbacks, options?: SubscribeOptions): Watch {
    const watch = new Watch(this, interest, callbacks, options);
    this.watches.add(watch);
    if (this.host.running) watch.startInitFetchTimer();
    this.host.queueRequest(this.typeUrl);
    this.offerCached(watch);
    return watch;
  }

  removeWatch(watch: Watch): void {
    if (this.watches.delete(watch)) this.host.queueRequest(this.typeUrl);
  }

  interestChanged(watch: Watch): void {
    this.host.queueRequest(this.typeUrl);
    this.offerCached(watch);
  }

  // ---- the cache ------------------------------------------------------------------

  /** After an accepted update: keep what someone wants, drop what went away. */
  protected remember(added: readonly DecodedResource[], removed: Iterable<string>): void {
    for (const name of removed) this.cache.delete(name);
    for (const r of added) if (this.wantedByAny(r.name)) this.cache.set(r.name, r);
  }

  /**
   * When a request goes out, names nobody wants are dropped; until then a name given
   * up and taken again (cancel + subscribe in one tick) keeps its cached copy.
   */
  protected forgetUnwanted(): void {
    for (const name of [...this.cache.keys()]) if (!this.wantedByAny(name)) this.cache.delete(name);
  }

  private offerCached(watch: Watch): void {
    const unseen = (r: DecodedResource) => watch.wants(r.name) && !watch.known.has(r.name) && this.cache.get(r.name) === r;
    if (![...this.cache.values()].some(unseen)) return;
    this.host.runInOrder(this.typeUrl, async () => {
      const hits = [...this.cache.values()].filter(unseen);
      if (watch.cancelled || hits.length === 0) return;
      const started = performance.now();
      try {
        await watch.callbacks.onConfigUpdate(hits, [], this.versionInfo);
      } catch (err) {
        // Nothing to NACK: the server sent this long ago and others accepted it.
        const rejection = rejectionFromCallback(this.typeUrl, err, hits);
        log.warn(`cached ${this.typeUrl} config rejected: ${rejection.message}`);
        watch.offered(hits, []);
        watch.rejected(rejection, this.failureState(rejection, this.versionInfo));
        return;
      }
      watch.applied(hits, [], this.versionInfo, performance.now() - started);
    });
  }

  /** The union of every watch's interest. */
  interest(): Interest {
    let wildcard = false;
    const names = new Set<string>();
    for (const w of this.watches) {
      wildcard ||= w.interest.wildcard;
      for (const n of w.interest.names) names.add(n);
    }
    return { wildcard, names };
  }

  wantedByAny(name: string): boolean {
    for (const w of this.watches) if (w.wants(name)) return true;
    return false;
  }

  startInitFetchTimers(): void {
    for (const w of this.watches) w.startInitFetchTimer();
  }

  connectionFailed(error?: Error): void {
    for (const w of [...this.watches]) w.connectionFailed(error);
  }

  status(): SubscriptionStatus {
    const { wildcard, names } = this.interest();
    return {
      typeUrl: this.typeUrl,
      interest: wildcard ? '*' : [...names].sort(),
      versionInfo: this.versionInfo,
      lastUpdatedMs: this.lastUpdatedMs,
      errorState: this.errorState,
    };
  }

  // ---- delivery -------------------------------------------------------------------

  /**
   * Hands each watch its part, in subscription order. A callback that throws stops
   * the delivery and rejects the whole response, as Envoy's WatchMap does; watches
   * already served keep what they applied.
   */
  protected async deliver(updates: Map<Watch, WatchUpdate>, versionInfo: string): Promise<void> {
    for (const [watch, update] of updates) {
      if (watch.cancelled) continue;
      const started = performance.now();
      try {
        await watch.callbacks.onConfigUpdate(update.added, update.removed, versionInfo);
      } catch (err) {
        // Managers may accept part of an update before refusing the rest (Envoy's CDS
        // and LDS do), so what was offered is tracked anyway: a later SotW response
        // must still report a removal of anything that might have been applied.
        watch.offered(update.added, update.removed);
        throw rejectionFromCallback(this.typeUrl, err, update.added);
      }
      watch.applied(update.added, update.removed, versionInfo, performance.now() - started);
    }
  }

  protected accepted(versionInfo: string, resourceCount: number): void {
    this.versionInfo = versionInfo;
    this.lastUpdatedMs = Date.now();
    this.errorState = undefined;
    log.debug(`gRPC config for ${this.typeUrl} accepted with ${resourceCount} resources with version ${versionInfo}`);
  }

  /** Records a rejection, tells every watch of the type; returns the NACK's error_detail. */
  protected rejected(error: RejectedUpdate, versionInfo: string): ErrorDetail {
    const state = this.failureState(error, versionInfo);
    this.errorState = state;
    log.warn(`gRPC config for ${this.typeUrl} rejected: ${error.message}`);
    for (const w of [...this.watches]) w.rejected(error, state);
    return { code: NACK_STATUS_CODE, message: truncateErrorDetail(error.message) };
  }

  private failureState(error: RejectedUpdate, versionInfo: string): UpdateFailureState {
    const now = Date.now();
    const state: UpdateFailureState = {
      last_update_attempt: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1e6 },
      details: error.message,
      version_info: versionInfo,
    };
    if (error.failedConfiguration) state.failed_configuration = error.failedConfiguration as UpdateFailureState['failed_configuration'];
    if (error.resourceName !== undefined) state.resource_name = error.resourceName;
    return state;
  }
}

export function asRejection(err: unknown): RejectedUpdate {
  if (err instanceof RejectedUpdate) return err;
  return new RejectedUpdate(err instanceof Error ? err.message : String(err));
}

function rejectionFromCallback(typeUrl: string, err: unknown, added: readonly DecodedResource[]): RejectedUpdate {
  const message = err instanceof Error ? err.message : String(err);
  if (!(err instanceof ResourceRejectedError) || err.resourceName === undefined) return new RejectedUpdate(message);
  const failed = added.find((r) => r.name === err.resourceName);
  return new RejectedUpdate(message, err.resourceName, failed ? { '@type': typeUrl, ...failed.resource } : undefined);
}
