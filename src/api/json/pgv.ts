// protoc-gen-validate rules, read from the `(validate.rules)` field options that
// Envoy's protos carry, checked against parsed values. Messages are phrased for
// people editing YAML ("value must be greater than 0s"), not as generated code does.
import type protobuf from 'protobufjs';
import { formatDuration, type Duration } from './wkt.js';

export type Rules = Record<string, any>;

const rulesCache = new WeakMap<protobuf.Field, Rules | null>();

/** The merged `(validate.rules)` of a field, or null when it has none. */
export function fieldRules(field: protobuf.Field): Rules | null {
  const cached = rulesCache.get(field);
  if (cached !== undefined) return cached;
  let rules: Rules | null = null;
  for (const opt of (field.parsedOptions as unknown as Array<Record<string, any>> | null) ?? []) {
    const r = opt['(validate.rules)'];
    if (r && typeof r === 'object') rules = deepMerge(rules ?? {}, r);
  }
  rulesCache.set(field, rules);
  return rules;
}

export function oneofRequired(oneof: protobuf.OneOf): boolean {
  if (oneof.options?.['(validate.required)'] === true) return true;
  for (const opt of (oneof.parsedOptions as unknown as Array<Record<string, any>> | null) ?? []) {
    if (opt['(validate.required)'] === true) return true;
  }
  return false;
}

function deepMerge(a: Rules, b: Rules): Rules {
  const out: Rules = { ...a };
  for (const [k, v] of Object.entries(b)) {
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && out[k] && typeof out[k] === 'object' ? deepMerge(out[k], v) : v;
  }
  return out;
}

const NUMERIC_KINDS = ['double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64'];

const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : [v]);

/** Checks a numeric value against e.g. `{ gt: 0, lte: 65535 }`; returns a message or null. */
export function checkNumber(value: number, rules: Rules): string | null {
  const n = (v: unknown) => Number(v);
  if (rules.const !== undefined && value !== n(rules.const)) return `value must equal ${rules.const}`;
  const hasLow = rules.gt !== undefined || rules.gte !== undefined;
  const hasHigh = rules.lt !== undefined || rules.lte !== undefined;
  const lowOk = rules.gt !== undefined ? value > n(rules.gt) : rules.gte !== undefined ? value >= n(rules.gte) : true;
  const highOk = rules.lt !== undefined ? value < n(rules.lt) : rules.lte !== undefined ? value <= n(rules.lte) : true;
  const low = rules.gt !== undefined ? `greater than ${rules.gt}` : `at least ${rules.gte}`;
  const high = rules.lt !== undefined ? `less than ${rules.lt}` : `at most ${rules.lte}`;
  if (hasLow && hasHigh) {
    if (!lowOk || !highOk) return `value must be ${low} and ${high}, got ${value}`;
  } else if (hasLow && !lowOk) return `value must be ${low}, got ${value}`;
  else if (hasHigh && !highOk) return `value must be ${high}, got ${value}`;
  if (rules.in !== undefined && !asList(rules.in).map(n).includes(value)) return `value must be one of [${asList(rules.in).join(', ')}]`;
  if (rules.not_in !== undefined && asList(rules.not_in).map(n).includes(value)) return `value must not be one of [${asList(rules.not_in).join(', ')}]`;
  return null;
}

