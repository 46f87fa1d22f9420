// State-of-the-world xDS over one gRPC stream (ADS or a per-type service). Per type:
// the subscription, what was last sent (version + nonce) and the one open watch.
// A request whose response_nonce is not the latest sent for its type is stale and
// ignored entirely (the client will answer the newer response); one with the latest
// nonce ACKs it, or NACKs it when error_detail is set. Either way the stream then
// opens a new watch, so the next version goes out only after the previous one was
// answered.
import type { XdsTypeUrl } from '../../../api/xds/resource_types.js';
import { Subscription } from '../cache/subscription.js';
import type { CancelWatch, Node, SotwResponse } from '../cache/types.js';
import { decodeDiscoveryRequest, encodeSotwResponse, sotwResourceCount, type DiscoveryRequest } from '../codec.js';
import { XdsStream, type StreamContext, type XdsCall } from '../stream_base.js';
import type { XdsService } from '../status.js';

interface SotwTypeState {
  subscription?: Subscription;
  sent?: { version: string; nonce: string; subscriptionKey: string };
  cancel?: CancelWatch;
}

export class SotwStream extends XdsStream {
  private readonly types = new Map<string, SotwTypeState>();

  constructor(call: XdsCall, ctx: StreamContext, streamId: number, service: XdsService, fixedTypeUrl?: XdsTypeUrl) {
    super(call, ctx, streamId, 'sotw', service, fixedTypeUrl);
  }

  protected handle(bytes: Buffer): void {
    const request = decodeDiscoveryRequest(bytes);
    const node = this.adoptNode(request.node);
    const typeUrl = this.resolveType(request.type_url);
    this.ctx.metrics.requestReceived(typeUrl);
    let state = this.types.get(typeUrl);
    if (!state) this.types.set(typeUrl, (state = {}));

    const nonce = request.response_nonce ?? '';
    if (nonce !== '') {
      if (nonce !== state.sent?.nonce) {
        this.ctx.metrics.staleNonce(typeUrl);
        this.ctx.log.debug(`${this.describe()}: ignoring ${typeUrl} request with stale nonce ${nonce} (latest ${state.sent?.nonce ?? 'none'})`);
        return;
      }
      this.recordReply(typeUrl, request, nonce);
    } else if (state.sent) {
      // No nonce after we already answered: the client starts this type over (as after
      // losing its state), so it gets a full answer rather than waiting for a change.
      state.sent = undefined;
    }

    state.subscription = Subscription.sotw(typeUrl, request.resource_names ?? [], state.subscription);
    this.watch(node, typeUrl, state);
  }

  protected cancelWatches(): void {
    for (const state of this.types.values()) {
      state.cancel?.();
      state.cancel = undefined;
    }
  }

  private recordReply(typeUrl: string, request: DiscoveryRequest, nonce: string): void {
    const error = request.error_detail;
    if (error) {
      // NACK: version_info is the version the client still runs, not the rejected one.
      const rejected = this.types.get(typeUrl)?.sent?.version ?? '';
      this.status.nacked(typeUrl, rejected, nonce, error.message ?? `code ${error.code ?? 0}`);
      this.ctx.metrics.nack(typeUrl);
      this.ctx.log.warn(`${this.describe()}: NACK of ${typeUrl} version ${rejected}: ${error.message ?? ''}`);
    } else {
      this.status.acked(typeUrl, request.version_info ?? '', nonce);
      this.ctx.metrics.ack(typeUrl);
    }
  }

  private watch(node: Node, typeUrl: string, state: SotwTypeState): void {
    state.cancel?.();
    state.cancel = undefined;
    const subscription = state.subscription!;
    const sent = state.sent && { version: state.sent.version, subscriptionKey: state.sent.subscriptionKey };
    // Cancelling a watch that already answered is a no-op, so keeping the handle of
    // one answered synchronously is harmless.
    state.cancel = this.ctx.watcher.createWatch(node, { typeUrl, subscription, sent }, (response) => this.send(state, response));
  }

  private send(state: SotwTypeState, response: SotwResponse): void {
    state.cancel = undefined;
    if (this.isClosed) return;
    const nonce = this.nextNonce();
    const bytes = encodeSotwResponse(response, nonce);
    const count = sotwResourceCount(response);
    state.sent = { version: response.version, nonce, subscriptionKey: response.subscription.key };
    this.status.sent(response.typeUrl, response.version, nonce, count);
    this.write(bytes);
    this.ctx.metrics.pushed(response.typeUrl, bytes.length, count, performance.now() - response.triggeredAt);
    this.ctx.log.debug(`${this.describe()}: sent ${response.typeUrl} version ${response.version} nonce ${nonce} (${count} resources, ${bytes.length} bytes)`);
  }
}
