// The Istio config indexes of a PushContext: which VirtualServices a gateway (or the
// "mesh" of sidecars) sees from a namespace, which Sidecar resource scopes a workload
// (DestinationRules: destination_rules.ts). Built once per push context;
// the rules are Istio's (see each class), so a user's config behaves as it would there.
import type { ConfigObject, SidecarSpec, VirtualServiceSpec } from '../../api/istio/types.js';
import { describe } from './describe.js';
import { resolveGatewayName } from './hosts.js';
import { normaliseExportTo, selectorMatches } from './labels.js';
import type { NamedConfig } from './types.js';

type VirtualService = NamedConfig<VirtualServiceSpec>;
type Sidecar = NamedConfig<SidecarSpec>;
type Warn = (message: string) => void;

const EMPTY: readonly never[] = Object.freeze([]);

/** The gateways a VirtualService binds to, as "ns/name" or "mesh" (no `gateways` → ["mesh"]). */
export function virtualServiceGateways(vs: ConfigObject<'VirtualService'> | VirtualService): string[] {
  const listed = vs.spec?.gateways ?? [];
  if (listed.length === 0) return ['mesh'];
  return [...new Set(listed.map((g) => resolveGatewayName(g, vs.metadata.namespace)))];
}

/**
 * Istio's VirtualService index: a VirtualService exported to '*' is public; one
 * exported to its own namespace (or '.') is private to it; other namespaces it names
 * get it as "exported". A gateway in namespace N sees N's private ones first, then
 * those exported to N, then the public ones — each group in creation (input) order.
 */
export class VirtualServiceIndex {
  private readonly publicByGateway = new Map<string, VirtualService[]>();
  private readonly privateByNsGateway = new Map<string, VirtualService[]>();
  private readonly exportedByNsGateway = new Map<string, VirtualService[]>();
  private readonly memo = new Map<string, readonly VirtualService[]>();

  constructor(virtualServices: readonly VirtualService[]) {
    for (const vs of virtualServices) {
      const ns = vs.metadata.namespace;
      const gateways = virtualServiceGateways(vs);
      const exportTo = normaliseExportTo(vs.spec?.exportTo, ns);
      if (exportTo[0] === '~') continue;
      for (const gw of gateways) {
        if (exportTo.includes('*')) {
          add(this.publicByGateway, gw, vs);
          continue;
        }
        for (const target of exportTo) {
          if (target === ns) add(this.privateByNsGateway, `${ns}\0${gw}`, vs);
          else add(this.exportedByNsGateway, `${target}\0${gw}`, vs);
        }
      }
    }
  }

  forGateway(gateway: string, namespace: string): readonly VirtualService[] {
    const key = `${namespace}\0${gateway}`;
    let out = this.memo.get(key);
    if (!out) {
      out = Object.freeze([
        ...(this.privateByNsGateway.get(key) ?? EMPTY),
        ...(this.exportedByNsGateway.get(key) ?? EMPTY),
        ...(this.publicByGateway.get(gateway) ?? EMPTY),
      ]);
      this.memo.set(key, out);
    }
    return out;
  }
}

/**
 * Istio's Sidecar selection: the Sidecar in the workload's namespace whose
 * workloadSelector matches it (the oldest if several do), else that namespace's
 * selector-less Sidecar, else the root namespace's selector-less one.
 */
export class SidecarIndex {
  private readonly withSelector = new Map<string, Sidecar[]>();
  private readonly defaults = new Map<string, Sidecar>();

  constructor(
    sidecars: readonly Sidecar[],
    private readonly rootNamespace: string,
    warn: Warn,
  ) {
    for (const sc of sidecars) {
      const ns = sc.metadata.namespace;
      const selector = sc.spec?.workloadSelector?.labels;
      if (selector && Object.keys(selector).length > 0) {
        add(this.withSelector, ns, sc);
      } else if (this.defaults.has(ns)) {
        warn(`${describe(sc)}: namespace ${ns} already has a Sidecar without workloadSelector (${describe(this.defaults.get(ns)!)}); ignored`);
      } else {
        this.defaults.set(ns, sc);
      }
    }
  }

  forWorkload(namespace: string, labels: Record<string, string>): Sidecar | undefined {
    const selected = this.withSelector.get(namespace)?.find((sc) => selectorMatches(sc.spec.workloadSelector?.labels, labels));
    return selected ?? this.defaults.get(namespace) ?? this.defaults.get(this.rootNamespace);
  }
}

function add<V>(map: Map<string, V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
