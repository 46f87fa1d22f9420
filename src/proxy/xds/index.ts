// The proxy's xDS client engine. The server creates one XdsMux per control plane
// (bootstrap ads_config, or each api_config_source) and subscribes its managers.
export { XdsMux, type XdsMuxOptions, type XdsSubscription } from './grpc_mux.js';
export { type XdsTarget } from './grpc_stream.js';
export { DEFAULT_BACKOFF } from './backoff.js';
export { CONTROL_PLANE_STATS, SUBSCRIPTION_STATS, versionHash } from './stats.js';
export { DEFAULT_INITIAL_FETCH_TIMEOUT_MS, initialFetchTimeoutMs, xdsSourceKind, xdsTarget, type XdsSourceKind } from './config_source.js';
export { ADS_METHODS, perTypeMethod } from './wire.js';
export * from './types.js';
export { ConfigSourceSubscriber, rateLimitOf, type ConfigSourceSubscriberOptions } from './config_source_subscriber.js';
export type { SubscriptionRequest, XdsSubscriber } from './subscriber.js';
