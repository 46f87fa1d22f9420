// `-o json` / `-o yaml` as istioctl prints them. istioctl re-encodes what it read
// from the proxy with Go's protojson: lowerCamelCase field names (a proxy's
// /config_dump has proto names), 4-space indentation, and for YAML the JSON turned
// into YAML with sorted keys (sigs.k8s.io/yaml). The renaming walks Envoy's own
// protos (DESIGN.md §4.1): map keys and google.protobuf.Struct contents (metadata
// such as filter_metadata.istio) are data, not field names, and stay as they are.
import protobuf from 'protobufjs';
import YAML from 'yaml';
import { jsonNameOf } from '../api/json/from-json.js';
import { findMessageType } from '../api/proto/root.js';
import { isObject, type Json } from './fields.js';

export type OutputFormat = 'short' | 'json' | 'yaml';

const VERBATIM = new Set(['.google.protobuf.Struct', '.google.protobuf.Value', '.google.protobuf.ListValue']);

function renameMessage(type: protobuf.Type, value: unknown): unknown {
  if (VERBATIM.has(type.fullName) || !isObject(value)) return value;
  if (type.fullName === '.google.protobuf.Any') return renameAny(value);
  const byName = new Map<string, protobuf.Field>();
  for (const f of type.fieldsArray) {
    byName.set(f.name, f);
    byName.set(jsonNameOf(f.name), f);
  }
  const out: Json = {};
  // Declaration order, as protojson prints; then anything the schema does not know.
  const known = new Set<string>();
  for (const f of type.fieldsArray) {
    for (const key of [f.name, jsonNameOf(f.name)]) {
      if (!(key in value) || known.has(key)) continue;
      known.add(f.name).add(jsonNameOf(f.name));
      out[jsonNameOf(f.name)] = renameField(f, value[key]);
    }
  }
  for (const [k, v] of Object.entries(value)) {
    if (!known.has(k) && !byName.has(k)) out[k === '@type' ? k : jsonNameOf(k)] = v;
  }
  return out;
}

function renameField(f: protobuf.Field, v: unknown): unknown {
  const t = f.resolvedType;
  if (!(t instanceof protobuf.Type)) return v;
  if (f.map && isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, item]) => [k, renameMessage(t, item)]));
  if (f.repeated && Array.isArray(v)) return v.map((item) => renameMessage(t, item));
  return renameMessage(t, v);
}

function renameAny(value: Json): unknown {
  const url = value['@type'];
  const type = typeof url === 'string' ? findMessageType(url) : undefined;
  // Well-known types packed in an Any print as {"@type", "value"}; leave those alone.
  if (!type || type.fullName.startsWith('.google.protobuf.')) return value;
  const { '@type': _t, ...rest } = value;
  return { '@type': url, ...(renameMessage(type, rest) as Json) };
}

/** A message of `typeName` (e.g. "envoy.config.listener.v3.Listener") with istioctl's field names. */
export function camelCaseMessage(typeName: string, value: unknown): unknown {
  const type = findMessageType(typeName);
  return type ? renameMessage(type, value) : value;
}

/** Any-shaped messages (carrying "@type"): each renamed by its own type. */
export function camelCaseAny(value: unknown): unknown {
  return isObject(value) ? renameAny(value) : value;
}

export function renderJson(value: unknown): string {
  return JSON.stringify(value, null, 4) + '\n';
}

export function renderYaml(value: unknown): string {
  return YAML.stringify(value, { sortMapEntries: true, indentSeq: false, lineWidth: 0 });
}

/** JSON or YAML text of `value` for `-o json|yaml`. */
export function renderStructured(format: 'json' | 'yaml', value: unknown): string {
  return format === 'yaml' ? renderYaml(value) : renderJson(value);
}

export function parseOutputFormat(raw: string | undefined): OutputFormat | undefined {
  const v = raw ?? 'short';
  return v === 'short' || v === 'json' || v === 'yaml' ? v : undefined;
}
