// The Istio and Kubernetes objects skein reads, as they appear in YAML once the
// config store has validated them (field names exactly as in the Istio / Kubernetes
// APIs; camelCase). Istio's protos are not among the API protos we ship, so these
// are written by hand: only the fields the control plane understands are typed, and
// the config store rejects the ones it does not know, naming file:line.
//
// Every object carries where it came from (`source`) so that translation errors,
// `skein analyze` and push logs can point at the YAML a user wrote.

export interface SourceRef {
  file: string;
  line: number;
}

export interface ObjectMeta {
  name: string;
  /** Defaulted to "default" by the config store for namespaced kinds. */
  namespace: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** One object from a YAML document: what `kubectl apply` would have sent. */
export interface ConfigObject<K extends Kind = Kind> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: SpecOf<K>;
  source: SourceRef;
}

export type Kind =
  | 'Gateway'
  | 'VirtualService'
  | 'DestinationRule'
  | 'ServiceEntry'
  | 'WorkloadEntry'
  | 'Sidecar'
  | 'PeerAuthentication'
  | 'Namespace'
  | 'Service'
  | 'Endpoints'
  | 'EndpointSlice'
  | 'Deployment'
  | 'Secret'
  | 'ServiceAccount'
  | 'Node';

/** Kubernetes objects keep their top-level shape; we store everything but metadata in `spec`. */
export interface SpecByKind {
  Gateway: GatewaySpec;
  VirtualService: VirtualServiceSpec;
  DestinationRule: DestinationRuleSpec;
  ServiceEntry: ServiceEntrySpec;
  WorkloadEntry: WorkloadEntrySpec;
  Sidecar: SidecarSpec;
  PeerAuthentication: Record<string, unknown>;
  Namespace: Record<string, never>;
  Service: ServiceSpec;
  Endpoints: EndpointsBody;
  EndpointSlice: EndpointSliceBody;
  Deployment: DeploymentSpec;
  /** `data` (base64) and `stringData` merged and decoded, plus `type`. */
  Secret: { type?: string; data: Record<string, Buffer> };
  ServiceAccount: Record<string, never>;
  Node: Record<string, never>;
}
export type SpecOf<K extends Kind> = SpecByKind[K];

// ---------------------------------------------------------------- networking.istio.io

export interface GatewaySpec {
  selector?: Record<string, string>;
  servers: GatewayServer[];
}

export interface GatewayServer {
  port: { number: number; protocol: string; name?: string; targetPort?: number };
  bind?: string;
  hosts: string[];
  tls?: ServerTLSSettings;
  name?: string;
}

export interface ServerTLSSettings {
  httpsRedirect?: boolean;
  mode?: 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL' | 'OPTIONAL_MUTUAL';
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  credentialName?: string;
  subjectAltNames?: string[];
  minProtocolVersion?: string;
  maxProtocolVersion?: string;
  cipherSuites?: string[];
}

export interface VirtualServiceSpec {
  hosts?: string[];
  gateways?: string[];
  http?: HTTPRoute[];
  tls?: TLSRoute[];
  tcp?: TCPRoute[];
  exportTo?: string[];
}

export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  headers?: Record<string, StringMatch>;
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  queryParams?: Record<string, StringMatch>;
  ignoreUriCase?: boolean;
  withoutHeaders?: Record<string, StringMatch>;
  sourceNamespace?: string;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
}

export interface HTTPRouteDestination {
  destination: Destination;
  weight?: number;
  headers?: Headers;
}

export interface HeaderOperations {
  set?: Record<string, string>;
  add?: Record<string, string>;
  remove?: string[];
}

export interface Headers {
  request?: HeaderOperations;
  response?: HeaderOperations;
}

export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  redirect?: {
    uri?: string;
    authority?: string;
    port?: number;
    derivePort?: 'FROM_PROTOCOL_DEFAULT' | 'FROM_REQUEST_PORT';
    scheme?: string;
    redirectCode?: number;
  };
  directResponse?: { status: number; body?: { string?: string; bytes?: string } };
  delegate?: { name: string; namespace?: string };
  rewrite?: { uri?: string; authority?: string; uriRegexRewrite?: { match: string; rewrite: string } };
  /** Duration string, e.g. "1s". */
  timeout?: string;
  retries?: { attempts?: number; perTryTimeout?: string; retryOn?: string; retryRemoteLocalities?: boolean };
  fault?: {
    delay?: { fixedDelay?: string; percentage?: { value: number }; percent?: number };
    abort?: { httpStatus?: number; grpcStatus?: string; percentage?: { value: number } };
  };
  mirror?: Destination;
  mirrorPercentage?: { value: number };
  mirrors?: { destination: Destination; percentage?: { value: number } }[];
  corsPolicy?: {
    allowOrigins?: StringMatch[];
    allowMethods?: string[];
    allowHeaders?: string[];
    exposeHeaders?: string[];
    maxAge?: string;
    allowCredentials?: boolean;
    /** What the proxy does with a preflight from an origin that does not match: FORWARD (default) or IGNORE. */
    unmatchedPreflights?: 'UNSPECIFIED' | 'FORWARD' | 'IGNORE';
  };
  headers?: Headers;
}

export interface L4MatchAttributes {
  destinationSubnets?: string[];
  port?: number;
  sourceLabels?: Record<string, string>;
  gateways?: string[];
  sourceNamespace?: string;
}

export interface TLSMatchAttributes extends L4MatchAttributes {
  sniHosts: string[];
}

