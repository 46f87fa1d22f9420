// buildPushContext: config objects + local pods → one immutable, indexed snapshot
// (Istio's PushContext). Every index is computed here, once; the getters only look
// things up (a few memoise per-namespace answers on first use), so translation can
// call them per proxy without cost.
import type { ConfigObject, DestinationRuleSpec, GatewaySpec, Kind, SidecarSpec, VirtualServiceSpec } from '../../api/istio/types.js';
import { buildRegistry } from '../registry/registry.js';
import { localIndexesOf } from '../registry/local_index.js';
import { endpointKey, type LocalPod, type Registry } from '../registry/types.js';
import { SidecarIndex, VirtualServiceIndex } from './config_indexes.js';
import { describe } from './describe.js';
import { DestinationRuleIndex } from './destination_rules.js';
import { selectorMatches, visibleFrom } from './labels.js';
import { domainSuffixOf, resolveMeshConfig } from './mesh_config.js';
import type { Endpoint, MeshConfig, NamedConfig, PushContext, Service, Workload } from './types.js';
import { pushVersions } from './version.js';

export interface PushContextInput {
  objects: readonly ConfigObject[];
  /** The local mesh's pods (`skein mesh up`); none for a plain discovery server. */
  pods?: readonly LocalPod[];
  meshConfig?: Partial<MeshConfig>;
  /** The previous snapshot: services keep their localIndex across builds. */
  previous?: PushContext;
}

const EMPTY: readonly never[] = Object.freeze([]);

export function buildPushContext(input: PushContextInput): PushContext {
  return new IndexedPushContext(input);
}

class IndexedPushContext implements PushContext {
  readonly version: string;
  readonly configVersion: string;
  readonly meshConfig: MeshConfig;
  readonly warnings: readonly string[];

  private readonly registry: Registry;
  private readonly byKind = new Map<Kind, ConfigObject[]>();
  private readonly servicesByHost = new Map<string, Service[]>();
  /** Services with a non-empty selector, by namespace (inbound lookups). */
  private readonly selectingByNamespace = new Map<string, Service[]>();
  private readonly visibleMemo = new Map<string, readonly Service[]>();
  private readonly gatewaysByName = new Map<string, NamedConfig<GatewaySpec>>();
  private readonly gatewaysMemo = new Map<string, readonly NamedConfig<GatewaySpec>[]>();
  private readonly secrets = new Map<string, ConfigObject<'Secret'>>();
  private readonly nsLabels = new Map<string, Record<string, string>>();
  private readonly vsIndex: VirtualServiceIndex;
  private readonly drIndex: DestinationRuleIndex;
  private readonly sidecarIndex: SidecarIndex;

