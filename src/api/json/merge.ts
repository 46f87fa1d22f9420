// Protobuf MergeFrom over skein's in-memory messages: repeated fields append,
// sub-messages merge field by field, scalars and well-known values are replaced.
// Envoy merges --config-yaml into the --config-path bootstrap this way.

function isPlainMessage(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function isWellKnownValue(v: Record<string, unknown>): boolean {
  const keys = Object.keys(v);
  // Duration/Timestamp ({seconds,nanos}) and wrappers ({value}) replace as a whole.
  return keys.length > 0 && keys.every((k) => k === 'seconds' || k === 'nanos' || k === 'value');
}

export function mergeMessages<T extends Record<string, unknown>>(target: T, source: Record<string, unknown>): T {
  const out: Record<string, unknown> = { ...target };
  for (const [key, value] of Object.entries(source)) {
    const existing = out[key];
    if (Array.isArray(value) && Array.isArray(existing)) out[key] = [...existing, ...value];
    else if (isPlainMessage(value) && isPlainMessage(existing) && !isWellKnownValue(value)) {
      const typeChanged = '@type' in value && value['@type'] !== existing['@type'];
      out[key] = typeChanged ? value : mergeMessages(existing, value);
    } else out[key] = value;
  }
  return out as T;
}
