// Incremental (delta) xDS for one type (Envoy's DeltaSubscriptionState). Requests carry
// only changes of interest — names to subscribe and unsubscribe, "*" for the wildcard —
// worked out at send time against what this stream has already been told, so any
// sequence of interest changes collapses into one correct diff. The first request of a
// stream re-subscribes everything and lists the versions held in
// `initial_resource_versions`, so the server sends only what changed while away.
import { decodeDeltaResources } from './decode.js';
import { asRejection, type ErrorDetail, TypeState, type WatchUpdate } from './type_state.js';
import type { Watch } from './watch.js';
import type { DeltaDiscoveryRequest, RawDeltaDiscoveryResponse } from './wire.js';

const WILDCARD = '*';

export class DeltaTypeState extends TypeState<DeltaDiscoveryRequest, RawDeltaDiscoveryResponse> {
  /** Versions of the resources held (delivered and wanted). */
  private readonly versions = new Map<string, string>();
  /** Names this stream's server has been told about (with '*' for the wildcard). */
  private told = new Set<string>();
  private firstOnStream = true;
  private ack?: { nonce: string; errorDetail?: ErrorDetail };

  onStreamEstablished(): void {
    this.told = new Set();
    this.firstOnStream = true;
    this.ack = undefined;
  }

  private wanted(): Set<string> {
    const { wildcard, names } = this.interest();
    return wildcard ? new Set([WILDCARD, ...names]) : new Set(names);
  }

  buildRequest(): DeltaDiscoveryRequest | undefined {
    const wanted = this.wanted();
    const subscribe = [...wanted].filter((n) => !this.told.has(n));
    const unsubscribe = this.firstOnStream ? [] : [...this.told].filter((n) => !wanted.has(n));
    if (!this.ack && subscribe.length === 0 && unsubscribe.length === 0) return undefined;
    for (const name of [...this.versions.keys()]) if (!this.wantedByAny(name)) this.versions.delete(name);
    this.forgetUnwanted();
    const request: DeltaDiscoveryRequest = { type_url: this.typeUrl };
    if (subscribe.length) request.resource_names_subscribe = subscribe;
    if (unsubscribe.length) request.resource_names_unsubscribe = unsubscribe;
    if (this.firstOnStream && this.versions.size) request.initial_resource_versions = Object.fromEntries(this.versions);
    if (this.ack) {
      request.response_nonce = this.ack.nonce;
      if (this.ack.errorDetail) request.error_detail = this.ack.errorDetail;
    }
    this.told = wanted;
    this.firstOnStream = false;
    this.ack = undefined;
    return request;
  }

  async handleResponse(response: RawDeltaDiscoveryResponse, current: () => boolean): Promise<void> {
    let errorDetail: ErrorDetail | undefined;
    try {
      const decoded = decodeDeltaResources(this.typeUrl, response.resources, response.removed_resources);
      const updates = new Map<Watch, WatchUpdate>();
      for (const watch of this.watches) {
        const added = decoded.filter((r) => watch.wants(r.name));
        const removed = response.removed_resources.filter((n) => watch.wants(n) || watch.known.has(n));
        if (added.length || removed.length) updates.set(watch, { added, removed });
      }
      await this.deliver(updates, response.system_version_info);
      for (const r of decoded) if (this.wantedByAny(r.name)) this.versions.set(r.name, r.version ?? '');
      for (const name of response.removed_resources) this.versions.delete(name);
      this.remember(decoded, response.removed_resources);
      this.accepted(response.system_version_info, decoded.length);
    } catch (err) {
      errorDetail = this.rejected(asRejection(err), response.system_version_info);
    }
    if (!current()) return;
    this.ack = { nonce: response.nonce, errorDetail };
    this.host.queueRequest(this.typeUrl);
  }

  override status() {
    return { ...super.status(), resourceVersions: Object.fromEntries([...this.versions].sort(([a], [b]) => a.localeCompare(b))) };
  }
}
