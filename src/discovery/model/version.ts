// A content hash for PushContext.version: identical inputs give the identical
// version (so a rebuild after a no-op file save pushes nothing), any change gives a
// new one. Keys are sorted so object key order never matters; Buffers hash by content.
import { createHash } from 'node:crypto';

export function contentHash(parts: readonly unknown[]): string {
  const hash = createHash('sha256');
  for (const part of parts) {
    hash.update(stableJson(part));
    hash.update('\n');
  }
  return hash.digest('hex').slice(0, 16);
}

export function stableJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Buffer.isBuffer(value)) return JSON.stringify(`b64:${value.toString('base64')}`);
  if (value instanceof Map) return stableJson(Object.fromEntries([...value.entries()].map(([k, v]) => [String(k), v])));
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(obj[k])}`).join(',')}}`;
}

/**
 * Kinds the registry reads only for endpoints and workloads (never for services or
 * anything translation reads directly): a change to them alone is an endpoint change.
 */
export const ENDPOINT_KINDS: ReadonlySet<string> = new Set(['EndpointSlice', 'Endpoints', 'WorkloadEntry']);

export interface PushVersionInput {
  meshConfig: unknown;
  objects: readonly { apiVersion?: unknown; kind: string; metadata: unknown; spec?: unknown; source?: unknown }[];
  services: unknown;
  /** Endpoint lists by key, sorted by key. */
  endpoints: unknown;
  workloads: unknown;
}

/**
 * PushContext.version — contentHash of everything, exactly as before — and
 * configVersion, the same minus endpoints, workloads and ENDPOINT_KINDS objects but
 * plus each object's file:line (translation warnings quote it). Each object is
 * serialised once for both.
 */
export function pushVersions(input: PushVersionInput): { version: string; configVersion: string } {
  const mesh = stableJson(input.meshConfig);
  const services = stableJson(input.services);
  const all = createHash('sha256');
  const config = createHash('sha256');
  all.update(mesh).update('\n').update('[');
  config.update(mesh).update('\n');
  input.objects.forEach((o, i) => {
    const item = stableJson([o.apiVersion, o.kind, o.metadata, o.spec]);
    if (i > 0) all.update(',');
    all.update(item);
    if (!ENDPOINT_KINDS.has(o.kind)) config.update(item).update(stableJson(o.source)).update('\n');
  });
  all.update(']\n').update(services).update('\n');
  all.update(stableJson(input.endpoints)).update('\n');
  all.update(stableJson(input.workloads)).update('\n');
  config.update(services);
  return { version: all.digest('hex').slice(0, 16), configVersion: config.digest('hex').slice(0, 16) };
}
