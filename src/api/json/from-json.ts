// Proto3 JSON mapping → skein's in-memory message form, driven by protobufjs
// reflection over Envoy's own protos. One walker serves YAML bootstraps, JSON files,
// xDS resources from folders and (after binary decode) xDS protobuf, so every source
// gets the same checks: unknown fields, wrong types, oneof conflicts and the
// protoc-gen-validate rules, each reported with the field path and source line.
import protobuf from 'protobufjs';
import { findMessageType, TYPE_URL_PREFIX } from '../proto/root.js';
import type { PositionIndex, SourceSpan } from '../yaml/source.js';
import { ConfigError, type ConfigIssue } from './issues.js';
import { checkDuration, checkEnum, checkNumber, checkRepeated, checkString, fieldRules, oneofRequired, type Rules } from './pgv.js';
import { closestMatch } from './suggest.js';
import { parseDuration, parseTimestamp } from './wkt.js';
import { recordSpan } from './spans.js';

export interface JsonReadOptions {
  positions?: PositionIndex;
  /** Span used when a value's own position is unknown (e.g. the document start). */
  fallbackSpan?: SourceSpan;
  /** Path prefix shown in messages, e.g. "static_resources.clusters[0]". */
  pathPrefix?: string;
}

interface Location {
  path: string;
  container: unknown;
  key: string | number;
}

const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const UNSIGNED = new Set(['uint32', 'fixed32', 'uint64', 'fixed64']);
const BITS_32 = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32']);

