// What every analyzer looks things up in: services by host name (Kubernetes Services
// and ServiceEntry hosts), gateways by namespace/name, workloads with their labels,
// and Istio's rules for resolving short host and gateway names.
import type {
  ConfigObject,
  DeploymentSpec,
  DestinationRuleSpec,
  GatewaySpec,
  ServiceEntrySpec,
  ServiceSpec,
  VirtualServiceSpec,
  WorkloadEntrySpec,
} from '../../../api/istio/types.js';

export const DOMAIN_SUFFIX = 'svc.cluster.local';

export interface AnalyzedService {
  /** As found: "catalog.istioinaction.svc.cluster.local", or a ServiceEntry host (maybe "*.example.com"). */
  hostname: string;
  namespace: string;
  ports: number[];
  /** Kubernetes selector / ServiceEntry workloadSelector labels; undefined: endpoints are not selected by labels. */
  selector?: Record<string, string>;
  /** ServiceEntry inline endpoints' labels (each endpoint is a workload of its own). */
  inlineEndpoints?: Record<string, string>[];
  object: ConfigObject;
}

export interface AnalyzedWorkload {
  /** "Deployment istioinaction/webapp", "WorkloadEntry ns/name", or the default gateway's description. */
  description: string;
  namespace: string;
  labels: Record<string, string>;
}

export interface AnalyzeOptions {
  /**
   * Count the ingress gateway `skein mesh up` adds (Deployment istio-ingressgateway in
   * istio-system, labels app=istio-ingressgateway, istio=ingressgateway) unless the
   * config defines a Deployment labelled istio=ingressgateway. Default true.
   */
  defaultIngressGateway?: boolean;
}

export const DEFAULT_INGRESS_GATEWAY: AnalyzedWorkload = {
  description: 'Deployment istio-system/istio-ingressgateway (added by skein mesh up)',
  namespace: 'istio-system',
  labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' },
};

type Of<S> = ConfigObject & { spec: S };

export class AnalysisContext {
  readonly virtualServices: Of<VirtualServiceSpec>[] = [];
  readonly destinationRules: Of<DestinationRuleSpec>[] = [];
  readonly gateways = new Map<string, Of<GatewaySpec>>();
  readonly workloads: AnalyzedWorkload[] = [];
  private readonly services = new Map<string, AnalyzedService>();
  private readonly wildcardServices: AnalyzedService[] = [];

  constructor(
    readonly objects: readonly ConfigObject[],
    options: AnalyzeOptions = {},
  ) {
    for (const o of objects) {
      const ns = o.metadata.namespace;
      switch (o.kind) {
        case 'VirtualService':
          this.virtualServices.push(o as Of<VirtualServiceSpec>);
          break;
        case 'DestinationRule':
          this.destinationRules.push(o as Of<DestinationRuleSpec>);
          break;
        case 'Gateway':
          this.gateways.set(`${ns}/${o.metadata.name}`, o as Of<GatewaySpec>);
          break;
        case 'Deployment':
          this.workloads.push({ description: `Deployment ${ns}/${o.metadata.name}`, namespace: ns, labels: (o.spec as DeploymentSpec).template.metadata?.labels ?? {} });
          break;
        case 'WorkloadEntry':
          this.workloads.push({ description: `WorkloadEntry ${ns}/${o.metadata.name}`, namespace: ns, labels: { ...o.metadata.labels, ...((o.spec as WorkloadEntrySpec).labels ?? {}) } });
          break;
        case 'Service': {
          const spec = o.spec as ServiceSpec;
          this.addService({ hostname: `${o.metadata.name}.${ns}.${DOMAIN_SUFFIX}`, namespace: ns, ports: spec.ports.map((p) => p.port), selector: spec.selector, object: o });
          break;
        }
        case 'ServiceEntry': {
          const spec = o.spec as ServiceEntrySpec;
          for (const host of spec.hosts) {
            this.addService({
              hostname: host,
              namespace: ns,
              ports: (spec.ports ?? []).map((p) => p.number),
              selector: spec.workloadSelector?.labels,
              inlineEndpoints: spec.endpoints?.map((e) => e.labels ?? {}),
              object: o,
            });
          }
          break;
        }
      }
    }
    const hasOwnIngress = this.workloads.some((w) => w.labels.istio === 'ingressgateway');
    if ((options.defaultIngressGateway ?? true) && !hasOwnIngress) this.workloads.push(DEFAULT_INGRESS_GATEWAY);
  }

  private addService(s: AnalyzedService): void {
    if (s.hostname.startsWith('*')) this.wildcardServices.push(s);
    else if (!this.services.has(s.hostname)) this.services.set(s.hostname, s);
  }

  /** The service a fully qualified host names: exact first, then a ServiceEntry wildcard covering it. */
  findService(fqdn: string): AnalyzedService | undefined {
    return this.services.get(fqdn) ?? this.wildcardServices.find((s) => hostMatches(s.hostname, fqdn));
  }

  /** Workloads in `namespace` carrying all of `labels`. */
  workloadsMatching(namespace: string | undefined, labels: Record<string, string>): AnalyzedWorkload[] {
    return this.workloads.filter((w) => (namespace === undefined || w.namespace === namespace) && labelsMatch(labels, w.labels));
  }
}

/**
 * Istio's short-name rule: a host without a dot is a Kubernetes service in the
 * referring object's namespace (`catalog` in istioinaction →
 * catalog.istioinaction.svc.cluster.local); anything else is taken as written.
 */
export function resolveHost(host: string, namespace: string): string {
  if (host === '*' || host.includes('.')) return host;
  return `${host}.${namespace}.${DOMAIN_SUFFIX}`;
}

/**
 * A VirtualService's gateway reference → "namespace/name" ("mesh" stays "mesh"):
 * "ns/name", a bare name in the VirtualService's namespace, or the older
 * "name.namespace.svc.cluster.local" form.
 */
export function resolveGateway(ref: string, namespace: string): string {
  if (ref === 'mesh') return 'mesh';
  if (ref.includes('/')) return ref;
  const dot = ref.indexOf('.');
  if (dot > 0) return `${ref.slice(dot + 1).split('.')[0]}/${ref.slice(0, dot)}`;
  return `${namespace}/${ref}`;
}

/** Whether two host names can name the same host ("*" and "*.example.com" wildcards, either side). */
export function hostMatches(a: string, b: string): boolean {
  if (a === b || a === '*' || b === '*') return true;
  if (a.startsWith('*.') && b.endsWith(a.slice(1))) return true;
  if (b.startsWith('*.') && a.endsWith(b.slice(1))) return true;
  return false;
}

export function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** "app=webapp,version=v1": how Istio prints a selector. */
export function formatSelector(selector: Record<string, string>): string {
  return Object.entries(selector)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}
