// Work shared by the translations of one push (istiod's per-push caches). Builders stay
// pure: a TranslationMemo only remembers what a builder returned for inputs that
// determine it, so buildProxyResources gives the same output with or without one.
//
// What is shared, and why the key is enough:
//   - a service's outbound clusters: built from the service, the DestinationRule the
//     proxy's lookup gives for it, the mesh config and the capabilities — nothing else
//     of the proxy. (A rule with credentialName is the exception: its SDS secrets come
//     from the proxy's namespace and join the proxy's secrets, so it is not shared.)
//   - a ClusterLoadAssignment: from its EdsCluster (shared with the clusters) and the
//     endpoints, plus the proxy's locality only when locality load balancing applies.
// Warnings a shared part produced are replayed into each proxy that reuses it, so each
// proxy still reports exactly the warnings its own translation would.
import type { ConfigObject, DestinationRuleSpec } from '../../api/istio/types.js';
import type { EndpointChanges } from '../model/endpoint_changes.js';
import type { NamedConfig, Proxy, ProxyResources, PushContext, Service, Workload } from '../model/types.js';
import { endpointKey } from '../registry/types.js';
import { buildOutboundClusters, edsAssignment, type EdsCluster, type OutboundClusters } from './clusters.js';
import { TranslateContext, type TranslateOptions } from './context.js';
import type { Json } from './envoy.js';

type Owner = Pick<ConfigObject, 'kind' | 'metadata' | 'source'> | undefined;
type Warnings = readonly (readonly [Owner, string])[];

/** The EDS clusters a proxy's ClusterLoadAssignments were built from: enough to rebuild any of them. */
export interface EndpointPlan {
  readonly clusters: readonly EdsCluster[];
}

interface SharedClusters extends OutboundClusters {
  warnings: Warnings;
}

export class TranslationMemo {
  private readonly clusters = new Map<string, SharedClusters>();
  private readonly assignments = new WeakMap<EdsCluster, Map<string, Json>>();
  private readonly plans = new WeakMap<ProxyResources, EndpointPlan>();
  private readonly ids = new WeakMap<object, number>();
  private readonly secretReaders = new WeakMap<object, boolean>();
  private workloadIndex: Map<string, number> | undefined;
  private nextId = 1;

  /** `options` apply to every translation using this memo. */
  constructor(
    readonly push: PushContext,
    readonly options: TranslateOptions = {},
  ) {}

  /** The plan behind `resources`, when they were built with this memo. */
  endpointPlan(resources: ProxyResources): EndpointPlan | undefined {
    return this.plans.get(resources);
  }

  /** @internal buildProxyResources records each result's plan. */
  recordPlan(resources: ProxyResources, clusters: readonly EdsCluster[]): void {
    this.plans.set(resources, { clusters });
  }

  /** The first workload (in push order) at one of `ips`: what translation reads for a proxy's locality and named ports. */
  workloadAt(ips: readonly string[]): Workload | undefined {
    const all = this.push.workloads();
    if (!this.workloadIndex) {
      this.workloadIndex = new Map();
      all.forEach((w, i) => {
        if (!this.workloadIndex!.has(w.address)) this.workloadIndex!.set(w.address, i);
      });
    }
    let first: number | undefined;
    for (const ip of ips) {
      const i = this.workloadIndex.get(ip);
      if (i !== undefined && (first === undefined || i < first)) first = i;
    }
    return first === undefined ? undefined : all[first];
  }

  /** @internal */
  sharedClusters(ctx: MemoContext, svc: Service, dr: NamedConfig<DestinationRuleSpec> | undefined): OutboundClusters {
    if (dr && this.readsSecrets(dr)) return buildOutboundClusters(ctx, [svc]);
    const key = `${svc.namespace}/${svc.hostname}|${svc.ports.map((p) => p.port).join(',')}|${this.idOf(dr)}|${ctx.capabilitiesKey}`;
    let shared = this.clusters.get(key);
    if (shared) ctx.replay(shared.warnings);
    else {
      const { value, warnings } = ctx.record(() => buildOutboundClusters(ctx, [svc]));
      this.clusters.set(key, (shared = { ...value, warnings }));
    }
    return shared;
  }

  /** @internal */
  sharedAssignment(ctx: MemoContext, eds: EdsCluster): Json {
    const key = eds.localityLb ? ctx.proxyLocality() : '';
    let byLocality = this.assignments.get(eds);
    if (!byLocality) this.assignments.set(eds, (byLocality = new Map()));
    let cla = byLocality.get(key);
    if (!cla) byLocality.set(key, (cla = edsAssignment(ctx, eds)));
    return cla;
  }