export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

export interface TLSRoute {
  match: TLSMatchAttributes[];
  route?: RouteDestination[];
}

export interface TCPRoute {
  match?: L4MatchAttributes[];
  route?: RouteDestination[];
}

export interface DestinationRuleSpec {
  host: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: { name: string; labels?: Record<string, string>; trafficPolicy?: TrafficPolicy }[];
  exportTo?: string[];
  workloadSelector?: { matchLabels?: Record<string, string> };
}

export interface TrafficPolicy {
  loadBalancer?: {
    simple?: 'UNSPECIFIED' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH' | 'ROUND_ROBIN' | 'LEAST_REQUEST';
    consistentHash?: {
      httpHeaderName?: string;
      httpCookie?: { name: string; path?: string; ttl?: string };
      useSourceIp?: boolean;
      httpQueryParameterName?: string;
      minimumRingSize?: number;
      ringHash?: { minimumRingSize?: number };
      maglev?: { tableSize?: number };
    };
    localityLbSetting?: {
      enabled?: boolean;
      distribute?: { from: string; to: Record<string, number> }[];
      failover?: { from: string; to: string }[];
      failoverPriority?: string[];
    };
    warmupDurationSecs?: string;
  };
  connectionPool?: {
    tcp?: { maxConnections?: number; connectTimeout?: string; tcpKeepalive?: { probes?: number; time?: string; interval?: string } };
    http?: {
      http1MaxPendingRequests?: number;
      http2MaxRequests?: number;
      maxRequestsPerConnection?: number;
      maxRetries?: number;
      idleTimeout?: string;
      h2UpgradePolicy?: 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';
      useClientProtocol?: boolean;
    };
  };
  outlierDetection?: {
    consecutiveErrors?: number;
    consecutive5xxErrors?: number;
    consecutiveGatewayErrors?: number;
    interval?: string;
    baseEjectionTime?: string;
    maxEjectionPercent?: number;
    minHealthPercent?: number;
    splitExternalLocalOriginErrors?: boolean;
    consecutiveLocalOriginFailures?: number;
  };
  tls?: ClientTLSSettings;
  portLevelSettings?: (Omit<TrafficPolicy, 'portLevelSettings'> & { port: { number: number } })[];
}

export interface ClientTLSSettings {
  mode?: 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  credentialName?: string;
  subjectAltNames?: string[];
  sni?: string;
  insecureSkipVerify?: boolean;
}

export interface ServiceEntrySpec {
  hosts: string[];
  addresses?: string[];
  ports?: { number: number; protocol?: string; name: string; targetPort?: number }[];
  location?: 'MESH_EXTERNAL' | 'MESH_INTERNAL';
  resolution?: 'NONE' | 'STATIC' | 'DNS' | 'DNS_ROUND_ROBIN';
  endpoints?: WorkloadEntrySpec[];
  workloadSelector?: { labels?: Record<string, string> };
  exportTo?: string[];
  subjectAltNames?: string[];
}

export interface WorkloadEntrySpec {
  address?: string;
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  network?: string;
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}

export interface SidecarSpec {
  workloadSelector?: { labels?: Record<string, string> };
  ingress?: {
    port: { number: number; protocol?: string; name?: string };
    bind?: string;
    captureMode?: 'DEFAULT' | 'IPTABLES' | 'NONE';
    defaultEndpoint?: string;
  }[];
  egress?: {
    port?: { number: number; protocol?: string; name?: string };
    bind?: string;
    captureMode?: 'DEFAULT' | 'IPTABLES' | 'NONE';
    hosts: string[];
  }[];
  outboundTrafficPolicy?: { mode?: 'REGISTRY_ONLY' | 'ALLOW_ANY' };
}

// ---------------------------------------------------------------- core Kubernetes

export interface ServicePortSpec {
  name?: string;
  port: number;
  targetPort?: number | string;
  nodePort?: number;
  protocol?: 'TCP' | 'UDP' | 'SCTP';
  appProtocol?: string;
}

export interface ServiceSpec {
  type?: 'ClusterIP' | 'NodePort' | 'LoadBalancer' | 'ExternalName';
  selector?: Record<string, string>;
  ports: ServicePortSpec[];
  clusterIP?: string;
  externalName?: string;
}

/** The `subsets` of a v1 Endpoints object. */
export interface EndpointsBody {
  subsets: {
    addresses?: { ip: string; hostname?: string; nodeName?: string; targetRef?: { kind?: string; name?: string; namespace?: string } }[];
    notReadyAddresses?: { ip: string }[];
    ports?: { name?: string; port: number; protocol?: string; appProtocol?: string }[];
  }[];
}

/** A discovery.k8s.io/v1 EndpointSlice, minus metadata. */
export interface EndpointSliceBody {
  addressType: 'IPv4' | 'IPv6' | 'FQDN';
  endpoints: {
    addresses: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    nodeName?: string;
    zone?: string;
    targetRef?: { kind?: string; name?: string; namespace?: string };
  }[];
  ports?: { name?: string; port: number; protocol?: string; appProtocol?: string }[];
}

export interface ContainerSpec {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  ports?: { containerPort: number; name?: string; protocol?: string }[];
  readinessProbe?: unknown;
  livenessProbe?: unknown;
  workingDir?: string;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: { matchLabels?: Record<string, string> };
  template: {
    metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
    spec: {
      containers: ContainerSpec[];
      serviceAccountName?: string;
      serviceAccount?: string;
    };
  };
}
