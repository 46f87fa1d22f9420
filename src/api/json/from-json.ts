// Proto3 JSON mapping → skein's in-memory message form, driven by protobufjs
// reflection over Envoy's own protos. One walker serves YAML bootstraps, JSON files,
// xDS resources from folders and (after binary decode) xDS protobuf, so every source
// gets the same checks: unknown fields, wrong types, oneof conflicts and the
// protoc-gen-validate rules, each reported with the field path and source line.
import protobuf from 'protobufjs';
import { findMessageType, messageTypeNames, TYPE_URL_PREFIX, typeNameOfUrl } from '../proto/root.js';
import type { PositionIndex, SourceSpan } from '../yaml/source.js';
import { ConfigError, type ConfigIssue } from './issues.js';
import { checkDuration, checkEnum, checkNumber, checkRepeated, checkString, fieldRules, oneofRequired, type Rules } from './pgv.js';
import { closestMatch } from './suggest.js';
import { durationOf, parseDuration, parseTimestamp } from './wkt.js';
import { copyFieldSpans, fieldSpanOf, recordFieldSpan, recordSpan } from './spans.js';

export interface JsonReadOptions {
  positions?: PositionIndex;
  /** Span used when a value's own position is unknown (e.g. the document start). */
  fallbackSpan?: SourceSpan;
  /** Path prefix shown in messages, e.g. "static_resources.clusters[0]". */
  pathPrefix?: string;
  /**
   * Check the schema only (types, unknown fields, oneof conflicts) and leave the
   * protoc-gen-validate rules for later: Envoy validates a bootstrap after merging
   * --config-yaml into it, so either part alone may be incomplete.
   */
  skipRules?: boolean;
  /** Remember the source line of every field of the result (see spans.ts). */
  keepFieldSpans?: boolean;
}

export interface Location {
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

/** Fields marked (udpa.annotations.sensitive) hold key material: never echo their values. */
function isSensitiveField(field: protobuf.Field): boolean {
  if (field.options?.['(udpa.annotations.sensitive)'] === true) return true;
  for (const opt of (field.parsedOptions as unknown as Array<Record<string, unknown>> | null) ?? []) {
    if (opt['(udpa.annotations.sensitive)'] === true) return true;
  }
  return false;
}

function describe(value: unknown, redact = false): string {
  if (redact && (typeof value === 'string' || typeof value === 'number')) return `a ${typeof value} (value hidden: sensitive field)`;
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `the ${typeof value} ${String(value)}`;
}

const shortName = (t: protobuf.ReflectionObject) => t.fullName.replace(/^\./, '');

export class ProtoJsonReader {
  readonly issues: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];

  /** >0 while reading inside a sensitive field (private keys, passwords). */
  private sensitiveDepth = 0;

  constructor(protected readonly options: JsonReadOptions = {}) {}

  protected describe(value: unknown): string {
    return describe(value, this.sensitiveDepth > 0);
  }

  protected spanOf(loc: Location): SourceSpan | undefined {
    return this.options.positions?.of(loc.container, loc.key) ?? fieldSpanOf(loc.container, loc.key) ?? this.options.fallbackSpan;
  }

  protected fail(loc: Location, message: string): undefined {
    this.issues.push({ path: loc.path, message, span: this.spanOf(loc) });
    return undefined;
  }

