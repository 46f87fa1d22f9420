// The control plane's service model: what the registry builds from Services,
// EndpointSlices, pods of the local mesh, ServiceEntries and WorkloadEntries, and what
// translation reads. It mirrors Istio's (pilot/pkg/model) so translation can follow
// Istio's rules; nothing here knows whether an object came from a folder of YAML or
// from a Kubernetes API server.
import type { ConfigObject, DestinationRuleSpec, GatewaySpec, Kind, SidecarSpec, VirtualServiceSpec } from '../../api/istio/types.js';

/** Istio's protocol names, as the port name prefix / appProtocol select them. */
export type Protocol = 'HTTP' | 'HTTP2' | 'HTTPS' | 'GRPC' | 'GRPC-Web' | 'TCP' | 'TLS' | 'Mongo' | 'Redis' | 'MySQL' | 'UDP' | 'UnsupportedProtocol';

export interface ServicePort {
  /** The Service port's name ("http", "http-web", "tcp-echo"); may be empty. */
  name: string;
  port: number;
  protocol: Protocol;
  /** Where endpoints listen: a number, or a container port name resolved per endpoint. */
  targetPort?: number | string;
  nodePort?: number;
}

export type Resolution = 'ClientSideLB' | 'DNSLB' | 'DNSRoundRobinLB' | 'Passthrough';

export interface Service {
  /** "catalog.istioinaction.svc.cluster.local", or a ServiceEntry host. */
  hostname: string;
  /** Kubernetes name and namespace (a ServiceEntry's own, for ServiceEntry hosts). */
  name: string;
  namespace: string;
  ports: ServicePort[];
  /** The ClusterIP (or ServiceEntry address); undefined for headless / none. */
  address?: string;
  resolution: Resolution;
  meshExternal: boolean;
  /** The Service's selector (or ServiceEntry workloadSelector labels). */
  selector?: Record<string, string>;
  /** Kubernetes Service type; NodePort/LoadBalancer are published on localhost by `mesh up`. */
  serviceType?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  labels: Record<string, string>;
  /** Namespaces that see this service: ['*'] (default), ['.'] resolved to its own namespace. */
  exportTo: string[];
  origin: 'Kubernetes' | 'ServiceEntry';
  /**
   * Small stable number per service (1..254) used by the local mesh to give each pod
   * its own address for each service (see local_addresses.ts). Assigned by the registry.
   */
  localIndex: number;
}

/** One network endpoint of one service port (Istio's IstioEndpoint). */
export interface Endpoint {
  address: string;
  /** The port the workload listens on (the resolved targetPort). */
  port: number;
  /** The service port this endpoint backs. */
  servicePortName: string;
  servicePort: number;
  labels: Record<string, string>;
  serviceAccount: string;
  /** "region/zone/subzone", any part may be empty. */
  locality: string;
  network: string;
  /** Pod (or WorkloadEntry) name and namespace, when known. */
  workloadName?: string;
  namespace: string;
  healthy: boolean;
  weight?: number;
  /** DNS name (resolution DNS), when the endpoint is a host name not an IP. */
  hostname?: string;
}

/** A workload the registry knows: a pod of the local mesh, or a WorkloadEntry. */
export interface Workload {
  name: string;
  namespace: string;
  /** The pod IP: where its sidecar (or gateway) takes inbound traffic. */
  address: string;
  labels: Record<string, string>;
  serviceAccount: string;
  locality: string;
  network: string;
  /** Container ports by name → number, for named targetPorts. */
  namedPorts: Record<string, number>;
  /** For local-mesh pods: the address the application itself listens on (its private loopback). */
  appAddress?: string;
  healthy: boolean;
}

export type ProxyType = 'sidecar' | 'router';

/**
 * A connected proxy, parsed from its xDS node: id "sidecar~IP~POD.NS~NS.svc.cluster.local"
 * or "router~...", plus node metadata (LABELS, NAMESPACE, WORKLOAD_NAME, CLUSTER_ID, ...).
 */
export interface Proxy {
  type: ProxyType;
  /** The node id as sent. */
  id: string;
  ipAddresses: string[];
  /** "POD" and "NS" from "POD.NS". */
  podName: string;
  namespace: string;
  /** "NS.svc.cluster.local". */
  dnsDomain: string;
  labels: Record<string, string>;
  /** Node metadata as sent (strings and nested values). */
  metadata: Record<string, unknown>;
  clusterId: string;
  workloadName: string;
  istioVersion: string;
  /** For local-mesh sidecars: where the app listens (metadata SKEIN_APP_ADDRESS). */
  appAddress?: string;
  /** For local-mesh pods: the pod's index used to derive its per-service addresses. */
  localPodIndex?: number;
  /** "region/zone/subzone" from the node's locality, when sent. */
  locality?: string;
}