  constructor(input: PushContextInput) {
    this.meshConfig = Object.freeze(resolveMeshConfig(input.meshConfig));
    const warnings: string[] = [];
    const warn = (m: string): void => void warnings.push(m);
    const objects = (input.objects ?? []).filter((o) => isWellFormed(o, warn));

    for (const obj of objects) {
      const list = this.byKind.get(obj.kind);
      if (list) list.push(obj);
      else this.byKind.set(obj.kind, [obj]);
    }

    this.registry = buildRegistry({
      objects,
      pods: input.pods ?? [],
      domainSuffix: domainSuffixOf(this.meshConfig),
      previousLocalIndexes: input.previous ? localIndexesOf(input.previous.services()) : undefined,
    });
    warnings.push(...this.registry.warnings);
    for (const svc of this.registry.services) Object.freeze(svc);
    Object.freeze(this.registry.services);
    for (const list of this.registry.endpoints.values()) Object.freeze(list);

    // Kubernetes services before ServiceEntries for the same host: Istio prefers them.
    for (const svc of this.registry.services) {
      const list = this.servicesByHost.get(svc.hostname) ?? [];
      list.push(svc);
      this.servicesByHost.set(svc.hostname, list);
      if (svc.selector && Object.keys(svc.selector).length > 0) {
        const byNs = this.selectingByNamespace.get(svc.namespace) ?? [];
        byNs.push(svc);
        this.selectingByNamespace.set(svc.namespace, byNs);
      }
    }
    for (const list of this.servicesByHost.values()) {
      list.sort((a, b) => (a.origin === b.origin ? 0 : a.origin === 'Kubernetes' ? -1 : 1));
    }

    for (const gw of this.configs('Gateway')) {
      const key = `${gw.metadata.namespace}/${gw.metadata.name}`;
      if (this.gatewaysByName.has(key)) warn(`${describe(gw)}: Gateway ${key} is defined twice; the first one applies`);
      else this.gatewaysByName.set(key, gw as NamedConfig<GatewaySpec>);
    }
    for (const s of this.configs('Secret')) this.secrets.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
    for (const ns of this.configs('Namespace')) this.nsLabels.set(ns.metadata.name, ns.metadata.labels ?? {});

    const root = this.meshConfig.rootNamespace;
    this.vsIndex = new VirtualServiceIndex(this.virtualServices());
    this.drIndex = new DestinationRuleIndex(
      this.configs('DestinationRule') as NamedConfig<DestinationRuleSpec>[],
      root,
      domainSuffixOf(this.meshConfig),
      warn,
    );
    this.sidecarIndex = new SidecarIndex(this.configs('Sidecar') as NamedConfig<SidecarSpec>[], root, warn);

    this.warnings = Object.freeze(warnings);
    const versions = pushVersions({
      meshConfig: this.meshConfig,
      objects,
      services: this.registry.services,
      endpoints: [...this.registry.endpoints.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      workloads: this.registry.workloads,
    });
    this.version = versions.version;
    this.configVersion = versions.configVersion;
  }

  configs<K extends Kind>(kind: K): readonly ConfigObject<K>[] {
    return (this.byKind.get(kind) as ConfigObject<K>[] | undefined) ?? EMPTY;
  }

  services(): readonly Service[] {
    return this.registry.services;
  }

  serviceByHostname(hostname: string, namespace?: string): Service | undefined {
    const candidates = this.servicesByHost.get(hostname);
    if (!candidates) return undefined;
    if (namespace === undefined) return candidates[0];
    const visible = candidates.filter((s) => visibleFrom(s.exportTo, namespace));
    return visible.find((s) => s.namespace === namespace) ?? visible[0];
  }

  servicesVisibleFrom(namespace: string): readonly Service[] {
    let out = this.visibleMemo.get(namespace);
    if (!out) {
      // One service per hostname: the namespace's own, else the first visible one.
      out = Object.freeze(
        [...this.servicesByHost.keys()]
          .sort()
          .map((host) => this.serviceByHostname(host, namespace))
          .filter((s): s is Service => s !== undefined),
      );
      this.visibleMemo.set(namespace, out);
    }
    return out;
  }

  endpoints(hostname: string, servicePort: number): readonly Endpoint[] {
    return this.registry.endpoints.get(endpointKey(hostname, servicePort)) ?? EMPTY;
  }

  workloads(): readonly Workload[] {
    return this.registry.workloads;
  }

  servicesForWorkload(namespace: string, labels: Record<string, string>): readonly Service[] {
    return (this.selectingByNamespace.get(namespace) ?? EMPTY).filter((s) => selectorMatches(s.selector, labels));
  }

  namespaceLabels(namespace: string): Record<string, string> {
    return this.nsLabels.get(namespace) ?? {};
  }

  gateways(): readonly NamedConfig<GatewaySpec>[] {
    return this.configs('Gateway') as readonly NamedConfig<GatewaySpec>[];
  }

  gatewayByName(ref: string): NamedConfig<GatewaySpec> | undefined {
    return this.gatewaysByName.get(ref);
  }

  gatewaysForLabels(labels: Record<string, string>): readonly NamedConfig<GatewaySpec>[] {
    const key = Object.keys(labels)
      .sort()
      .map((k) => `${k}=${labels[k]}`)
      .join('\0');
    let out = this.gatewaysMemo.get(key);
    if (!out) {
      out = Object.freeze([...this.gatewaysByName.values()].filter((gw) => selectorMatches(gw.spec?.selector, labels)));
      this.gatewaysMemo.set(key, out);
    }
    return out;
  }

  virtualServices(): readonly NamedConfig<VirtualServiceSpec>[] {
    return this.configs('VirtualService') as readonly NamedConfig<VirtualServiceSpec>[];
  }

  virtualServicesFor(gateway: string, namespace: string): readonly NamedConfig<VirtualServiceSpec>[] {
    return this.vsIndex.forGateway(gateway, namespace);
  }

  destinationRule(namespace: string, hostname: string, labels?: Record<string, string>): NamedConfig<DestinationRuleSpec> | undefined {
    const svcNamespace = this.serviceByHostname(hostname, namespace)?.namespace;
    return this.drIndex.lookup(namespace, hostname, svcNamespace, labels);
  }

  sidecarFor(namespace: string, labels: Record<string, string>): NamedConfig<SidecarSpec> | undefined {
    return this.sidecarIndex.forWorkload(namespace, labels);
  }

  secret(namespace: string, name: string): ConfigObject<'Secret'> | undefined {
    return this.secrets.get(`${namespace}/${name}`);
  }
}

/** The config store validates objects; this only guards the shape every index relies on. */
function isWellFormed(obj: ConfigObject, warn: (m: string) => void): boolean {
  const meta = obj?.metadata;
  if (!obj || typeof obj.kind !== 'string' || !meta || typeof meta.name !== 'string' || meta.name === '') {
    const where = obj?.source ? ` (${obj.source.file}:${obj.source.line})` : '';
    warn(`object${where}: missing kind or metadata.name; ignored`);
    return false;
  }
  return true;
}
