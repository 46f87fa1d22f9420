import type { ConfigObject } from '../../api/istio/types.js';

/** "DestinationRule shop/catalog (rules.yaml:12)": how every warning names its object. */
export function describe(obj: ConfigObject): string {
  return `${obj.kind} ${obj.metadata.namespace}/${obj.metadata.name} (${obj.source.file}:${obj.source.line})`;
}
