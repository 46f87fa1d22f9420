// Protobuf MergeFrom over skein's in-memory messages. Envoy merges --config-yaml
// into the --config-path bootstrap this way, so the rules are C++ MergeFrom's:
//   - repeated fields append; map entries are added, same key replaced;
//   - singular sub-messages merge field by field (wrappers and Duration included:
//     they are messages too, so `1s` over `0.25s` gives 1.25s, as in Envoy);
//   - scalars and enums override, except proto3 scalars without presence holding
//     their default (0, "", false, first enum value), which MergeFrom skips;
//   - setting one member of a oneof clears the others;
//   - Any is replaced whole (its payload is opaque bytes to MergeFrom);
//     google.protobuf.Struct merges key by key (each key's value replaced), ListValue
//     appends, and a Value merges only with a Value of the same kind.
import protobuf from 'protobufjs';
import { findMessageType } from '../proto/root.js';
import { copyFieldSpans, fieldSpanOf, recordFieldSpan, recordSpan, spanOf } from './spans.js';

function isPlainMessage(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !Buffer.isBuffer(v);
}

function isWellKnownValue(v: Record<string, unknown>): boolean {
  const keys = Object.keys(v);
  // Duration/Timestamp ({seconds,nanos}) and wrappers ({value}) replace as a whole.
  return keys.length > 0 && keys.every((k) => k === 'seconds' || k === 'nanos' || k === 'value');
}

/**
 * Merges `source` over `target` (neither is modified). With `typeName` (e.g.
 * "envoy.config.bootstrap.v3.Bootstrap") the merge follows the schema exactly as
 * MergeFrom does; without it, a shape-based approximation is used.
 */
export function mergeMessages<T extends Record<string, unknown>>(target: T, source: Record<string, unknown>, typeName?: string): T {
  const type = typeName ? findMessageType(typeName) : undefined;
  if (typeName && !type) throw new Error(`unknown message type ${typeName}`);
  return (type ? mergeTyped(type, target, source) : mergeUntyped(target, source)) as T;
}

function keepSpan(out: object, target: object, source: object): void {
  const span = spanOf(target) ?? spanOf(source);
  if (span) recordSpan(out, span);
}

/** Lists append; each item keeps the line it was written at. */
function concat(existing: unknown[], added: unknown[]): unknown[] {
  const out = [...existing, ...added];
  existing.forEach((_, i) => recordFieldSpan(out, i, fieldSpanOf(existing, i)));
  added.forEach((_, i) => recordFieldSpan(out, existing.length + i, fieldSpanOf(added, i)));
  return out;
}

/** Map entries of `added` replace those of `existing` with the same key. */
function overlay(existing: Record<string, unknown>, added: Record<string, unknown>): Record<string, unknown> {
  const out = { ...existing, ...added };
  copyFieldSpans(existing, out);
  copyFieldSpans(added, out);
  return out;
}

function setField(out: Record<string, unknown>, key: string, value: unknown, from: object): void {
  out[key] = value;
  recordFieldSpan(out, key, fieldSpanOf(from, key));
}

function mergeUntyped(target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  copyFieldSpans(target, out);
  for (const [key, value] of Object.entries(source)) {
    const existing = out[key];
    if (Array.isArray(value) && Array.isArray(existing)) out[key] = concat(existing, value);
    else if (isPlainMessage(value) && isPlainMessage(existing) && !isWellKnownValue(value) && !('@type' in value)) {
      out[key] = mergeUntyped(existing, value);
    } else setField(out, key, value, source);
  }
  keepSpan(out, target, source);
  return out;
}

function isDefaultScalar(field: protobuf.Field, v: unknown): boolean {
  if (v === 0 || v === '' || v === false) return true;
  if (Buffer.isBuffer(v)) return v.length === 0;
  const resolved = field.resolvedType;
  return resolved instanceof protobuf.Enum && v === resolved.valuesById[0];
}

function mergeTyped(type: protobuf.Type, target: Record<string, unknown>, source: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  copyFieldSpans(target, out);
  for (const field of type.fieldsArray) {
    const value = source[field.name];
    if (value === undefined) continue;
    const existing = out[field.name];
    if (field.map) {
      out[field.name] = overlay(isPlainMessage(existing) ? existing : {}, value as Record<string, unknown>);
      if (existing === undefined) recordFieldSpan(out, field.name, fieldSpanOf(source, field.name));
      continue;
    }
    if (field.repeated) {
      out[field.name] = concat(Array.isArray(existing) ? existing : [], value as unknown[]);
      if (existing === undefined) recordFieldSpan(out, field.name, fieldSpanOf(source, field.name));
      continue;
    }
    const resolved = field.resolvedType;
    const isMessage = resolved instanceof protobuf.Type;
    // proto3 scalars without presence: a default value in the source is "not set".
    if (!isMessage && !field.partOf && isDefaultScalar(field, value)) continue;
    if (field.partOf) {
      for (const other of field.partOf.fieldsArray) if (other.name !== field.name) delete out[other.name];
    }
    const merged = isMessage && existing !== undefined ? mergeSubMessage(resolved, existing, value) : value;
    if (merged === value) setField(out, field.name, value, source);
    else out[field.name] = merged;
  }
  keepSpan(out, target, source);
  return out;
}

function mergeSubMessage(type: protobuf.Type, existing: unknown, value: unknown): unknown {
  switch (type.fullName) {
    case '.google.protobuf.Any':
      return value;
    // Value is a oneof: the same kind merges (struct_value by key, list_value appends), others replace.
    case '.google.protobuf.Value':
    case '.google.protobuf.Struct':
    case '.google.protobuf.ListValue':
      if (Array.isArray(existing) && Array.isArray(value)) return concat(existing, value);
      if (isPlainMessage(existing) && isPlainMessage(value)) return overlay(existing, value);
      return value;
    default:
      return isPlainMessage(existing) && isPlainMessage(value) ? mergeTyped(type, existing, value) : value;
  }
}