// Envoy's HTTP_HEADER_NAME / _VALUE with strict=false only forbid NUL, CR and LF.
const LOOSE_HEADER = /^[^\0\r\n]*$/;
const STRICT_HEADER_NAME = /^:?[0-9a-zA-Z!#$%&'*+\-.^_|~`]+$/;
// eslint-disable-next-line no-control-regex
const STRICT_HEADER_VALUE = /^[^\u0000-\u0008\u000A-\u001F\u007F]*$/;

export function checkString(value: string, rules: Rules): string | null {
  const chars = [...value].length;
  if (rules.const !== undefined && value !== rules.const) return `value must equal "${rules.const}"`;
  if (rules.len !== undefined && chars !== Number(rules.len)) return `value length must be ${rules.len} characters`;
  if (rules.min_len !== undefined && chars < Number(rules.min_len)) {
    return chars === 0 ? 'value is required (must not be empty)' : `value length must be at least ${rules.min_len} characters`;
  }
  if (rules.max_len !== undefined && chars > Number(rules.max_len)) return `value length must be at most ${rules.max_len} characters`;
  const bytes = Buffer.byteLength(value);
  if (rules.min_bytes !== undefined && bytes < Number(rules.min_bytes)) return `value must be at least ${rules.min_bytes} bytes`;
  if (rules.max_bytes !== undefined && bytes > Number(rules.max_bytes)) return `value must be at most ${rules.max_bytes} bytes`;
  if (rules.prefix !== undefined && !value.startsWith(rules.prefix)) return `value must start with "${rules.prefix}"`;
  if (rules.suffix !== undefined && !value.endsWith(rules.suffix)) return `value must end with "${rules.suffix}"`;
  if (rules.contains !== undefined && !value.includes(rules.contains)) return `value must contain "${rules.contains}"`;
  if (rules.not_contains !== undefined && value.includes(rules.not_contains)) return `value must not contain "${rules.not_contains}"`;
  if (rules.in !== undefined && !asList(rules.in).includes(value)) return `value must be one of [${asList(rules.in).join(', ')}]`;
  if (rules.not_in !== undefined && asList(rules.not_in).includes(value)) return `value must not be one of [${asList(rules.not_in).join(', ')}]`;
  if (rules.pattern !== undefined) {
    let re: RegExp | null = null;
    try {
      re = new RegExp(String(rules.pattern), 'u');
    } catch {
      re = null; // RE2-only syntax: skip rather than reject valid config
    }
    if (re && !re.test(value)) return `value does not match the pattern ${rules.pattern}`;
  }
  const strict = rules.strict !== false;
  if (rules.well_known_regex === 'HTTP_HEADER_NAME') {
    if (!(strict ? STRICT_HEADER_NAME : LOOSE_HEADER).test(value)) return 'value is not a valid HTTP header name';
  } else if (rules.well_known_regex === 'HTTP_HEADER_VALUE') {
    if (!(strict ? STRICT_HEADER_VALUE : LOOSE_HEADER).test(value)) return 'value is not a valid HTTP header value';
  }
  return null;
}

export function checkDuration(d: Duration, rules: Rules): string | null {
  const nanos = (x: Duration) => (x.seconds ?? 0) * 1e9 + (x.nanos ?? 0);
  const v = nanos(d);
  const cmp = (key: string, ok: (limit: number) => boolean, word: string): string | null => {
    const limit = rules[key] as Duration | undefined;
    if (limit === undefined) return null;
    return ok(nanos(limit)) ? null : `value must be ${word} ${formatDuration(limit)}, got ${formatDuration(d)}`;
  };
  return (
    cmp('gt', (l) => v > l, 'greater than') ??
    cmp('gte', (l) => v >= l, 'at least') ??
    cmp('lt', (l) => v < l, 'less than') ??
    cmp('lte', (l) => v <= l, 'at most') ??
    cmp('const', (l) => v === l, 'exactly')
  );
}

export function checkRepeated(count: number, rules: Rules): string | null {
  if (rules.min_items !== undefined && count < Number(rules.min_items)) {
    return count === 0 ? `at least ${rules.min_items} item(s) required` : `must have at least ${rules.min_items} item(s), got ${count}`;
  }
  if (rules.max_items !== undefined && count > Number(rules.max_items)) return `must have at most ${rules.max_items} item(s), got ${count}`;
  return null;
}

export function checkEnum(name: string, number: number, rules: Rules): string | null {
  if (rules.const !== undefined && number !== Number(rules.const)) return `value must be ${rules.const}`;
  if (rules.in !== undefined && !asList(rules.in).map(Number).includes(number)) return `value ${name} is not allowed here`;
  if (rules.not_in !== undefined && asList(rules.not_in).map(Number).includes(number)) return `value ${name} is not allowed here`;
  return null;
}

/** The key of the scalar rule set for a proto scalar type (`uint32` → rules.uint32). */
export function scalarRuleKind(protoType: string): string {
  return NUMERIC_KINDS.includes(protoType) ? protoType : protoType;
}