  protected child(loc: Location, container: unknown, key: string | number, shown: string): Location {
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
      return this.fail(loc, `expected an object (${shortName(type)}), got ${this.describe(value)}`);
    }
    const index = fieldIndex(type);
    const out: Record<string, unknown> = {};
    const oneofChosen = new Map<string, string>();
    for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
      const field = index.get(key);
      const fieldLoc = this.child(loc, value, key, field?.name ?? key);
      if (!field) {
        this.fail(fieldLoc, unknownFieldMessage(type, key));
        continue;
      }
      // null means "unset" in proto3 JSON, except for google.protobuf.Value where it is NULL_VALUE.
      if (raw === null && field.resolvedType?.fullName !== '.google.protobuf.Value') continue;
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
      const sensitive = isSensitiveField(field);
      if (sensitive) this.sensitiveDepth++;
      const parsed = this.readField(field, raw, fieldLoc);
      if (sensitive) this.sensitiveDepth--;
      if (parsed !== undefined) {
        out[field.name] = parsed;
        if (this.options.keepFieldSpans) recordFieldSpan(out, field.name, this.spanOf(fieldLoc));
      }
    }
    if (!this.options.skipRules) {
      this.checkAbsentFields(type, out, loc, value);
      this.checkRequiredOneofs(type, new Set(oneofChosen.keys()), loc);
    }
    const span = this.spanOf(loc);
    if (span) recordSpan(out, span);
    return out;
  }

  /** `chosen`: the names of the oneofs that have a member set. */
  protected checkRequiredOneofs(type: protobuf.Type, chosen: Set<string>, loc: Location): void {
    for (const oneof of type.oneofsArray) {
      if (chosen.has(oneof.name) || !oneofRequired(oneof)) continue;
      this.fail(loc, `one of ${oneof.oneof.map((n) => `"${n}"`).join(', ')} is required in ${shortName(type)}`);
    }
  }

  /** PGV checks proto3 scalars even when absent (absent == default), and `required` messages. */
  protected checkAbsentFields(type: protobuf.Type, out: Record<string, unknown>, loc: Location, input: unknown): void {
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
        if (problem === EMPTY_STRING_PROBLEM) this.fail(here, `field "${field.name}" is required in ${shortName(type)}`);
        else if (problem) this.fail(here, `field "${field.name}" is required in ${shortName(type)} (${problem})`);
      } else if (rules[field.type] && !rules[field.type].ignore_empty && field.type !== 'bool') {
        const problem = checkNumber(0, rules[field.type]);
        if (problem) this.fail(here, `field "${field.name}" must be set in ${shortName(type)} (${problem})`);
      }
    }
  }

  private readField(field: protobuf.Field, raw: unknown, loc: Location): unknown {
    const rules = this.options.skipRules ? null : fieldRules(field);
    const keepSpans = this.options.keepFieldSpans === true;
    if (field.map) {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return this.fail(loc, `expected a map (object), got ${this.describe(raw)}`);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        const entryLoc = this.child(loc, raw, k, k);
        const value = this.readSingular(field, v, entryLoc, rules?.map?.values);
        if (value !== undefined) {
          out[k] = value;
          if (keepSpans) recordFieldSpan(out, k, this.spanOf(entryLoc));
        }
      }
      const count = Object.keys(out).length;
      if (rules?.map?.min_pairs !== undefined && count < Number(rules.map.min_pairs)) this.fail(loc, `needs at least ${rules.map.min_pairs} entries`);
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(raw)) return this.fail(loc, `expected a list, got ${this.describe(raw)}`);
      const out: unknown[] = [];
      raw.forEach((item, i) => {
        const itemLoc = this.child(loc, raw, i, String(i));
        const value = this.readSingular(field, item, itemLoc, rules?.repeated?.items);
        if (value !== undefined) {
          if (keepSpans) recordFieldSpan(out, out.length, this.spanOf(itemLoc));
          out.push(value);
        }
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
      if (value !== undefined && rules?.enum && !this.checkEnumRules(resolved, value, rules, loc)) return undefined;
      return value;
    }
    const value = this.readScalar(field.type, raw, loc);
    if (value !== undefined && rules) this.checkScalarRules(field.type, value, rules, loc);
    return value;
  }

  /** False when the value breaks the rules (the problem is recorded). */
  protected checkEnumRules(type: protobuf.Enum, value: string | number, rules: Rules, loc: Location): boolean {
    if (!rules.enum) return true;
    if (rules.enum.defined_only && typeof value === 'number' && type.valuesById[value] === undefined) {
      this.fail(loc, `${value} is not a defined value of ${shortName(type)} (${Object.keys(type.values).join(', ')})`);
      return false;
    }
    const problem = checkEnum(String(value), typeof value === 'number' ? value : type.values[value]!, rules.enum);
    if (problem) this.fail(loc, problem);
    return !problem;
  }

  protected checkScalarRules(kind: string, value: unknown, rules: Rules, loc: Location): void {
    // PGV's ignore_empty: the rules apply only when the value differs from the default.
    if (rules[kind]?.ignore_empty && (value === '' || value === 0 || (Buffer.isBuffer(value) && value.length === 0))) return;
    let problem: string | null = null;
    if (kind === 'string' && rules.string) problem = checkString(value as string, rules.string);
    else if (kind === 'bytes' && rules.bytes) problem = checkString((value as Buffer).toString('latin1'), rules.bytes);
    else if (rules[kind] && typeof value === 'number') problem = checkNumber(value, rules[kind]);
    if (problem) this.fail(loc, problem);
  }

  protected checkMessageRules(type: protobuf.Type, value: unknown, rules: Rules, loc: Location): void {
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
    return this.fail(loc, `expected an enum value name (${Object.keys(type.values).join(', ')}), got ${this.describe(raw)}`);
  }

  readScalar(kind: string, raw: unknown, loc: Location): unknown {
    if (kind === 'string') {
      if (typeof raw === 'string') return raw;
      // YAML turns `name: 8080` into a number; accept its text, as written, for string fields.
      if (typeof raw === 'number' || typeof raw === 'boolean') return this.options.positions?.textOf(loc.container, loc.key) ?? String(raw);
      return this.fail(loc, `expected a string, got ${this.describe(raw)}`);
    }
    if (kind === 'bool') {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === 'false') return raw === 'true';
      return this.fail(loc, `expected true or false, got ${this.describe(raw)}`);
    }
    if (kind === 'bytes') {
      if (typeof raw !== 'string') return this.fail(loc, `expected base64 text, got ${this.describe(raw)}`);
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
      return this.fail(loc, `expected a number, got ${this.describe(raw)}`);
    }
    if (INT_TYPES.has(kind)) {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) return this.fail(loc, `expected an integer, got ${this.describe(raw)}`);
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
          return d ?? this.fail(loc, durationProblem(raw));
        }
        if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
          const { seconds = 0, nanos = 0, ...rest } = raw as Record<string, unknown>;
          if (Object.keys(rest).length || !Number.isFinite(Number(seconds)) || !Number.isFinite(Number(nanos))) {
            return this.fail(loc, 'expected a duration such as "5s" or {seconds, nanos}');
          }
          return durationOf(Number(seconds), Number(nanos));
        }
        return this.fail(loc, durationProblem(raw));
      }
      case '.google.protobuf.Timestamp': {
        const t = typeof raw === 'string' ? parseTimestamp(raw) : undefined;
        return t ?? this.fail(loc, `expected an RFC 3339 timestamp, got ${this.describe(raw)}`);
      }
      case '.google.protobuf.Struct':
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return this.fail(loc, `expected an object, got ${this.describe(raw)}`);
        return structuredClone(raw);
      case '.google.protobuf.Value':
        return structuredClone(raw);
      case '.google.protobuf.ListValue':
        if (!Array.isArray(raw)) return this.fail(loc, `expected a list, got ${this.describe(raw)}`);
        return structuredClone(raw);
      case '.google.protobuf.Empty':
        if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || Object.keys(raw).length) {
          return this.fail(loc, `expected an empty object {}, got ${this.describe(raw)}`);
        }
        return {};
      case '.google.protobuf.FieldMask':
        if (typeof raw !== 'string') return this.fail(loc, `expected a field mask such as "a.b,c", got ${this.describe(raw)}`);
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
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return this.fail(loc, `expected a typed object with "@type", got ${this.describe(raw)}`);
    const obj = raw as Record<string, unknown>;
    const url = obj['@type'];
    const typeLoc = this.child(loc, obj, '@type', '@type');
    if (url === undefined || url === null || url === '') {
      return this.fail(loc, 'missing "@type" (the type URL of the config inside, e.g. "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager")');
    }
    if (typeof url !== 'string') return this.fail(typeLoc, `expected a type URL string, got ${this.describe(url)}`);
    if (!url.includes('/')) {
      return this.fail(typeLoc, `invalid type URL "${url}": type URLs have the form type.googleapis.com/${url}`);
    }
    const type = findMessageType(url);
    if (!type) return this.fail(typeLoc, unknownTypeMessage(url));
    if (TYPED_STRUCTS.has(type.fullName)) {
      const { '@type': _t, ...struct } = obj;
      const positions = this.options.positions;
      if (positions) for (const k of Object.keys(struct)) { const s = positions.of(obj, k); if (s) positions.record(struct, k, s); }
      return this.readTypedStruct(struct, loc);
    }
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
    if (this.options.keepFieldSpans) copyFieldSpans(inner as object, result);
    return result;
  }

  /** TypedStruct carries a message as a Struct; Envoy converts it to the real type. */
  private readTypedStruct(raw: unknown, loc: Location): unknown {
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return this.fail(loc, `expected a TypedStruct object, got ${this.describe(raw)}`);
    const obj = raw as Record<string, unknown>;
    let ok = true;
    for (const key of Object.keys(obj)) {
      if (!['type_url', 'typeUrl', 'value'].includes(key)) {
        const hint = closestMatch(key, ['type_url', 'value']);
        this.fail(this.child(loc, obj, key, key), `unknown field "${key}" in TypedStruct${hint ? ` (did you mean "${hint}"?)` : ''}`);
        ok = false;
      }
    }
    const urlKey = 'type_url' in obj ? 'type_url' : 'typeUrl';
    const url = obj[urlKey];
    if (typeof url !== 'string' || !url) return this.fail(loc, 'TypedStruct needs "type_url" (the type of the message in "value")');
    const type = findMessageType(url);
    if (!type) return this.fail(this.child(loc, obj, urlKey, 'type_url'), unknownTypeMessage(url));
    const inner = this.readMessage(type, obj.value ?? {}, this.child(loc, obj, 'value', 'value'));
    if (!ok) return undefined;
    if (inner === undefined) return undefined;
    const result = { '@type': url.includes('/') ? url : TYPE_URL_PREFIX + url, ...(inner as object) };
    const span = this.spanOf(loc);
    if (span) recordSpan(result, span);
    if (this.options.keepFieldSpans) copyFieldSpans(inner as object, result);
    return result;
  }
}