  private idOf(obj: object | undefined): number {
    if (!obj) return 0;
    let id = this.ids.get(obj);
    if (id === undefined) this.ids.set(obj, (id = this.nextId++));
    return id;
  }

  /** Whether a DestinationRule's clusters take certificates from Secrets (TLS credentialName anywhere in it). */
  private readsSecrets(dr: NamedConfig<DestinationRuleSpec>): boolean {
    let reads = this.secretReaders.get(dr);
    if (reads === undefined) this.secretReaders.set(dr, (reads = JSON.stringify(dr.spec ?? {}).includes('"credentialName"')));
    return reads;
  }
}

/** A TranslateContext that can record the warnings a shared part produces, and replay them. */
export class MemoContext extends TranslateContext {
  readonly capabilitiesKey: string;
  private recording: [Owner, string][] | undefined;
  private locality: string | undefined;

  constructor(
    push: PushContext,
    proxy: Proxy,
    readonly memo: TranslationMemo,
  ) {
    super(push, proxy, memo.options);
    this.capabilitiesKey = JSON.stringify(this.capabilities);
  }

  override warn(obj: Owner, message: string): void {
    super.warn(obj, message);
    this.recording?.push([obj, message]);
  }

  /** The same answer every time (it depends on the proxy and push only); computed once per proxy. */
  override proxyLocality(): string {
    return (this.locality ??= super.proxyLocality());
  }

  record<T>(fn: () => T): { value: T; warnings: Warnings } {
    const outer = this.recording;
    const mine: [Owner, string][] = [];
    this.recording = mine;
    try {
      return { value: fn(), warnings: mine };
    } finally {
      this.recording = outer;
      outer?.push(...mine);
    }
  }

  replay(warnings: Warnings): void {
    for (const [obj, message] of warnings) this.warn(obj, message);
  }
}

/** buildOutboundClusters, each service's part shared between the proxies that get the same one. */
export function sharedOutboundClusters(ctx: MemoContext, services: readonly Service[]): OutboundClusters {
  const out: OutboundClusters = { clusters: [], eds: [] };
  for (const svc of services) {
    const part = ctx.memo.sharedClusters(ctx, svc, ctx.destinationRule(svc.hostname));
    out.clusters.push(...part.clusters);
    out.eds.push(...part.eds);
  }
  return out;
}

/**
 * A key equal for two proxies exactly when translation gives them the same resources,
 * for proxies whose config can be shared whole: gateways (every replica of a gateway
 * Deployment). It holds everything gateway translation reads from a proxy — type,
 * namespace, labels, locality, and the workload at its IPs (locality, named ports);
 * translation warnings that name the proxy itself are the caller's to tell apart.
 * Undefined for sidecars: their listeners are the pod's own.
 */
export function sharedTranslationKey(memo: TranslationMemo, proxy: Proxy): string | undefined {
  if (proxy.type !== 'router') return undefined;
  const w = memo.workloadAt(proxy.ipAddresses);
  return JSON.stringify([proxy.type, proxy.namespace, sorted(proxy.labels), proxy.locality ?? null, w ? [w.locality, sorted(w.namedPorts)] : null]);
}

function sorted<V>(record: Record<string, V>): [string, V][] {
  return Object.entries(record).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * Whether translation puts the endpoints of these changes only into
 * ClusterLoadAssignments. DNS clusters (ServiceEntry resolution DNS, ExternalName)
 * carry theirs inline, in the cluster itself.
 */
export function endpointsOnlyInEds(push: PushContext, changes: EndpointChanges): boolean {
  return !push.services().some((s) => changes.hostnames.has(s.hostname) && (s.resolution === 'DNSLB' || s.resolution === 'DNSRoundRobinLB'));
}

/**
 * The ClusterLoadAssignments of `plan` whose service port changed, built against
 * memo.push exactly as a full translation would build them. Valid when nothing but
 * endpoints changed since the plan was made and the proxy's own address is not among
 * `changes.addresses` (else its listeners or locality may have changed too).
 */
export function rebuildAssignments(memo: TranslationMemo, proxy: Proxy, plan: EndpointPlan, changes: EndpointChanges): Json[] {
  let ctx: MemoContext | undefined;
  const out: Json[] = [];
  for (const eds of plan.clusters) {
    if (!changes.hostnames.has(eds.service.hostname) || !changes.keys.has(endpointKey(eds.service.hostname, eds.port.port))) continue;
    ctx ??= new MemoContext(memo.push, proxy, memo);
    out.push(memo.sharedAssignment(ctx, eds));
  }
  return out;
}
