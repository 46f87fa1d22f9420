// Clusters: one `outbound|PORT||HOST` per visible service port (and one per
// DestinationRule subset), the sidecar's `inbound|PORT||` clusters to its own app, and
// Istio's BlackHoleCluster / PassthroughCluster. EDS clusters get their endpoints from
// endpoints.ts; DNS clusters (ServiceEntry resolution DNS) carry them inline.
import type { DestinationRuleSpec } from '../../api/istio/types.js';
import type { Endpoint, NamedConfig, Service, ServicePort } from '../model/types.js';
import { selectorMatches } from '../model/labels.js';
import type { TranslateContext } from './context.js';
import { adsConfigSource, HTTP_PROTOCOL_OPTIONS_KEY, HTTP_PROTOCOL_OPTIONS_TYPE, socketAddress, typed, type Json } from './envoy.js';
import { buildLoadAssignment } from './endpoints.js';
import { BLACKHOLE_CLUSTER, destinationRuleConfigPath, inboundClusterName, outboundClusterName, PASSTHROUGH_CLUSTER } from './names.js';
import { applyTrafficPolicy, defaultCircuitBreakers, effectivePolicy, isHttp2Protocol, type LocalityLbSetting } from './traffic_policy.js';

/** An EDS cluster whose ClusterLoadAssignment still has to be built. */
export interface EdsCluster {
  name: string;
  service: Service;
  port: ServicePort;
  subsetLabels?: Record<string, string>;
  localityLb?: LocalityLbSetting;
}

export interface OutboundClusters {
  clusters: Json[];
  eds: EdsCluster[];
}

/** Endpoints of a service port, narrowed to a subset's labels. */
export function subsetEndpoints(ctx: TranslateContext, service: Service, port: number, labels?: Record<string, string>): Endpoint[] {
  const all = ctx.push.endpoints(service.hostname, port);
  return labels ? all.filter((e) => selectorMatches(labels, e.labels)) : [...all];
}

/** False for services translation cannot give a cluster (ServiceEntry resolution NONE without ORIGINAL_DST support). */
export function hasOutboundCluster(ctx: TranslateContext, svc: Service): boolean {
  return !(svc.resolution === 'Passthrough' && svc.origin === 'ServiceEntry' && !ctx.capabilities.originalDstCluster);
}

/** Outbound clusters for `services`; `wanted` (gateway cluster filtering) keeps only those names. */
export function buildOutboundClusters(ctx: TranslateContext, services: readonly Service[], wanted?: ReadonlySet<string>): OutboundClusters {
  const out: OutboundClusters = { clusters: [], eds: [] };
  for (const svc of services) {
    const dr = ctx.destinationRule(svc.hostname);
    for (const port of svc.ports) {
      ctx.guard(dr, `cluster for ${svc.hostname}:${port.port}`, () => addCluster(ctx, out, svc, port, dr, undefined, wanted), undefined);
      for (const subset of Array.isArray(dr?.spec.subsets) ? dr.spec.subsets : []) {
        if (!subset?.name) continue;
        ctx.guard(dr, `subset ${subset.name} of ${svc.hostname}:${port.port}`, () => addCluster(ctx, out, svc, port, dr, subset, wanted), undefined);
      }
    }
  }
  return out;
}

type Subset = NonNullable<DestinationRuleSpec['subsets']>[number];

