// The service registry: Kubernetes Services (+ EndpointSlices / Endpoints / local pods)
// and ServiceEntries (+ WorkloadEntries) → Istio's service model.
export type { LocalPod, Registry } from './types.js';
export { endpointKey } from './types.js';
export { buildRegistry, type RegistryInput } from './registry.js';
export { parseProtocol, servicePortProtocol, declaredPortProtocol } from './protocol.js';
export { assignLocalIndexes, localIndexesOf, localIndexKey } from './local_index.js';
export { EXPORT_TO_ANNOTATION } from './kubernetes.js';