export type NamedConfig<S> = ConfigObject & { spec: S };

/**
 * An immutable, indexed view of all config and registry state at one moment (Istio's
 * PushContext). Translation is a pure function of (PushContext, Proxy); building one
 * is the only place indexes are computed.
 */
export interface PushContext {
  /** Changes whenever anything in it changes; used as the xDS version_info. */
  readonly version: string;
  /**
   * Like `version`, but blind to endpoints and workloads (pods, EndpointSlices,
   * Endpoints, WorkloadEntries): two push contexts with the same configVersion differ
   * at most in those (see endpointChanges()).
   */
  readonly configVersion: string;
  readonly meshConfig: MeshConfig;

  services(): readonly Service[];
  serviceByHostname(hostname: string, namespace?: string): Service | undefined;
  /** Services visible from a namespace (exportTo applied), sorted by hostname. */
  servicesVisibleFrom(namespace: string): readonly Service[];
  /** Endpoints of one service port, sorted by address then port. */
  endpoints(hostname: string, servicePort: number): readonly Endpoint[];
  workloads(): readonly Workload[];

  gateways(): readonly NamedConfig<GatewaySpec>[];
  /** Gateways whose selector matches these labels (a gateway proxy's). */
  gatewaysForLabels(labels: Record<string, string>): readonly NamedConfig<GatewaySpec>[];
  virtualServices(): readonly NamedConfig<VirtualServiceSpec>[];
  /**
   * VirtualServices bound to a gateway ("ns/name") or, for "mesh", to sidecars,
   * visible from `namespace`, in Istio's order: those private to `namespace` first, then
   * those exported to it by name, then public ones; each group in creation (input) order.
   */
  virtualServicesFor(gateway: string, namespace: string): readonly NamedConfig<VirtualServiceSpec>[];
  /**
   * The DestinationRule that applies to `hostname` for a proxy in `namespace`, if any.
   * `labels` (the proxy's) lets a DestinationRule with a workloadSelector in the proxy's
   * namespace apply; without them such rules are ignored.
   */
  destinationRule(namespace: string, hostname: string, labels?: Record<string, string>): NamedConfig<DestinationRuleSpec> | undefined;
  /** The Sidecar resource selecting this workload, else the namespace default (no selector), else undefined. */
  sidecarFor(namespace: string, labels: Record<string, string>): NamedConfig<SidecarSpec> | undefined;
  /** Secrets for credentialName (namespace-scoped). */
  secret(namespace: string, name: string): ConfigObject<'Secret'> | undefined;

  // ---- read-only extras (added by the registry/model helper; all cheap)
  /** Problems met while building (skipped objects, conflicts), each naming the object and its file:line. */
  readonly warnings: readonly string[];
  /** Every object of one kind, in input (file) order. */
  configs<K extends Kind>(kind: K): readonly ConfigObject<K>[];
  /** A Gateway by "ns/name". */
  gatewayByName(ref: string): NamedConfig<GatewaySpec> | undefined;
  /** Services in `namespace` whose selector matches a workload's labels (for inbound listeners). */
  servicesForWorkload(namespace: string, labels: Record<string, string>): readonly Service[];
  /** A Namespace object's labels ({} when the namespace has no Namespace object). */
  namespaceLabels(namespace: string): Record<string, string>;
}

export interface MeshConfig {
  /** "cluster.local". */
  trustDomain: string;
  /** DNS suffix of Kubernetes service hosts; "cluster.local" when absent. */
  domainSuffix?: string;
  rootNamespace: string;
  /** Istio's default connect timeout (10s). */
  connectTimeout: string;
  /** outboundTrafficPolicy.mode. */
  outboundTrafficPolicy: 'ALLOW_ANY' | 'REGISTRY_ONLY';
  /** PILOT_FILTER_GATEWAY_CLUSTER_CONFIG: gateways get only the clusters their routes use. */
  filterGatewayClusterConfig: boolean;
  /** The discovery address proxies are told about (xds-grpc cluster), "istiod.istio-system.svc:15010" style. */
  discoveryAddress: string;
  clusterId: string;
}

/** Envoy resources for one proxy, as plain proto3-JSON-shaped objects (what Snapshot.fromResources takes). */
export interface ProxyResources {
  listeners: Record<string, unknown>[];
  routes: Record<string, unknown>[];
  clusters: Record<string, unknown>[];
  endpoints: Record<string, unknown>[];
  secrets: Record<string, unknown>[];
  /** Problems translation met (objects or parts skipped), each naming the object and its file:line. */
  warnings: string[];
}