function addCluster(
  ctx: TranslateContext,
  out: OutboundClusters,
  svc: Service,
  port: ServicePort,
  dr: NamedConfig<DestinationRuleSpec> | undefined,
  subset: Subset | undefined,
  wanted: ReadonlySet<string> | undefined,
): void {
  const name = outboundClusterName(port.port, subset?.name, svc.hostname);
  if (wanted && !wanted.has(name)) return;
  if (!hasOutboundCluster(ctx, svc)) {
    if (!subset) ctx.warn(serviceEntryObject(ctx, svc), `resolution NONE needs ORIGINAL_DST clusters, which skein's proxy does not support yet; no cluster for ${svc.hostname}:${port.port}`);
    return;
  }
  const cluster: Json = { name };
  const dns = svc.resolution === 'DNSLB' || svc.resolution === 'DNSRoundRobinLB';
  if (dns) {
    cluster.type = svc.resolution === 'DNSLB' ? 'STRICT_DNS' : 'LOGICAL_DNS';
  } else if (svc.resolution === 'Passthrough' && svc.origin === 'ServiceEntry') {
    cluster.type = 'ORIGINAL_DST';
  } else {
    cluster.type = 'EDS';
    cluster.eds_cluster_config = { eds_config: adsConfigSource(), service_name: name };
  }
  cluster.connect_timeout = ctx.mesh.connectTimeout;
  cluster.lb_policy = cluster.type === 'ORIGINAL_DST' ? 'CLUSTER_PROVIDED' : 'LEAST_REQUEST';
  cluster.circuit_breakers = defaultCircuitBreakers();
  cluster.common_lb_config = { locality_weighted_lb_config: {} };
  if (dns) {
    cluster.dns_refresh_rate = '60s';
    cluster.respect_dns_ttl = true;
    cluster.dns_lookup_family = 'V4_ONLY';
  }
  const istio: Json = {};
  if (dr) istio.config = destinationRuleConfigPath(dr.metadata.namespace, dr.metadata.name);
  istio.default_original_port = port.port;
  istio.services = [{ host: svc.hostname, name: svc.name, namespace: svc.namespace }];
  if (subset) istio.subset = subset.name;
  cluster.metadata = { filter_metadata: { istio } };

  const policy = effectivePolicy(dr?.spec, port.port, subset?.name);
  const applied = applyTrafficPolicy(ctx, cluster, port.protocol, policy, dr);
  if (cluster.type === 'EDS') {
    out.eds.push({ name, service: svc, port, subsetLabels: subset?.labels, localityLb: applied.localityLb });
  } else if (dns) {
    const eps = subsetEndpoints(ctx, svc, port.port, subset?.labels);
    // LOGICAL_DNS takes exactly one name; Istio uses the first.
    const assignment = buildLoadAssignment(name, cluster.type === 'LOGICAL_DNS' ? eps.slice(0, 1) : eps);
    cluster.load_assignment = assignment;
  }
  out.clusters.push(cluster);
}

function serviceEntryObject(ctx: TranslateContext, svc: Service): NamedConfig<unknown> | undefined {
  return ctx.push.configs('ServiceEntry').find((o) => o.metadata.name === svc.name && o.metadata.namespace === svc.namespace) as NamedConfig<unknown> | undefined;
}

/** Istio's sink for traffic that must go nowhere (REGISTRY_ONLY, unmatched TCP). */
export function blackholeCluster(ctx: TranslateContext): Json {
  return { name: BLACKHOLE_CLUSTER, type: 'STATIC', connect_timeout: ctx.mesh.connectTimeout };
}

/** Istio's cluster for traffic to the original destination (ALLOW_ANY); only when the proxy can. */
export function passthroughCluster(ctx: TranslateContext): Json | undefined {
  if (!ctx.capabilities.originalDstCluster) return undefined;
  return {
    name: PASSTHROUGH_CLUSTER,
    type: 'ORIGINAL_DST',
    connect_timeout: ctx.mesh.connectTimeout,
    lb_policy: 'CLUSTER_PROVIDED',
    circuit_breakers: defaultCircuitBreakers(),
  };
}

/** The sidecar's cluster to its own application: a static endpoint at the app's address. */
export function inboundCluster(ctx: TranslateContext, targetPort: number, appAddress: string, services: readonly Service[], port: ServicePort): Json {
  const name = inboundClusterName(targetPort);
  const cluster: Json = {
    name,
    type: 'STATIC',
    connect_timeout: ctx.mesh.connectTimeout,
    circuit_breakers: defaultCircuitBreakers(),
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(appAddress, targetPort) } }] }] },
    metadata: { filter_metadata: { istio: { services: services.map((s) => ({ host: s.hostname, name: s.name, namespace: s.namespace })) } } },
  };
  if (isHttp2Protocol(port.protocol)) {
    cluster.typed_extension_protocol_options = {
      [HTTP_PROTOCOL_OPTIONS_KEY]: typed(HTTP_PROTOCOL_OPTIONS_TYPE, { explicit_http_config: { http2_protocol_options: {} } }),
    };
  }
  return cluster;
}

export function edsAssignment(ctx: TranslateContext, eds: EdsCluster): Json {
  const eps = subsetEndpoints(ctx, eds.service, eds.port.port, eds.subsetLabels);
  return buildLoadAssignment(eds.name, eps, { localityLb: eds.localityLb, proxyLocality: ctx.proxyLocality() });
}
