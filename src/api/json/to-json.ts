// skein's in-memory messages → proto3 JSON, as Envoy's admin (/config_dump: proto
// field names) and istioctl (-o json: lowerCamelCase) print them: fields in
// declaration order, 64-bit integers as strings, durations as "5s", Any with "@type",
// and fields marked (udpa.annotations.sensitive) redacted.
import protobuf from 'protobufjs';
import { findMessageType } from '../proto/root.js';
import { jsonNameOf } from './from-json.js';
import { formatDuration, formatTimestamp, type Duration } from './wkt.js';

export interface JsonWriteOptions {
  /** lowerCamelCase names (istioctl) instead of proto names (Envoy admin). */
  camelCase?: boolean;
  /** Replace sensitive fields (private keys) with "[redacted]". Default true. */
  redact?: boolean;
}

const INT64 = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const WRAPPERS = new Set([
  '.google.protobuf.DoubleValue', '.google.protobuf.FloatValue', '.google.protobuf.Int64Value', '.google.protobuf.UInt64Value',
  '.google.protobuf.Int32Value', '.google.protobuf.UInt32Value', '.google.protobuf.BoolValue', '.google.protobuf.StringValue',
  '.google.protobuf.BytesValue',
]);
const REDACTED = '[redacted]';

function isSensitive(field: protobuf.Field): boolean {
  if (field.options?.['(udpa.annotations.sensitive)'] === true) return true;
  for (const opt of (field.parsedOptions as unknown as Array<Record<string, unknown>> | null) ?? []) {
    if (opt['(udpa.annotations.sensitive)'] === true) return true;
  }
  return false;
}

export class ProtoJsonWriter {
  private readonly camel: boolean;
  private readonly redact: boolean;

  constructor(options: JsonWriteOptions = {}) {
    this.camel = options.camelCase === true;
    this.redact = options.redact !== false;
  }

  /**
   * `sensitive` is true inside a field marked (udpa.annotations.sensitive). Like
   * Envoy's MessageUtil::redact, every string and bytes field below it becomes
   * "[redacted]" and other scalars are dropped, so the shape of the config (which
   * DataSource variant was used) stays visible but not its content.
   */
  message(type: protobuf.Type, value: unknown, sensitive = false): unknown {
    const wkt = this.wellKnown(type, value, sensitive);
    if (wkt !== NOT_WKT) return wkt;
    if (value === null || typeof value !== 'object') return value;
    const src = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const field of type.fieldsArray) {
      const v = src[field.name];
      if (v === undefined) continue;
      const key = this.camel ? jsonNameOf(field.name) : field.name;
      const printed = this.field(field, v, sensitive || (this.redact && isSensitive(field)));
      if (printed !== undefined) out[key] = printed;
    }
    return out;
  }

  private field(field: protobuf.Field, v: unknown, sensitive: boolean): unknown {
    if (field.map) {
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v as Record<string, unknown>)) {
        const printed = this.single(field, item, sensitive);
        if (printed !== undefined) out[k] = printed;
      }
      return out;
    }
    if (field.repeated) return (v as unknown[]).map((item) => this.single(field, item, sensitive)).filter((x) => x !== undefined);
    return this.single(field, v, sensitive);
  }

  private single(field: protobuf.Field, v: unknown, sensitive: boolean): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return this.message(resolved, v, sensitive);
    if (sensitive) return redactScalar(field.type);
    if (resolved instanceof protobuf.Enum) return typeof v === 'number' ? (resolved.valuesById[v] ?? v) : v;
    return this.scalar(field.type, v);
  }

  private scalar(kind: string, v: unknown): unknown {
    if (INT64.has(kind)) return String(v);
    if (kind === 'bytes') return Buffer.isBuffer(v) ? v.toString('base64') : v;
    if (typeof v === 'number' && !Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    return v;
  }

  private wellKnown(type: protobuf.Type, value: unknown, sensitive = false): unknown {
    const name = type.fullName;
    if (!name.startsWith('.google.protobuf.')) return NOT_WKT;
    if (WRAPPERS.has(name)) {
      const kind = type.fields.value!.type;
      if (sensitive) return redactScalar(kind);
      const inner = (value as { value?: unknown })?.value;
      return this.scalar(kind, inner ?? (kind === 'bool' ? false : kind === 'string' ? '' : 0));
    }
    if (sensitive && name !== '.google.protobuf.Any') {
      if (name === '.google.protobuf.Struct' || name === '.google.protobuf.Value' || name === '.google.protobuf.ListValue') return redactJson(value);
      return undefined; // Duration, Timestamp, FieldMask, Empty: no strings to show
    }
    switch (name) {
      case '.google.protobuf.Duration':
        return formatDuration(value as Duration);
      case '.google.protobuf.Timestamp':
        return formatTimestamp(value as Duration);
      case '.google.protobuf.Struct':
      case '.google.protobuf.Value':
      case '.google.protobuf.ListValue':
        return value;
      case '.google.protobuf.Empty':
        return {};
      case '.google.protobuf.FieldMask':
        return ((value as { paths?: string[] }).paths ?? []).map(jsonNameOf).join(',');
      case '.google.protobuf.Any':
        return this.any(value as Record<string, unknown>, sensitive);
      default:
        return NOT_WKT;
    }
  }

  any(value: Record<string, unknown>, sensitive = false): unknown {
    const url = value['@type'] as string;
    const type = findMessageType(url);
    const { '@type': _t, ...rest } = value;
    if (!type) return sensitive ? { '@type': url, ...(redactJson(rest) as object) } : value;
    if (type.fullName.startsWith('.google.protobuf.') && type.fullName !== '.google.protobuf.Empty') {
      const inner = this.wellKnown(type, rest.value, sensitive);
      return inner === undefined ? { '@type': url } : { '@type': url, value: inner };
    }
    return { '@type': url, ...(this.message(type, rest, sensitive) as object) };
  }
}

const NOT_WKT = Symbol('not a well-known type');

function redactScalar(kind: string): unknown {
  if (kind === 'string') return REDACTED;
  if (kind === 'bytes') return Buffer.from(REDACTED).toString('base64');
  return undefined;
}

/** Struct/Value content under a sensitive field: keep keys, hide every leaf. */
function redactJson(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(redactJson);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redactJson(x)]));
  return v === null ? null : REDACTED;
}

/** Converts a message of `typeName` to proto3 JSON. */
export function messageToJson(typeName: string, value: unknown, options?: JsonWriteOptions): unknown {
  const type = findMessageType(typeName);
  if (!type) throw new Error(`unknown message type ${typeName}`);
  return new ProtoJsonWriter(options).message(type, value);
}

/** Converts an Any-shaped message ({ '@type', ... }) to proto3 JSON. */
export function anyToJson(value: Record<string, unknown>, options?: JsonWriteOptions): unknown {
  return new ProtoJsonWriter(options).any(value);
}