const NOT_WELL_KNOWN = Symbol('not a well-known type');

function durationProblem(raw: unknown): string {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const hint = /^-?\d+(\.\d{1,9})?$/.test(text) ? ` (did you mean "${text}s"?)` : '';
  return `expected a duration such as "5s" or "0.25s", got ${describe(raw)}${hint}`;
}

/** What checkString says about an empty string under `min_len: 1`, i.e. "required". */
const EMPTY_STRING_PROBLEM = checkString('', { min_len: 1 });

function unknownFieldMessage(type: protobuf.Type, key: string): string {
  const snake = key.replace(/([A-Z])/g, '_$1').toLowerCase();
  if (type.isReservedName(key) || type.isReservedName(snake)) {
    return `field "${key}" was removed from ${shortName(type)} (it is reserved in Envoy's v3 API)`;
  }
  const hint = closestMatch(key, type.fieldsArray.map((f) => f.name));
  return `unknown field "${key}" in ${shortName(type)}${hint ? ` (did you mean "${hint}"?)` : ''}`;
}

/** "unknown type URL", with the v3 name or a close spelling when there is one. */
function unknownTypeMessage(url: string): string {
  const name = typeNameOfUrl(url);
  const base = `unknown type URL "${url}"`;
  if (/\.v2(alpha|beta)?\d*\./.test(name) || name.startsWith('envoy.api.v2.') || name.startsWith('envoy.config.filter.')) {
    return `${base}: Envoy's v2 API is not supported; use the v3 type`;
  }
  // Every message the protos define, loaded yet or not (the Root loads files lazily).
  const hint = closestMatch(name, [...messageTypeNames()], 3);
  return hint ? `${base} (did you mean "${TYPE_URL_PREFIX}${hint}"?)` : base;
}

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
