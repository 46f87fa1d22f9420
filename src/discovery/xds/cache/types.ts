// The cache boundary (go-control-plane's ConfigWatcher): the xDS server describes
// what a stream has and wants, the cache answers with resources when there is
// something to send, now or when a later snapshot arrives. The server never builds
// resources, and the cache never touches a gRPC stream.
import type { envoy } from '../../../api/envoy-types.generated.js';
import type { CachedResource, Snapshot } from './snapshot.js';
import type { Subscription } from './subscription.js';

export type Node = envoy.config.core.v3.Node;

/** Stops a watch; a no-op once the watch has answered. */
export type CancelWatch = () => void;

/** A SotW stream's state for one type, as the cache needs it. */
export interface SotwWatchRequest {
  readonly typeUrl: string;
  readonly subscription: Subscription;
  /** What this stream last sent for the type (undefined: nothing yet). */
  readonly sent?: { readonly version: string; readonly subscriptionKey: string };
}

export interface SotwResponse {
  readonly typeUrl: string;
  /** version_info: the snapshot's version of the type. */
  readonly version: string;
  readonly snapshot: Snapshot;
  readonly subscription: Subscription;
  /** performance.now() when the cause (request or snapshot) reached the cache. */
  readonly triggeredAt: number;
}

/** A delta stream's state for one type. */
export interface DeltaWatchRequest {
  readonly typeUrl: string;
  readonly subscription: Subscription;
  /** name → version of every resource the client holds, as far as the server knows. */
  readonly clientVersions: ReadonlyMap<string, string>;
  /** Nothing sent for this type on the stream yet (a wildcard answers even when empty). */
  readonly first: boolean;
  /**
   * A snapshot the client is known to be in sync with for this subscription (the one
   * the stream's last response was computed from), letting the cache compare only
   * what changed since instead of every resource.
   */
  readonly basis?: Snapshot;
}

export interface DeltaResponse {
  readonly typeUrl: string;
  /** system_version_info: the snapshot's version of the type. */
  readonly systemVersion: string;
  /** New or changed resources. */
  readonly resources: readonly CachedResource[];
  /** Names the client holds that no longer exist. */
  readonly removed: readonly string[];
  /** The snapshot the answer was computed from; afterwards the client is in sync with it. */
  readonly snapshot: Snapshot;
  readonly triggeredAt: number;
}

export interface ConfigWatcher {
  createWatch(node: Node, request: SotwWatchRequest, respond: (response: SotwResponse) => void): CancelWatch;
  createDeltaWatch(node: Node, request: DeltaWatchRequest, respond: (response: DeltaResponse) => void): CancelWatch;
  /** The current answer for a unary Fetch, or undefined when there is nothing newer than `request.sent`. */
  fetch?(node: Node, request: SotwWatchRequest): SotwResponse | undefined;
}
