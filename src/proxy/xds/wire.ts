// The discovery messages on the wire and the gRPC methods that carry them.
//
// Responses are decoded only one level deep: resources stay packed Anys until the
// engine unpacks them one by one. Unpacking inside the gRPC deserializer would turn a
// single undecodable resource into a failed stream (grpc-js cancels the call on a
// deserialize error) instead of a NACK naming that resource.
import protobuf from 'protobufjs';
import type { envoy } from '../../api/envoy-types.generated.js';
import { messageToBinary } from '../../api/proto/binary.js';
import { messageType, TYPE_URL_PREFIX } from '../../api/proto/root.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE, LISTENER_TYPE, ROUTE_TYPE, SECRET_TYPE } from '../../api/xds/resource_types.js';
import type { XdsTransport } from './types.js';

const PKG = 'envoy.service.discovery.v3.';
export const DISCOVERY_REQUEST = `${PKG}DiscoveryRequest`;
export const DISCOVERY_RESPONSE = `${PKG}DiscoveryResponse`;
export const DELTA_DISCOVERY_REQUEST = `${PKG}DeltaDiscoveryRequest`;
export const DELTA_DISCOVERY_RESPONSE = `${PKG}DeltaDiscoveryResponse`;
/** SotW responses may wrap each resource in a Resource (for its name, version or TTL). */
export const RESOURCE_WRAPPER_TYPE = `${TYPE_URL_PREFIX}${PKG}Resource`;

export type DiscoveryRequest = envoy.service.discovery.v3.DiscoveryRequest;
export type DeltaDiscoveryRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest;

export interface RawAny {
  type_url: string;
  value: Uint8Array;
}

export interface RawDiscoveryResponse {
  version_info: string;
  resources: RawAny[];
  type_url: string;
  nonce: string;
  control_plane?: { identifier?: string };
}

export interface RawResource {
  name: string;
  version: string;
  /** Absent in a TTL heartbeat. */
  resource?: RawAny;
}

export interface RawDeltaDiscoveryResponse {
  system_version_info: string;
  resources: RawResource[];
  type_url: string;
  removed_resources: string[];
  nonce: string;
  control_plane?: { identifier?: string };
}

const RAW_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: false, arrays: true };

function rawDecode(typeName: string, bytes: Uint8Array): Record<string, unknown> {
  const type = messageType(typeName);
  return type.toObject(type.decode(bytes), RAW_OBJECT);
}

function rawAny(v: unknown): RawAny {
  const a = (v ?? {}) as { type_url?: string; value?: Uint8Array };
  return { type_url: a.type_url ?? '', value: a.value ?? new Uint8Array() };
}

export function decodeDiscoveryResponse(bytes: Uint8Array): RawDiscoveryResponse {
  const m = rawDecode(DISCOVERY_RESPONSE, bytes);
  return {
    version_info: String(m.version_info ?? ''),
    resources: ((m.resources as unknown[]) ?? []).map(rawAny),
    type_url: String(m.type_url ?? ''),
    nonce: String(m.nonce ?? ''),
    control_plane: m.control_plane as { identifier?: string } | undefined,
  };
}

export function decodeDeltaDiscoveryResponse(bytes: Uint8Array): RawDeltaDiscoveryResponse {
  const m = rawDecode(DELTA_DISCOVERY_RESPONSE, bytes);
  return {
    system_version_info: String(m.system_version_info ?? ''),
    resources: ((m.resources as Array<Record<string, unknown>>) ?? []).map(rawResource),
    type_url: String(m.type_url ?? ''),
    removed_resources: ((m.removed_resources as string[]) ?? []).map(String),
    nonce: String(m.nonce ?? ''),
    control_plane: m.control_plane as { identifier?: string } | undefined,
  };
}

function rawResource(r: Record<string, unknown>): RawResource {
  return { name: String(r.name ?? ''), version: String(r.version ?? ''), resource: r.resource ? rawAny(r.resource) : undefined };
}

/** A Resource wrapper found inside a SotW response. */
export function decodeResourceWrapper(any: RawAny): RawResource {
  return rawResource(rawDecode(`${PKG}Resource`, any.value));
}

export const encodeDiscoveryRequest = (req: DiscoveryRequest): Buffer => Buffer.from(messageToBinary(DISCOVERY_REQUEST, req));
export const encodeDeltaDiscoveryRequest = (req: DeltaDiscoveryRequest): Buffer =>
  Buffer.from(messageToBinary(DELTA_DISCOVERY_REQUEST, req));

// ---- gRPC methods -----------------------------------------------------------------

export const ADS_METHODS: Record<XdsTransport, string> = {
  sotw: '/envoy.service.discovery.v3.AggregatedDiscoveryService/StreamAggregatedResources',
  delta: '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
};

const PER_TYPE_SERVICES: Record<string, [service: string, method: string]> = {
  [LISTENER_TYPE]: ['envoy.service.listener.v3.ListenerDiscoveryService', 'Listeners'],
  [ROUTE_TYPE]: ['envoy.service.route.v3.RouteDiscoveryService', 'Routes'],
  [CLUSTER_TYPE]: ['envoy.service.cluster.v3.ClusterDiscoveryService', 'Clusters'],
  [ENDPOINT_TYPE]: ['envoy.service.endpoint.v3.EndpointDiscoveryService', 'Endpoints'],
  [SECRET_TYPE]: ['envoy.service.secret.v3.SecretDiscoveryService', 'Secrets'],
};

/** The method path of a non-aggregated xDS stream (`api_config_source` GRPC / DELTA_GRPC). */
export function perTypeMethod(typeUrl: string, transport: XdsTransport): string {
  const entry = PER_TYPE_SERVICES[typeUrl];
  if (!entry) throw new Error(`no discovery service for type ${typeUrl}`);
  return `/${entry[0]}/${transport === 'delta' ? 'Delta' : 'Stream'}${entry[1]}`;
}

/** google.rpc.Code INTERNAL: what Envoy puts in a NACK's error_detail. */
export const NACK_STATUS_CODE = 13;
const MAX_ERROR_DETAIL_BYTES = 4096;

/** Envoy's truncateGrpcStatusMessage: long messages would bloat every NACK. */
export function truncateErrorDetail(message: string): string {
  if (Buffer.byteLength(message) <= MAX_ERROR_DETAIL_BYTES) return message;
  return `${Buffer.from(message).subarray(0, MAX_ERROR_DETAIL_BYTES).toString()}...(truncated)`;
}