const WRAPPER_KIND: Record<string, string> = {
  '.google.protobuf.DoubleValue': 'double', '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64', '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32', '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool', '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};
const TYPED_STRUCTS = new Set(['.udpa.type.v1.TypedStruct', '.xds.type.v3.TypedStruct']);

/** lowerCamelCase JSON name of a proto field, as protoc computes it. */
export function jsonNameOf(protoName: string): string {
  return protoName.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

const fieldIndexCache = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

function fieldIndex(type: protobuf.Type): Map<string, protobuf.Field> {
  let index = fieldIndexCache.get(type);
  if (!index) {
    index = new Map();
    for (const field of type.fieldsArray) {
      index.set(field.name, field);
      index.set(jsonNameOf(field.name), field);
      const custom = field.options?.json_name as string | undefined;
      if (custom) index.set(custom, field);
    }
    fieldIndexCache.set(type, index);
  }
  return index;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `the ${typeof value} ${String(value)}`;
}

const shortName = (t: protobuf.ReflectionObject) => t.fullName.replace(/^\./, '');

export class ProtoJsonReader {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  constructor(private readonly options: JsonReadOptions = {}) {}

  private spanOf(loc: Location): SourceSpan | undefined {
    return this.options.positions?.of(loc.container, loc.key) ?? this.options.fallbackSpan;
  }

  private fail(loc: Location, message: string): undefined {
    this.issues.push({ path: loc.path, message, span: this.spanOf(loc) });
    return undefined;
  }

  private child(loc: Location, container: unknown, key: string | number, shown: string): Location {
    const path = typeof key === 'number' ? `${loc.path}[${key}]` : loc.path ? `${loc.path}.${shown}` : shown;
    return { path, container, key };
  }

  /** Reads `value` as a message of `type`; `root` names the value for error messages. */
  readRoot(type: protobuf.Type, value: unknown, rootContainer?: unknown, rootKey?: string | number): Record<string, unknown> | undefined {
    const loc: Location = { path: this.options.pathPrefix ?? '', container: rootContainer, key: rootKey ?? '' };
    return this.readMessage(type, value, loc) as Record<string, unknown> | undefined;
  }

  readMessage(type: protobuf.Type, value: unknown, loc: Location): unknown {
    const wkt = this.readWellKnown(type, value, loc);
    if (wkt !== NOT_WELL_KNOWN) return wkt;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      return this.fail(loc, `expected an object (${shortName(type)}), got ${describe(value)}`);
    }
    const index = fieldIndex(type);
    const out: Record<string, unknown> = {};
    const oneofChosen = new Map<string, string>();
    for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
      const field = index.get(key);
      const fieldLoc = this.child(loc, value, key, field?.name ?? key);
      if (!field) {
        const hint = closestMatch(key, type.fieldsArray.map((f) => f.name));
        this.fail(fieldLoc, `unknown field "${key}" in ${shortName(type)}${hint ? ` (did you mean "${hint}"?)` : ''}`);
        continue;
      }
      if (raw === null && field.type !== 'google.protobuf.Value') continue; // null means "unset" in proto3 JSON
      if (field.name in out) {
        this.fail(fieldLoc, `field "${field.name}" is set twice (as "${field.name}" and "${jsonNameOf(field.name)}")`);
        continue;
      }
      if (field.partOf) {
        const other = oneofChosen.get(field.partOf.name);
        if (other) {
          this.fail(fieldLoc, `only one of ${field.partOf.oneof.map((n) => `"${n}"`).join(', ')} may be set; found "${other}" and "${field.name}"`);
          continue;
        }
        oneofChosen.set(field.partOf.name, field.name);
      }
      if (field.options?.deprecated === true) {
        this.warnings.push({ path: fieldLoc.path, message: `field "${field.name}" of ${shortName(type)} is deprecated`, span: this.spanOf(fieldLoc) });
      }
      const parsed = this.readField(field, raw, fieldLoc);
      if (parsed !== undefined) out[field.name] = parsed;
    }
    this.checkAbsentFields(type, out, loc, value);
    for (const oneof of type.oneofsArray) {
      if (!oneofChosen.has(oneof.name) && oneofRequired(oneof)) {
        this.fail(loc, `one of ${oneof.oneof.map((n) => `"${n}"`).join(', ')} is required in ${shortName(type)}`);
      }
    }
    const span = this.spanOf(loc);
    if (span) recordSpan(out, span);
    return out;
  }

  /** PGV checks proto3 scalars even when absent (absent == default), and `required` messages. */
  private checkAbsentFields(type: protobuf.Type, out: Record<string, unknown>, loc: Location, input: unknown): void {
    for (const field of type.fieldsArray) {
      if (field.name in out || field.partOf) continue;
      const rules = fieldRules(field);
      if (!rules) continue;
      const at = this.child(loc, input, field.name, field.name);
      const here: Location = { ...at, container: loc.container, key: loc.key };
      if (rules.message?.required) {
        this.fail(here, `field "${field.name}" is required in ${shortName(type)}`);
        continue;
      }
      if (field.repeated || field.map) {
        const r = field.map ? rules.map : rules.repeated;
        const min = field.map ? r?.min_pairs : r?.min_items;
        if (min !== undefined && Number(min) > 0) this.fail(here, `field "${field.name}" needs at least ${min} item(s) in ${shortName(type)}`);
        continue;
      }
      if (field.resolvedType) {
        if (field.resolvedType instanceof protobuf.Type) {
          const kind = field.resolvedType.fullName.slice('.google.protobuf.'.length).toLowerCase();
          if (rules[kind]?.required) this.fail(here, `field "${field.name}" is required in ${shortName(type)}`);
        }
        continue;
      }
      if (field.type === 'string' && rules.string && !rules.string.ignore_empty) {
        const problem = checkString('', rules.string);
        if (problem) this.fail(here, `field "${field.name}" is required in ${shortName(type)} (${problem})`);
      } else if (rules[field.type] && !rules[field.type].ignore_empty && field.type !== 'bool') {
        const problem = checkNumber(0, rules[field.type]);
        if (problem) this.fail(here, `field "${field.name}" must be set in ${shortName(type)} (${problem})`);
      }
    }
  }

  private readField(field: protobuf.Field, raw: unknown, loc: Location): unknown {
    const rules = fieldRules(field);
    if (field.map) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return this.fail(loc, `expected a map (object), got ${describe(raw)}`);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        const value = this.readSingular(field, v, this.child(loc, raw, k, k), rules?.map?.values);
        if (value !== undefined) out[k] = value;
      }
      const count = Object.keys(out).length;
      if (rules?.map?.min_pairs !== undefined && count < Number(rules.map.min_pairs)) this.fail(loc, `needs at least ${rules.map.min_pairs} entries`);
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(raw)) return this.fail(loc, `expected a list, got ${describe(raw)}`);
      const out: unknown[] = [];
      raw.forEach((item, i) => {
        const value = this.readSingular(field, item, this.child(loc, raw, i, String(i)), rules?.repeated?.items);
        if (value !== undefined) out.push(value);
      });
      if (rules?.repeated) {
        const problem = checkRepeated(raw.length, rules.repeated);
        if (problem) this.fail(loc, problem);
        if (rules.repeated.unique && new Set(out.map((v) => JSON.stringify(v))).size !== out.length) this.fail(loc, 'items must be unique');
      }
      return out;
    }
    return this.readSingular(field, raw, loc, rules ?? undefined);
  }

  private readSingular(field: protobuf.Field, raw: unknown, loc: Location, rules: Rules | undefined): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) {
      const value = this.readMessage(resolved, raw, loc);
      if (value !== undefined && rules) this.checkMessageRules(resolved, value, rules, loc);
      return value;
    }
    if (resolved instanceof protobuf.Enum) {
      const value = this.readEnum(resolved, raw, loc);
      if (value !== undefined && rules?.enum) {
        const problem = checkEnum(String(value), typeof value === 'number' ? value : resolved.values[value]!, rules.enum);
        if (problem) this.fail(loc, problem);
      }
      return value;
    }
    const value = this.readScalar(field.type, raw, loc);
    if (value !== undefined && rules) this.checkScalarRules(field.type, value, rules, loc);
    return value;
  }

  private checkScalarRules(kind: string, value: unknown, rules: Rules, loc: Location): void {
    let problem: string | null = null;
    if (kind === 'string' && rules.string) problem = checkString(value as string, rules.string);
    else if (kind === 'bytes' && rules.bytes) problem = checkString((value as Buffer).toString('latin1'), rules.bytes);
    else if (rules[kind] && typeof value === 'number') problem = checkNumber(value, rules[kind]);
    if (problem) this.fail(loc, problem);
  }

  private checkMessageRules(type: protobuf.Type, value: unknown, rules: Rules, loc: Location): void {
    const wrapped = WRAPPER_KIND[type.fullName];
    if (wrapped) {
      const inner = (value as { value?: unknown }).value;
      if (inner !== undefined) this.checkScalarRules(wrapped, inner, rules, loc);
      return;
    }
    if (type.fullName === '.google.protobuf.Duration' && rules.duration) {
      const problem = checkDuration(value as { seconds?: number; nanos?: number }, rules.duration);
      if (problem) this.fail(loc, problem);
    }
    if (type.fullName === '.google.protobuf.Any' && rules.any?.in) {
      const allowed = ([] as string[]).concat(rules.any.in);
      const url = (value as { '@type': string })['@type'];
      if (!allowed.includes(url)) this.fail(loc, `type ${url} is not allowed here; expected one of ${allowed.join(', ')}`);
    }
  }

  private readEnum(type: protobuf.Enum, raw: unknown, loc: Location): string | number | undefined {
    if (typeof raw === 'string') {
      if (raw in type.values) return raw;
      const hint = closestMatch(raw, Object.keys(type.values));
      return this.fail(loc, `unknown enum value "${raw}"${hint ? ` (did you mean "${hint}"?)` : ''}; ${shortName(type)} has ${Object.keys(type.values).join(', ')}`);
    }
    if (typeof raw === 'number' && Number.isInteger(raw)) {
      const name = type.valuesById[raw];
      return name ?? raw;
    }
    return this.fail(loc, `expected an enum value name (${Object.keys(type.values).join(', ')}), got ${describe(raw)}`);
  }

  readScalar(kind: string, raw: unknown, loc: Location): unknown {
    if (kind === 'string') {
      if (typeof raw === 'string') return raw;
      // YAML turns `name: 8080` into a number; accept its text for string fields.
      if (typeof raw === 'number' || typeof raw === 'boolean') return String(raw);
      return this.fail(loc, `expected a string, got ${describe(raw)}`);
    }
    if (kind === 'bool') {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      return this.fail(loc, `expected true or false, got ${describe(raw)}`);
    }
    if (kind === 'bytes') {
      if (typeof raw !== 'string') return this.fail(loc, `expected base64 text, got ${describe(raw)}`);
      const normalized = raw.replace(/-/g, '+').replace(/_/g, '/');
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(normalized.replace(/\s+/g, ''))) return this.fail(loc, 'expected base64 text');
      return Buffer.from(normalized, 'base64');
    }
    if (kind === 'double' || kind === 'float') {
      if (typeof raw === 'number') return raw;
      if (raw === 'NaN') return NaN;
      if (raw === 'Infinity') return Infinity;
      if (raw === '-Infinity') return -Infinity;
      if (typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw))) return Number(raw);
      return this.fail(loc, `expected a number, got ${describe(raw)}`);
    }
    if (INT_TYPES.has(kind)) {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) return this.fail(loc, `expected an integer, got ${describe(raw)}`);
      if (UNSIGNED.has(kind) && n < 0) return this.fail(loc, `expected a non-negative integer, got ${n}`);
      if (BITS_32.has(kind)) {
        const [lo, hi] = UNSIGNED.has(kind) ? [0, 0xffffffff] : [-0x80000000, 0x7fffffff];
        if (n < lo || n > hi) return this.fail(loc, `integer ${n} is out of range for ${kind}`);
      }
      return n;
    }
    return this.fail(loc, `unsupported field kind ${kind}`);
  }

  private readWellKnown(type: protobuf.Type, raw: unknown, loc: Location): unknown {
    const name = type.fullName;
    if (!name.startsWith('.google.protobuf.') && !TYPED_STRUCTS.has(name)) return NOT_WELL_KNOWN;
    const wrapped = WRAPPER_KIND[name];
    if (wrapped) {
      const value = this.readScalar(wrapped, raw, loc);
      return value === undefined ? undefined : { value };
    }
    switch (name) {
      case '.google.protobuf.Duration': {
        if (typeof raw === 'string') {
          const d = parseDuration(raw.trim());
          return d ?? this.fail(loc, `expected a duration such as "5s" or "0.25s", got ${describe(raw)}`);
        }
        if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
          const { seconds = 0, nanos = 0, ...rest } = raw as Record<string, unknown>;
          if (Object.keys(rest).length || !Number.isFinite(Number(seconds)) || !Number.isFinite(Number(nanos))) {
            return this.fail(loc, 'expected a duration such as "5s" or {seconds, nanos}');
          }
          return { seconds: Number(seconds), nanos: Number(nanos) };
        }
        return this.fail(loc, `expected a duration such as "5s", got ${describe(raw)}`);
      }
      case '.google.protobuf.Timestamp': {
        const t = typeof raw === 'string' ? parseTimestamp(raw) : undefined;
        return t ?? this.fail(loc, `expected an RFC 3339 timestamp, got ${describe(raw)}`);
      }
      case '.google.protobuf.Struct':
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return this.fail(loc, `expected an object, got ${describe(raw)}`);
        return structuredClone(raw);
      case '.google.protobuf.Value':
        return structuredClone(raw);
      case '.google.protobuf.ListValue':
        if (!Array.isArray(raw)) return this.fail(loc, `expected a list, got ${describe(raw)}`);
        return structuredClone(raw);
      case '.google.protobuf.Empty':
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length) {
          return this.fail(loc, `expected an empty object {}, got ${describe(raw)}`);
        }
        return {};
      case '.google.protobuf.FieldMask':
        if (typeof raw !== 'string') return this.fail(loc, `expected a field mask such as "a.b,c", got ${describe(raw)}`);
        return { paths: raw.split(',').filter(Boolean).map((p) => p.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())) };
      case '.google.protobuf.Any':
        return this.readAny(raw, loc);
      default:
        if (TYPED_STRUCTS.has(name)) return this.readTypedStruct(raw, loc);
        return NOT_WELL_KNOWN;
    }
  }

  /** Any: `{ "@type": url, ...fields }`; a WKT payload sits under `value`. */
  private readAny(raw: unknown, loc: Location): unknown {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return this.fail(loc, `expected a typed object with "@type", got ${describe(raw)}`);
    const obj = raw as Record<string, unknown>;
    const url = obj['@type'];
    if (typeof url !== 'string' || !url) return this.fail(loc, 'missing "@type" (the type URL of this config, e.g. type.googleapis.com/envoy....)');
    const type = findMessageType(url);
    const typeLoc = this.child(loc, obj, '@type', '@type');
    if (!type) return this.fail(typeLoc, `unknown type URL "${url}"`);
    if (TYPED_STRUCTS.has(type.fullName)) return this.readTypedStruct({ ...obj, '@type': undefined }, loc);
    const { '@type': _drop, ...fields } = obj;
    if (type.fullName.startsWith('.google.protobuf.') && type.fullName !== '.google.protobuf.Empty') {
      const inner = this.readWellKnown(type, fields.value, this.child(loc, obj, 'value', 'value'));
      return inner === undefined ? undefined : { '@type': url, value: inner };
    }
    const positions = this.options.positions;
    if (positions) for (const k of Object.keys(fields)) { const s = positions.of(obj, k); if (s) positions.record(fields, k, s); }
    const inner = this.readMessage(type, fields, loc);
    if (inner === undefined) return undefined;
    const result = { '@type': url, ...(inner as Record<string, unknown>) };
    const span = this.spanOf(loc);
    if (span) recordSpan(result, span);
    return result;
  }

  /** TypedStruct carries a message as a Struct; Envoy converts it to the real type. */
  private readTypedStruct(raw: unknown, loc: Location): unknown {
    const obj = (raw ?? {}) as Record<string, unknown>;
    const url = obj.type_url ?? obj.typeUrl;
    if (typeof url !== 'string') return this.fail(loc, 'TypedStruct needs "type_url"');
    const type = findMessageType(url);
    if (!type) return this.fail(this.child(loc, obj, 'type_url', 'type_url'), `unknown type URL "${url}"`);
    const inner = this.readMessage(type, obj.value ?? {}, this.child(loc, obj, 'value', 'value'));
    return inner === undefined ? undefined : { '@type': url.includes('/') ? url : TYPE_URL_PREFIX + url, ...(inner as object) };
  }
}

const NOT_WELL_KNOWN = Symbol('not a well-known type');

/**
 * Reads `value` as the message `typeName` and throws ConfigError listing every
 * problem found (not just the first).
 */
export function readMessageFromJson<T>(typeName: string, value: unknown, options: JsonReadOptions = {}): { message: T; warnings: ConfigIssue[] } {
  const type = findMessageType(typeName);
  if (!type) throw new Error(`unknown message type ${typeName}`);
  const reader = new ProtoJsonReader(options);
  const message = reader.readRoot(type, value);
  if (reader.issues.length || message === undefined) throw new ConfigError(reader.issues);
  return { message: message as T, warnings: reader.warnings };
}
