// The discovery server (istiod's job): config store + registry → PushContext →
// per-proxy resources → xDS, with a debug/monitoring HTTP port.
export { DiscoveryServer } from './discovery_server.js';
export { DEFAULTS as DISCOVERY_DEFAULTS, type DiscoveryServerOptions, type PushEvent } from './options.js';
export type { SyncStatusEntry } from './debug/syncz.js';
