// Wire encoding of the xDS envelopes. Requests are decoded into the same in-memory
// form as everything else. Responses are built from the snapshot's pre-packed Anys and
// never re-encode a resource per proxy: protobuf defines the concatenation of two
// encodings of a message as their merge, so a SotW response is one shared body
// (version, resources, type) per snapshot and subscription followed by a few bytes
// of per-stream nonce, and a delta response is a per-stream header followed by each
// resource's pre-encoded chunk. protobufjs does all the encoding; nothing here
// hard-codes a field number.
import type protobuf from 'protobufjs';
import type { envoy } from '../../api/envoy-types.generated.js';
import { messageFromBinary } from '../../api/proto/binary.js';
import { messageType } from '../../api/proto/root.js';
import { selectResources } from './cache/answer.js';
import type { CachedResource, Snapshot } from './cache/snapshot.js';
import type { DeltaResponse, SotwResponse } from './cache/types.js';

export type DiscoveryRequest = envoy.service.discovery.v3.DiscoveryRequest;
export type DeltaDiscoveryRequest = envoy.service.discovery.v3.DeltaDiscoveryRequest;

export const DISCOVERY_REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';
export const DISCOVERY_RESPONSE = 'envoy.service.discovery.v3.DiscoveryResponse';
export const DELTA_DISCOVERY_REQUEST = 'envoy.service.discovery.v3.DeltaDiscoveryRequest';
export const DELTA_DISCOVERY_RESPONSE = 'envoy.service.discovery.v3.DeltaDiscoveryResponse';

/** Bytes a client sent that are not the message they should be. */
export class BadRequestError extends Error {}

function decode<T>(typeName: string, bytes: Uint8Array): T {
  try {
    return messageFromBinary<T>(typeName, bytes);
  } catch (err) {
    throw new BadRequestError(`cannot decode ${typeName.split('.').pop()}: ${(err as Error).message}`);
  }
}

export const decodeDiscoveryRequest = (bytes: Uint8Array): DiscoveryRequest => decode(DISCOVERY_REQUEST, bytes);
export const decodeDeltaDiscoveryRequest = (bytes: Uint8Array): DeltaDiscoveryRequest => decode(DELTA_DISCOVERY_REQUEST, bytes);

let types: { sotw: protobuf.Type; delta: protobuf.Type } | undefined;
function envelopes() {
  types ??= { sotw: messageType(DISCOVERY_RESPONSE), delta: messageType(DELTA_DISCOVERY_RESPONSE) };
  return types;
}

// ---- SotW ----------------------------------------------------------------------

/**
 * Bodies per snapshot, type and subscription key. Wildcard subscribers of one node
 * group share one entry; named subscriptions usually repeat across proxies of one
 * group too, but are capped so odd clients cannot grow this without bound.
 */
const sotwBodies = new WeakMap<Snapshot, Map<string, Map<string, Uint8Array>>>();
const MAX_BODIES_PER_TYPE = 64;

function sotwBody(response: SotwResponse): Uint8Array {
  const { snapshot, typeUrl, subscription } = response;
  let byType = sotwBodies.get(snapshot);
  if (!byType) sotwBodies.set(snapshot, (byType = new Map()));
  let bodies = byType.get(typeUrl);
  if (!bodies) byType.set(typeUrl, (bodies = new Map()));
  const hit = bodies.get(subscription.key);
  if (hit) return hit;
  const resources = selectResources(snapshot, typeUrl, subscription).map((r) => r.any);
  const body = envelopes().sotw.encode({ version_info: response.version, resources, type_url: typeUrl }).finish();
  if (bodies.size < MAX_BODIES_PER_TYPE) bodies.set(subscription.key, body);
  return body;
}

/** A DiscoveryResponse for one stream: the shared body plus this stream's nonce. */
export function encodeSotwResponse(response: SotwResponse, nonce: string): Buffer {
  const body = sotwBody(response);
  const tail = envelopes().sotw.encode({ nonce }).finish();
  return Buffer.concat([body, tail]);
}

/** The number of resources a SotW response carries (for status and logs). */
export function sotwResourceCount(response: SotwResponse): number {
  const sub = response.subscription;
  const all = response.snapshot.resources(response.typeUrl);
  if (sub.wildcard) return all.size;
  let n = 0;
  for (const name of sub.names) if (all.has(name)) n++;
  return n;
}

// ---- delta ---------------------------------------------------------------------

/** A resource as a DeltaDiscoveryResponse holding only it, encoded once per resource. */
const deltaChunks = new WeakMap<CachedResource, Uint8Array>();

function deltaChunk(r: CachedResource): Uint8Array {
  let chunk = deltaChunks.get(r);
  if (!chunk) {
    chunk = envelopes().delta.encode({ resources: [{ name: r.name, version: r.version, resource: r.any }] }).finish();
    deltaChunks.set(r, chunk);
  }
  return chunk;
}

export function encodeDeltaResponse(response: DeltaResponse, nonce: string): Buffer {
  const header = envelopes()
    .delta.encode({
      system_version_info: response.systemVersion,
      type_url: response.typeUrl,
      removed_resources: [...response.removed],
      nonce,
    })
    .finish();
  return Buffer.concat([header, ...response.resources.map(deltaChunk)]);
}
