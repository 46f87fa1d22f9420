// The control plane's model: types shared by registry, translation and the xDS
// server, the push context (an immutable indexed snapshot), proxy identity, hosts.
export type * from './types.js';
export { buildPushContext, type PushContextInput } from './push_context.js';
export { parseProxy, ProxyIdError, type XdsNode } from './proxy.js';
export { DEFAULT_MESH_CONFIG, resolveMeshConfig, domainSuffixOf } from './mesh_config.js';
export {
  DEFAULT_DOMAIN_SUFFIX,
  resolveHostname,
  hostMatches,
  hostsOverlap,
  isWildcard,
  compareHostSpecificity,
  mostSpecificMatch,
  resolveGatewayName,
} from './hosts.js';
export { selectorMatches, normaliseExportTo, visibleFrom } from './labels.js';
export { virtualServiceGateways } from './config_indexes.js';
export * from './local_addresses.js';
export { endpointChanges, type EndpointChanges } from './endpoint_changes.js';
