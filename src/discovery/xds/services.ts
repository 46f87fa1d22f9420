// The gRPC services Envoy dials, described by hand for grpc-js (paths and stream
// kinds are all it needs; no proto loader). Messages cross grpc-js as raw bytes:
// the streams decode requests themselves, so undecodable input becomes a status on
// that stream rather than a failure inside grpc-js, and responses arrive already
// encoded (codec.ts).
import type * as grpc from '@grpc/grpc-js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE, type XdsTypeUrl } from '../../api/xds/resource_types.js';
import type { XdsService } from './status.js';

const passThrough = {
  serialize: (bytes: Uint8Array): Buffer => (Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)),
  deserialize: (bytes: Buffer): Buffer => bytes,
};

function method(service: string, name: string, streaming: boolean): grpc.MethodDefinition<Uint8Array, Uint8Array> {
  return {
    path: `/${service}/${name}`,
    requestStream: streaming,
    responseStream: streaming,
    requestSerialize: passThrough.serialize,
    requestDeserialize: passThrough.deserialize,
    responseSerialize: passThrough.serialize,
    responseDeserialize: passThrough.deserialize,
    originalName: name[0]!.toLowerCase() + name.slice(1),
  };
}

export interface XdsServiceSpec {
  /** Full service name, e.g. envoy.service.cluster.v3.ClusterDiscoveryService. */
  readonly name: string;
  readonly service: XdsService;
  /** The per-type service's resource type; undefined for ADS. */
  readonly typeUrl?: XdsTypeUrl;
  /** Method names: SotW stream, delta stream, unary fetch (none on ADS). */
  readonly stream: string;
  readonly delta: string;
  readonly fetch?: string;
}

export const ADS_SERVICE: XdsServiceSpec = {
  name: 'envoy.service.discovery.v3.AggregatedDiscoveryService',
  service: 'ads',
  stream: 'StreamAggregatedResources',
  delta: 'DeltaAggregatedResources',
};

const perType = (pkg: string, svc: string, noun: string, service: XdsService, typeUrl: XdsTypeUrl): XdsServiceSpec => ({
  name: `envoy.service.${pkg}.v3.${svc}`,
  service,
  typeUrl,
  stream: `Stream${noun}`,
  delta: `Delta${noun}`,
  fetch: `Fetch${noun}`,
});

export const XDS_SERVICES: readonly XdsServiceSpec[] = [
  ADS_SERVICE,
  perType('listener', 'ListenerDiscoveryService', 'Listeners', 'lds', LISTENER_TYPE),
  perType('route', 'RouteDiscoveryService', 'Routes', 'rds', ROUTE_TYPE),
  perType('cluster', 'ClusterDiscoveryService', 'Clusters', 'cds', CLUSTER_TYPE),
  perType('endpoint', 'EndpointDiscoveryService', 'Endpoints', 'eds', ENDPOINT_TYPE),
  perType('secret', 'SecretDiscoveryService', 'Secrets', 'sds', SECRET_TYPE),
];

/** A grpc-js ServiceDefinition for `spec`, usable by servers and (in tests) clients. */
export function serviceDefinition(spec: XdsServiceSpec): grpc.ServiceDefinition {
  const def: Record<string, grpc.MethodDefinition<Uint8Array, Uint8Array>> = {
    [spec.stream]: method(spec.name, spec.stream, true),
    [spec.delta]: method(spec.name, spec.delta, true),
  };
  if (spec.fetch) def[spec.fetch] = method(spec.name, spec.fetch, false);
  return def;
}
