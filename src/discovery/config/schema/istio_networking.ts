// Schemas of networking.istio.io Gateway, VirtualService and DestinationRule, field
// for field as api/istio/types.ts types them, plus the semantic rules of Istio's
// validation webhook that users actually trip over (a route with neither a
// destination nor a redirect, HTTPS without TLS settings, duplicate subsets, ...).
// Fields Istio has but skein does not implement are `unsupported()`: a warning.
import {
  bool,
  duration,
  int,
  list,
  map,
  num,
  obj,
  oneOf,
  port,
  req,
  str,
  stringMap,
  unsupported,
  type ObjectSchema,
  type Schema,
} from './engine.js';

export const notEmpty = (s: string): string | undefined => (s.trim() === '' ? 'must not be empty' : undefined);

/** Istio's protocol names, spelled as Istio prints them (the store normalizes any case to these). */
export const GATEWAY_PROTOCOLS = ['HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'GRPC-Web', 'TCP', 'TLS', 'Mongo', 'Redis', 'MySQL'] as const;
export const SERVICE_PROTOCOLS = [...GATEWAY_PROTOCOLS, 'UDP'] as const;

export const stringMatch = obj({ exact: str(), prefix: str(), regex: str() }, { exclusive: [['exact', 'prefix', 'regex']] });
const portSelector = obj({ number: req(port()) });
const percent = obj({ value: num(0, 100) });

export const destination = obj({ host: req(str(notEmpty)), subset: str(), port: portSelector });

const headerOperations = obj({ set: stringMap(), add: stringMap(), remove: list(str()) });
const headers = obj({ request: headerOperations, response: headerOperations });

// ---------------------------------------------------------------- Gateway

const serverTls = obj({
  httpsRedirect: bool(),
  mode: oneOf(['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL']),
  serverCertificate: str(),
  privateKey: str(),
  caCertificates: str(),
  credentialName: str(),
  subjectAltNames: list(str()),
  minProtocolVersion: oneOf(['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3']),
  maxProtocolVersion: oneOf(['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3']),
  cipherSuites: list(str()),
  credentialNames: unsupported(),
  verifyCertificateSpki: unsupported(),
  verifyCertificateHash: unsupported(),
  caCrl: unsupported(),
});

const server = obj(
  {
    port: req(obj({ number: req(port()), protocol: req(oneOf(GATEWAY_PROTOCOLS, true)), name: str(), targetPort: port() })),
    bind: str(),
    hosts: req(list(str(notEmpty), true)),
    tls: serverTls,
    name: str(),
    defaultEndpoint: unsupported(),
  },
  {
    check(s, report) {
      const protocol = (s.port as { protocol: string }).protocol;
      const tls = s.tls as { mode?: string; credentialName?: string; serverCertificate?: string; privateKey?: string } | undefined;
      if ((protocol === 'HTTPS' || protocol === 'TLS') && !tls) report.error(`a ${protocol} server needs tls settings (e.g. tls.mode: SIMPLE with tls.credentialName)`, 'port', 'protocol');
      if (tls?.mode && ['SIMPLE', 'MUTUAL', 'OPTIONAL_MUTUAL'].includes(tls.mode) && !tls.credentialName && !(tls.serverCertificate && tls.privateKey)) {
        report.error(`tls.mode ${tls.mode} needs tls.credentialName, or tls.serverCertificate and tls.privateKey`, 'tls', 'mode');
      }
    },
  },
);

export const gatewaySpec = obj({ selector: stringMap(), servers: req(list(server, true)) });

// ---------------------------------------------------------------- VirtualService

const httpMatch = obj({
  name: str(),
  uri: stringMatch,
  scheme: stringMatch,
  method: stringMatch,
  authority: stringMatch,
  headers: map(stringMatch),
  port: port(),
  sourceLabels: stringMap(),
  gateways: list(str(notEmpty)),
  queryParams: map(stringMatch),
  ignoreUriCase: bool(),
  withoutHeaders: map(stringMatch),
  sourceNamespace: str(),
  statPrefix: unsupported(),
});

const httpRoute = obj(
  {
    name: str(),
    match: list(httpMatch),
    route: list(obj({ destination: req(destination), weight: int(0), headers })),
    redirect: obj(
      {
        uri: str(),
        authority: str(),
        port: port(),
        derivePort: oneOf(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']),
        scheme: str(),
        redirectCode: int(300, 399),
      },
      { exclusive: [['port', 'derivePort']] },
    ),
    directResponse: obj({ status: req(int(200, 599)), body: obj({ string: str(), bytes: str() }, { exclusive: [['string', 'bytes']] }) }),
    delegate: obj({ name: req(str(notEmpty)), namespace: str() }),
    rewrite: obj({ uri: str(), authority: str(), uriRegexRewrite: obj({ match: req(str()), rewrite: req(str()) }) }, { exclusive: [['uri', 'uriRegexRewrite']] }),
    timeout: duration(),
    retries: obj({ attempts: int(0), perTryTimeout: duration(), retryOn: str(), retryRemoteLocalities: bool(), retryIgnorePreviousHosts: unsupported(), backoff: unsupported() }),
    fault: obj({
      delay: obj({ fixedDelay: req(duration()), percentage: percent, percent: int(0, 100), exponentialDelay: unsupported() }),
      abort: obj(
        { httpStatus: int(200, 599), grpcStatus: str(), percentage: percent, http2Error: unsupported() },
        { check: (a, report) => (a.httpStatus === undefined && a.grpcStatus === undefined ? report.error('one of httpStatus or grpcStatus is required') : undefined) },
      ),
    }),
    mirror: destination,
    mirrorPercentage: percent,
    mirrors: list(obj({ destination: req(destination), percentage: percent })),
    corsPolicy: obj({
      allowOrigins: list(stringMatch),
      allowMethods: list(str()),
      allowHeaders: list(str()),
      exposeHeaders: list(str()),
      maxAge: duration(),
      allowCredentials: bool(),
      allowOrigin: unsupported(),
      unmatchedPreflights: oneOf(['UNSPECIFIED', 'FORWARD', 'IGNORE']),
    }),
    headers,
    mirrorPercent: unsupported(),
  },
  {
    exclusive: [['mirror', 'mirrors']],
    check(r, report) {
      const actions = ['route', 'redirect', 'directResponse', 'delegate'].filter((k) => (k === 'route' ? ((r.route as unknown[] | undefined)?.length ?? 0) > 0 : r[k] !== undefined));
      if (actions.length === 0) report.error('one of route, redirect, directResponse or delegate is required');
      else if (actions.length > 1) report.error(`only one of route, redirect, directResponse or delegate may be set (found ${actions.join(' and ')})`);
      if (r.rewrite !== undefined && r.redirect !== undefined) report.error('rewrite and redirect cannot be used together', 'rewrite');
    },
  },
);

const l4MatchFields: Record<string, Schema> = {
  destinationSubnets: list(str()),
  port: port(),
  sourceLabels: stringMap(),
  gateways: list(str(notEmpty)),
  sourceNamespace: str(),
};
const routeDestination = obj({ destination: req(destination), weight: int(0) });
const tlsRoute = obj({ match: req(list(obj({ ...l4MatchFields, sniHosts: req(list(str(notEmpty), true)) }), true)), route: req(list(routeDestination, true)) });
const tcpRoute = obj({ match: list(obj(l4MatchFields)), route: req(list(routeDestination, true)) });

export const virtualServiceSpec = obj(
  {
    hosts: list(str(notEmpty)),
    gateways: list(str(notEmpty)),
    http: list(httpRoute),
    tls: list(tlsRoute),
    tcp: list(tcpRoute),
    exportTo: list(str()),
  },
  {
    check(vs, report) {
      const hosts = (vs.hosts as string[] | undefined) ?? [];
      // Istio: a VirtualService without hosts is a delegate, included by another one's `delegate`.
      if (hosts.length === 0 && ((vs.gateways as string[] | undefined)?.length ?? 0) > 0) {
        report.error('a VirtualService without hosts is a delegate and cannot name gateways (add hosts, or remove gateways)', 'gateways');
      }
      if (!vs.http && !vs.tls && !vs.tcp) report.error('one of http, tls or tcp routes is required');
    },
  },
);

// ---------------------------------------------------------------- DestinationRule

const loadBalancer = obj(
  {
    simple: oneOf(['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST']),
    consistentHash: obj(
      {
        httpHeaderName: str(),
        httpCookie: obj({ name: req(str(notEmpty)), path: str(), ttl: duration(), attributes: unsupported() }),
        useSourceIp: bool(),
        httpQueryParameterName: str(),
        minimumRingSize: int(0),
        ringHash: obj({ minimumRingSize: int(0) }),
        maglev: obj({ tableSize: int(0) }),
      },
      {
        exclusive: [
          ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'],
          ['minimumRingSize', 'ringHash', 'maglev'],
        ],
      },
    ),
    localityLbSetting: obj({
      enabled: bool(),
      distribute: list(obj({ from: req(str()), to: req(map(int(0))) })),
      failover: list(obj({ from: req(str()), to: req(str()) })),
      failoverPriority: list(str()),
    }),
    warmupDurationSecs: duration(),
    warmup: unsupported(),
  },
  { exclusive: [['simple', 'consistentHash']] },
);

const connectionPool = obj({
  tcp: obj({
    maxConnections: int(0),
    connectTimeout: duration(),
    tcpKeepalive: obj({ probes: int(0), time: duration(), interval: duration() }),
    maxConnectionDuration: unsupported(),
    idleTimeout: unsupported(),
  }),
  http: obj({
    http1MaxPendingRequests: int(0),
    http2MaxRequests: int(0),
    maxRequestsPerConnection: int(0),
    maxRetries: int(0),
    idleTimeout: duration(),
    h2UpgradePolicy: oneOf(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE']),
    useClientProtocol: bool(),
    maxConcurrentStreams: unsupported(),
  }),
});

const outlierDetection = obj({
  consecutiveErrors: int(0),
  consecutive5xxErrors: int(0),
  consecutiveGatewayErrors: int(0),
  interval: duration(),
  baseEjectionTime: duration(),
  maxEjectionPercent: int(0, 100),
  minHealthPercent: int(0, 100),
  splitExternalLocalOriginErrors: bool(),
  consecutiveLocalOriginFailures: int(0),
});

const clientTls = obj({
  mode: oneOf(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL']),
  clientCertificate: str(),
  privateKey: str(),
  caCertificates: str(),
  credentialName: str(),
  subjectAltNames: list(str()),
  sni: str(),
  insecureSkipVerify: bool(),
  caCrl: unsupported(),
});

const policyFields: Record<string, Schema> = {
  loadBalancer,
  connectionPool,
  outlierDetection,
  tls: clientTls,
  tunnel: unsupported(),
  proxyProtocol: unsupported(),
};
export const trafficPolicy: ObjectSchema = obj({ ...policyFields, portLevelSettings: list(obj({ ...policyFields, port: req(portSelector) })) });

export const destinationRuleSpec = obj(
  {
    host: req(str(notEmpty)),
    trafficPolicy,
    subsets: list(obj({ name: req(str(notEmpty)), labels: stringMap(), trafficPolicy })),
    exportTo: list(str()),
    workloadSelector: obj({ matchLabels: stringMap() }),
  },
  {
    check(dr, report) {
      const seen = new Set<string>();
      ((dr.subsets as { name: string }[] | undefined) ?? []).forEach((s, i) => {
        if (seen.has(s.name)) report.error(`duplicate subset name "${s.name}"`, 'subsets', i, 'name');
        seen.add(s.name);
      });
    },
  },
);
