// The contract between the xDS client engine and the managers it feeds (listeners,
// clusters, routes, endpoints, secrets). The engine owns the protocol — streams, nonces,
// ACK/NACK, decoding and validation — so a manager only ever sees resources that
// decoded and passed protoc-gen-validate, and only ever answers "applied" or "rejected"
// (by throwing). Both SotW and delta updates reach callbacks in the delta shape
// (added + removed), so managers need one code path.
import type { envoy } from '../../api/envoy-types.generated.js';
import type { StatsScope } from '../stats/store.js';

export interface DecodedResource {
  name: string;
  /** The resource's own version (delta xDS only). */
  version?: string;
  /** In-memory message (proto field names), validated, without '@type'. */
  resource: Record<string, unknown>;
}

export type UpdateFailureReason = 'ConnectionFailure' | 'FetchTimedOut' | 'UpdateRejected';

export interface SubscriptionCallbacks {
  /** Apply an update. Throw to reject it: the error message becomes the NACK's error_detail. */
  onConfigUpdate(added: DecodedResource[], removed: string[], versionInfo: string): void | Promise<void>;
  onConfigUpdateFailed(reason: UpdateFailureReason, error?: Error): void;
}

export interface Subscription {
  updateResourceInterest(names: readonly string[]): void;
  cancel(): void;
}

/** Resource names a subscription asks for; '*' (alone or inside a list) is the wildcard. */
export type ResourceInterest = readonly string[] | '*';

export interface SubscribeOptions {
  /** Envoy's `initial_fetch_timeout`; 0 or absent disables it. */
  initialFetchTimeoutMs?: number;
  /** Scope for the subscription's stats, e.g. `cluster_manager.cds.` or `cluster.<name>.`. */
  stats?: StatsScope;
}

/**
 * Throw this from onConfigUpdate to name the resource that failed: its config then
 * appears as `failed_configuration` of the error state shown by config_dump.
 */
export class ResourceRejectedError extends Error {
  constructor(
    message: string,
    readonly resourceName?: string,
  ) {
    super(message);
    this.name = 'ResourceRejectedError';
  }
}

/** The last rejected update, in envoy.admin.v3.UpdateFailureState's in-memory shape. */
export type UpdateFailureState = envoy.admin.v3.UpdateFailureState & {
  /** The resource whose config failed, when the failure is known to be about one. */
  resource_name?: string;
};

/** What config_dump needs to know about a subscription (or a whole type). */
export interface SubscriptionStatus {
  typeUrl: string;
  /** Names asked for; '*' when the subscription is a wildcard. */
  interest: readonly string[] | '*';
  /** version_info of the last accepted update ('' before the first). */
  versionInfo: string;
  /** When the last update was accepted (ms since the epoch). */
  lastUpdatedMs?: number;
  /** The last rejection since the last accepted update. */
  errorState?: UpdateFailureState;
  /** Delta only: the version of each resource held. */
  resourceVersions?: Record<string, string>;
}

export type XdsTransport = 'sotw' | 'delta';

export interface XdsAddress {
  host: string;
  port: number;
}

export interface BackoffOptions {
  /** First retry delay upper bound (Envoy: 500 ms). */
  baseMs: number;
  /** Cap on the delay (Envoy: 30 s). */
  maxMs: number;
}

/** Envoy's `rate_limit_settings`: a token bucket on outgoing discovery requests. */
export interface RateLimitOptions {
  maxTokens: number;
  fillRatePerSecond: number;
}
