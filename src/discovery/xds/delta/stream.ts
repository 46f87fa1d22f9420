// Incremental (delta) xDS over one gRPC stream. Per type the stream keeps the
// subscription and the version of every resource the client holds (seeded from
// initial_resource_versions on the first request, so a reconnecting client is not
// sent what it already has). Subscription changes are themselves deltas, so unlike
// SotW no request is ever ignored; only ACK/NACK bookkeeping requires the latest
// nonce. Versions are recorded as sent, which is also why a NACKed version is not
// sent again: the client gets the resource next when its version changes.
import type { XdsTypeUrl } from '../../../api/xds/resource_types.js';
import { Subscription } from '../cache/subscription.js';
import type { Snapshot } from '../cache/snapshot.js';
import type { CancelWatch, DeltaResponse, Node } from '../cache/types.js';
import { decodeDeltaDiscoveryRequest, encodeDeltaResponse, type DeltaDiscoveryRequest } from '../codec.js';
import { XdsStream, type StreamContext, type XdsCall } from '../stream_base.js';
import type { XdsService } from '../status.js';

interface DeltaTypeState {
  subscription?: Subscription;
  readonly clientVersions: Map<string, string>;
  sent?: { version: string; nonce: string };
  /** The snapshot the last response brought the client in line with, until the subscription changes. */
  syncedWith?: Snapshot;
  cancel?: CancelWatch;
}

export class DeltaStream extends XdsStream {
  private readonly types = new Map<string, DeltaTypeState>();

  constructor(call: XdsCall, ctx: StreamContext, streamId: number, service: XdsService, fixedTypeUrl?: XdsTypeUrl) {
    super(call, ctx, streamId, 'delta', service, fixedTypeUrl);
  }

  protected handle(bytes: Buffer): void {
    const request = decodeDeltaDiscoveryRequest(bytes);
    const node = this.adoptNode(request.node);
    const typeUrl = this.resolveType(request.type_url);
    this.ctx.metrics.requestReceived(typeUrl);
    let state = this.types.get(typeUrl);
    if (!state) this.types.set(typeUrl, (state = { clientVersions: new Map(Object.entries(request.initial_resource_versions ?? {})) }));

    const nonce = request.response_nonce ?? '';
    if (nonce !== '') {
      if (nonce === state.sent?.nonce) this.recordReply(typeUrl, request, state.sent);
      else this.ctx.metrics.staleNonce(typeUrl);
    }

    const subscribe = request.resource_names_subscribe ?? [];
    const unsubscribe = request.resource_names_unsubscribe ?? [];
    const previous = state.subscription;
    state.subscription = Subscription.delta(typeUrl, subscribe, unsubscribe, previous);
    if (state.subscription !== previous) state.syncedWith = undefined;
    // The client drops what it unsubscribes from; forget those so a later
    // re-subscription sends them again.
    if (unsubscribe.length || (previous?.wildcard && !state.subscription.wildcard)) {
      for (const name of state.clientVersions.keys()) if (!state.subscription.covers(name)) state.clientVersions.delete(name);
    }
    this.watch(node, typeUrl, state);
  }

  protected cancelWatches(): void {
    for (const state of this.types.values()) {
      state.cancel?.();
      state.cancel = undefined;
    }
  }

  private recordReply(typeUrl: string, request: DeltaDiscoveryRequest, sent: { version: string; nonce: string }): void {
    const error = request.error_detail;
    if (error) {
      this.status.nacked(typeUrl, sent.version, sent.nonce, error.message ?? `code ${error.code ?? 0}`);
      this.ctx.metrics.nack(typeUrl);
      this.ctx.log.warn(`${this.describe()}: NACK of ${typeUrl} version ${sent.version}: ${error.message ?? ''}`);
    } else {
      this.status.acked(typeUrl, sent.version, sent.nonce);
      this.ctx.metrics.ack(typeUrl);
    }
  }

  private watch(node: Node, typeUrl: string, state: DeltaTypeState): void {
    state.cancel?.();
    state.cancel = undefined;
    const request = { typeUrl, subscription: state.subscription!, clientVersions: state.clientVersions, first: !state.sent, basis: state.syncedWith };
    // Cancelling a watch that already answered is a no-op.
    state.cancel = this.ctx.watcher.createDeltaWatch(node, request, (response) => this.send(state, response));
  }

  private send(state: DeltaTypeState, response: DeltaResponse): void {
    state.cancel = undefined;
    if (this.isClosed) return;
    for (const r of response.resources) state.clientVersions.set(r.name, r.version);
    for (const name of response.removed) state.clientVersions.delete(name);
    state.syncedWith = response.snapshot;
    const nonce = this.nextNonce();
    const bytes = encodeDeltaResponse(response, nonce);
    state.sent = { version: response.systemVersion, nonce };
    this.status.sent(response.typeUrl, response.systemVersion, nonce, response.resources.length);
    this.write(bytes);
    this.ctx.metrics.pushed(response.typeUrl, bytes.length, response.resources.length, performance.now() - response.triggeredAt);
    this.ctx.log.debug(
      `${this.describe()}: sent ${response.typeUrl} version ${response.systemVersion} nonce ${nonce} ` +
        `(${response.resources.length} resources, ${response.removed.length} removed, ${bytes.length} bytes)`,
    );
  }
}
