// The config store: Istio and Kubernetes YAML → validated ConfigObjects (with file:line
// for every problem), loaded once or watched. See docs/config.md.
export { formatConfigIssue, describeResource, type ConfigIssue } from './issues.js';
export { parseConfigText, objectKey, type ParseResult } from './parse.js';
export { loadConfigDirs } from './load.js';
export { ConfigStore, type ConfigSnapshot, type ConfigStoreOptions } from './store.js';
export { locate, positionOf } from './positions.js';
export { CONFIG_FILE } from './files.js';
