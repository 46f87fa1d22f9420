// Translation's proto3-JSON output → the in-memory message form the xDS cache packs
// (durations as {seconds, nanos}, wrappers as {value}), through the same reader and
// protoc-gen-validate rules a YAML bootstrap or an xDS update goes through. A resource
// that does not pass is a translation bug; the error names it and the field.
import { readMessageFromJson } from '../../api/json/from-json.js';
import { ConfigError, formatIssue } from '../../api/json/issues.js';
import type { ProxyResources } from '../model/types.js';

export class ResourceDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ResourceDecodeError';
  }
}

const TYPES = {
  listeners: 'envoy.config.listener.v3.Listener',
  routes: 'envoy.config.route.v3.RouteConfiguration',
  clusters: 'envoy.config.cluster.v3.Cluster',
  endpoints: 'envoy.config.endpoint.v3.ClusterLoadAssignment',
  secrets: 'envoy.extensions.transport_sockets.tls.v3.Secret',
} as const;

type Kind = keyof typeof TYPES;

// Most resources are the same for many proxies (a service's cluster and endpoints, a
// gateway's routes), and decoding costs several times what building does; decoded
// messages are only ever read, so equal JSON shares one decoded message.
const CACHE_LIMIT = 50_000;
const cache = new Map<string, Record<string, unknown>>();

/** Decodes one resource; throws ResourceDecodeError listing every problem. */
export function decodeResource(kind: Kind, json: Record<string, unknown>): Record<string, unknown> {
  const key = `${kind}\u0000${JSON.stringify(json)}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const decoded = decodeUncached(kind, json);
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, decoded);
  return decoded;
}

function decodeUncached(kind: Kind, json: Record<string, unknown>): Record<string, unknown> {
  const { '@type': _t, ...fields } = json;
  try {
    return readMessageFromJson<Record<string, unknown>>(TYPES[kind], fields).message;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const name = String(json.name ?? json.cluster_name ?? '?');
    const type = TYPES[kind].split('.').pop();
    throw new ResourceDecodeError(`${type} "${name}": ${err.issues.map(formatIssue).join('; ')}`);
  }
}

const KIND_BY_TYPE_URL = new Map(Object.entries(TYPES).map(([kind, type]) => [`type.googleapis.com/${type}`, kind as Kind]));

/**
 * One resource by its xDS type URL, not through the cache above: for a caller that
 * keeps the packed result itself (the discovery server's resource pool), so decoded
 * messages are not held twice.
 */
export function decodeXdsResource(typeUrl: string, json: Record<string, unknown>): Record<string, unknown> {
  const kind = KIND_BY_TYPE_URL.get(typeUrl);
  if (!kind) throw new ResourceDecodeError(`${typeUrl}: not a type translation produces`);
  return decodeUncached(kind, json);
}

export function decodeProxyResources(r: ProxyResources): ProxyResources {
  const out = { ...r };
  for (const kind of Object.keys(TYPES) as Kind[]) out[kind] = r[kind].map((res) => decodeResource(kind, res));
  return out;
}
