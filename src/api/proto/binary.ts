// Protobuf wire format ⇄ skein's in-memory messages (see src/api/json/wkt.ts). xDS
// resources arrive as Any-packed binary; after decoding they must be the very same
// objects a YAML bootstrap produces, so one set of config builders serves both.
// protobufjs does the encoding; this module bridges the two differences between its
// object form and ours: Any (ours is unpacked, '@type' plus fields) and Struct/Value
// (ours is plain JSON).
import protobuf from 'protobufjs';
import { findMessageType } from './root.js';

const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: String, defaults: false, arrays: false, objects: false, oneofs: false };

export class UnknownTypeError extends Error {}

function requireType(nameOrUrl: string): protobuf.Type {
  const type = findMessageType(nameOrUrl);
  if (!type) throw new UnknownTypeError(`unknown message type ${nameOrUrl}`);
  return type;
}

// ---- decoding -----------------------------------------------------------------

/** Decodes `bytes` as `typeName` into the in-memory form. */
export function messageFromBinary<T = Record<string, unknown>>(typeName: string, bytes: Uint8Array): T {
  const type = requireType(typeName);
  return fromProtobufjs(type, type.toObject(type.decode(bytes), TO_OBJECT)) as T;
}

/** A packed Any ({type_url, value}) → `{ '@type': url, ...fields }`. */
export function unpackAny(any: { type_url?: string; value?: Uint8Array }): Record<string, unknown> {
  const url = any.type_url ?? '';
  const type = requireType(url);
  const inner = fromProtobufjs(type, type.toObject(type.decode(any.value ?? new Uint8Array()), TO_OBJECT));
  // Well-known payloads sit under `value`, as in proto3 JSON (and from-json.ts).
  if (isWellKnownPayload(type)) return { '@type': url, value: inner };
  return { '@type': url, ...(inner as Record<string, unknown>) };
}

function isWellKnownPayload(type: protobuf.Type): boolean {
  return type.fullName.startsWith('.google.protobuf.') && type.fullName !== '.google.protobuf.Empty';
}

function fromProtobufjs(type: protobuf.Type, obj: unknown): unknown {
  switch (type.fullName) {
    case '.google.protobuf.Any':
      return unpackAny(obj as { type_url?: string; value?: Uint8Array });
    case '.google.protobuf.Struct':
      return structToJson(obj as { fields?: Record<string, unknown> });
    case '.google.protobuf.Value':
      return valueToJson(obj as Record<string, unknown>);
    case '.google.protobuf.ListValue':
      return ((obj as { values?: unknown[] }).values ?? []).map((v) => valueToJson(v as Record<string, unknown>));
    default:
      break;
  }
  if (obj === null || typeof obj !== 'object') return obj;
  const src = obj as Record<string, unknown>;
  for (const field of type.fieldsArray) {
    const v = src[field.name];
    if (v === undefined || !(field.resolvedType instanceof protobuf.Type)) continue;
    const sub = field.resolvedType;
    if (field.map) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) out[k] = fromProtobufjs(sub, item);
      src[field.name] = out;
    } else if (field.repeated) src[field.name] = (v as unknown[]).map((item) => fromProtobufjs(sub, item));
    else src[field.name] = fromProtobufjs(sub, v);
  }
  return src;
}

function structToJson(s: { fields?: Record<string, unknown> }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(s.fields ?? {})) out[k] = valueToJson(v as Record<string, unknown>);
  return out;
}

// protobufjs defines google.protobuf.Value itself, with camelCase field names.
function valueToJson(v: Record<string, unknown>): unknown {
  if (v.numberValue !== undefined) return v.numberValue;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.structValue !== undefined) return structToJson(v.structValue as { fields?: Record<string, unknown> });
  if (v.listValue !== undefined) return ((v.listValue as { values?: unknown[] }).values ?? []).map((x) => valueToJson(x as Record<string, unknown>));
  return null;
}

// ---- encoding -----------------------------------------------------------------

/** Encodes an in-memory message of `typeName` to protobuf bytes. */
export function messageToBinary(typeName: string, message: unknown): Uint8Array {
  const type = requireType(typeName);
  return type.encode(type.fromObject(toProtobufjs(type, message) as Record<string, unknown>)).finish();
}

/** `{ '@type': url, ...fields }` → a packed Any ({type_url, value}). */
export function packAny(message: Record<string, unknown>): { type_url: string; value: Uint8Array } {
  const url = message['@type'] as string;
  const type = requireType(url);
  const { '@type': _t, ...fields } = message;
  const inner = isWellKnownPayload(type) ? fields.value : fields;
  return { type_url: url, value: type.encode(type.fromObject(toProtobufjs(type, inner) as Record<string, unknown>)).finish() };
}

function toProtobufjs(type: protobuf.Type, value: unknown): unknown {
  switch (type.fullName) {
    case '.google.protobuf.Any':
      return packAny(value as Record<string, unknown>);
    case '.google.protobuf.Struct':
      return jsonToStruct(value as Record<string, unknown>);
    case '.google.protobuf.Value':
      return jsonToValue(value);
    case '.google.protobuf.ListValue':
      return { values: (value as unknown[]).map(jsonToValue) };
    default:
      break;
  }
  if (value === null || typeof value !== 'object' || Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
  const src = value as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = src[field.name];
    if (v === undefined) continue;
    if (!(field.resolvedType instanceof protobuf.Type)) {
      out[field.name] = v;
      continue;
    }
    const sub = field.resolvedType;
    if (field.map) out[field.name] = Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, item]) => [k, toProtobufjs(sub, item)]));
    else if (field.repeated) out[field.name] = (v as unknown[]).map((item) => toProtobufjs(sub, item));
    else out[field.name] = toProtobufjs(sub, v);
  }
  return out;
}

function jsonToStruct(obj: Record<string, unknown>): { fields: Record<string, unknown> } {
  const fields: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj ?? {})) fields[k] = jsonToValue(v);
  return { fields };
}

function jsonToValue(v: unknown): Record<string, unknown> {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(jsonToValue) } };
  return { structValue: jsonToStruct(v as Record<string, unknown>) };
}
