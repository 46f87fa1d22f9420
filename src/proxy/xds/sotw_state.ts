// State-of-the-world xDS for one type (Envoy's GrpcMuxImpl ApiState). Every request
// carries the full list of names, the last *accepted* version_info and the nonce of the
// last response seen: an ACK moves version_info forward, a NACK keeps the old one and
// adds error_detail. On a new stream the nonce is forgotten but the version is not, so
// a server that has nothing new re-sends what the proxy holds and gets an ACK.
//
// Absence means removal only for Listener and Cluster (the wildcard types), whose
// responses always carry everything; a RouteConfiguration, ClusterLoadAssignment or
// Secret missing from a response is simply not part of that response.
import { logger } from '../../common/logger.js';
import { WILDCARD_TYPES } from '../../api/xds/resource_types.js';
import { decodeSotwResources } from './decode.js';
import { asRejection, type ErrorDetail, TypeState, type WatchUpdate } from './type_state.js';
import type { Watch } from './watch.js';
import type { DiscoveryRequest, RawDiscoveryResponse } from './wire.js';

const log = logger('config');

export class SotwTypeState extends TypeState<DiscoveryRequest, RawDiscoveryResponse> {
  private nonce = '';
  private errorDetail?: ErrorDetail;
  /** What the last request on this stream said; saying it again would tell the server nothing. */
  private lastSent?: string;

  onStreamEstablished(): void {
    this.nonce = '';
    this.errorDetail = undefined;
    this.lastSent = undefined;
  }

  buildRequest(): DiscoveryRequest | undefined {
    const { wildcard, names } = this.interest();
    // An empty list means "everything" for Listener and Cluster, so a type nobody
    // watches any more is left alone rather than turned into a wildcard.
    if (this.watches.size === 0 && WILDCARD_TYPES.has(this.typeUrl)) return undefined;
    this.forgetUnwanted();
    const request: DiscoveryRequest = {
      version_info: this.versionInfo,
      // Wildcard alone is the legacy empty list every server understands; mixed with
      // names it must be spelled out.
      resource_names: wildcard ? (names.size ? ['*', ...names] : []) : [...names],
      type_url: this.typeUrl,
      response_nonce: this.nonce,
    };
    const key = JSON.stringify([request.version_info, [...request.resource_names!].sort(), request.response_nonce]);
    if (!this.errorDetail && key === this.lastSent) return undefined;
    this.lastSent = key;
    if (this.errorDetail) request.error_detail = this.errorDetail;
    this.errorDetail = undefined;
    return request;
  }

  async handleResponse(response: RawDiscoveryResponse, current: () => boolean): Promise<void> {
    if (this.watches.size === 0) {
      // Envoy's rule: an empty response for an unwatched type is accepted silently
      // (typically the server confirming an unsubscribe); resources nobody asked
      // for are answered with the old version, so they count as not taken.
      if (!current()) return;
      this.nonce = response.nonce;
      if (response.resources.length === 0) this.versionInfo = response.version_info;
      else {
        log.warn(`Ignoring unwatched type URL ${this.typeUrl}`);
        this.host.queueRequest(this.typeUrl);
      }
      return;
    }
    let errorDetail: ErrorDetail | undefined;
    try {
      const decoded = decodeSotwResources(this.typeUrl, response.resources);
      const present = new Set(decoded.map((r) => r.name));
      const removalByAbsence = WILDCARD_TYPES.has(this.typeUrl);
      const updates = new Map<Watch, WatchUpdate>();
      for (const watch of this.watches) {
        const added = decoded.filter((r) => watch.wants(r.name));
        const removed = removalByAbsence ? [...watch.known].filter((n) => !present.has(n)) : [];
        // A wildcard watch hears every response (so an empty one counts as update_empty).
        if (added.length || removed.length || watch.interest.wildcard) updates.set(watch, { added, removed });
      }
      await this.deliver(updates, response.version_info);
      this.remember(decoded, removalByAbsence ? [...this.cache.keys()].filter((n) => !present.has(n)) : []);
      this.accepted(response.version_info, decoded.length);
    } catch (err) {
      errorDetail = this.rejected(asRejection(err), response.version_info);
    }
    if (!current()) return; // the nonce belonged to a stream that is gone
    this.nonce = response.nonce;
    this.errorDetail = errorDetail;
    this.host.queueRequest(this.typeUrl);
  }
}
