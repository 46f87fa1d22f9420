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
