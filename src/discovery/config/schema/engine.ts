// A small schema language for the Istio and Kubernetes objects the config store reads,
// and the walker that checks a parsed YAML value against it. Istio's protos are not
// among the API protos we ship (see api/istio/types.ts), so the schemas are written
// here, next to each other, and mirror types.ts field for field.
//
// The walker copies what it accepts into fresh objects (normalizing loose values,
// e.g. "80" for a port number, "http" for a Gateway protocol), remembers where each
// field was written (positions.ts), and reports every problem at once with its line
// and field path, like the proxy's Envoy config parser does.
import { closestMatch } from '../../../api/json/suggest.js';
import type { PositionIndex, SourceSpan } from '../../../api/yaml/source.js';
import { recordPosition } from '../positions.js';

interface Common {
  /** A missing required field is an error naming the field. */
  required?: boolean;
}

export interface ObjectSchema extends Common {
  type: 'object';
  fields: Record<string, Schema>;
  /** Groups of fields of which at most one may be set (a proto oneof). */
  exclusive?: readonly (readonly string[])[];
  /** Rules across fields, run on the accepted object when its fields had no errors. */
  check?: (value: Record<string, unknown>, report: Reporter) => void;
}

export type Schema = Common &
  (
    | { type: 'string'; check?: (value: string) => string | undefined }
    | { type: 'int'; min?: number; max?: number }
    | { type: 'number'; min?: number; max?: number }
    | { type: 'bool' }
    | { type: 'enum'; values: readonly string[]; ignoreCase?: boolean }
    | { type: 'duration' }
    | { type: 'intOrString' }
    | { type: 'base64' }
    | { type: 'list'; of: Schema; nonEmpty?: boolean }
    | { type: 'map'; of: Schema }
    /** Any value; `mapOnly` requires a map (a loosely kept spec). */
    | { type: 'any'; mapOnly?: boolean }
    /** A field Istio or Kubernetes has but skein does not implement: a warning, and dropped. */
    | { type: 'unsupported' }
    | ObjectSchema
  );

export interface Reporter {
  /**
   * An error about the field at `path` below the checked object (its line and
   * field path, e.g. `error(msg, 'subsets', 1, 'name')`), or about the object itself.
   */
  error(message: string, ...path: (string | number)[]): void;
}

export interface SchemaIssue {
  /** Only `unsupported` fields give warnings; everything else is an error. */
  severity: 'error' | 'warning';
  path: string;
  line: number;
  column: number;
  message: string;
}

/** Marks a field as required: `host: req(str())`. */
export const req = <S extends Schema>(schema: S): S => ({ ...schema, required: true });
export const str = (check?: (value: string) => string | undefined): Schema => ({ type: 'string', check });
export const int = (min?: number, max?: number): Schema => ({ type: 'int', min, max });
export const num = (min?: number, max?: number): Schema => ({ type: 'number', min, max });
export const bool = (): Schema => ({ type: 'bool' });
export const oneOf = (values: readonly string[], ignoreCase = false): Schema => ({ type: 'enum', values, ignoreCase });
export const duration = (): Schema => ({ type: 'duration' });
export const intOrString = (): Schema => ({ type: 'intOrString' });
export const base64 = (): Schema => ({ type: 'base64' });
export const list = (of: Schema, nonEmpty = false): Schema => ({ type: 'list', of, nonEmpty });
export const map = (of: Schema): Schema => ({ type: 'map', of });
export const any = (): Schema => ({ type: 'any' });
export const looseMap = (): Schema => ({ type: 'any', mapOnly: true });
export const unsupported = (): Schema => ({ type: 'unsupported' });
export const obj = (fields: Record<string, Schema>, extra: Omit<ObjectSchema, 'type' | 'fields'> = {}): ObjectSchema => ({ type: 'object', fields, ...extra });
export const stringMap = (): Schema => map(str());
/** A TCP/UDP port number. */
export const port = (): Schema => int(1, 65535);

const INVALID = Symbol('invalid');

/** Go's time.ParseDuration syntax, which Istio accepts: "5s", "1.5s", "100ms", "1h30m". */
const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

/**
 * Checks `value` against `schema`. Returns the accepted copy, or undefined when
 * anything was wrong (every problem is in `issues`).
 */
export function checkValue(value: unknown, schema: Schema, at: SourceSpan, positions: PositionIndex, issues: SchemaIssue[], path = ''): unknown {
  const walker = new Walker(positions, issues);
  const before = errorCount(issues);
  const out = walker.walk(value, schema, { path, at, container: undefined, key: undefined });
  return out === INVALID || errorCount(issues) > before ? undefined : out;
}

function errorCount(issues: readonly SchemaIssue[]): number {
  let n = 0;
  for (const i of issues) if (i.severity === 'error') n++;
  return n;
}

interface Loc {
  path: string;
  at: SourceSpan;
  /** The input container and key holding the value (for the scalar's source text). */
  container: object | undefined;
  key: string | number | undefined;
}

class Walker {
  constructor(
    private readonly positions: PositionIndex,
    private readonly issues: SchemaIssue[],
  ) {}

  private fail(loc: Loc, message: string): typeof INVALID {
    this.issues.push({ severity: 'error', path: loc.path, line: loc.at.line, column: loc.at.column, message });
    this.errors++;
    return INVALID;
  }

  /** Errors reported so far (warnings do not make anything invalid). */
  private errors = 0;

  private child(loc: Loc, container: object, key: string | number): Loc {
    const path = typeof key === 'number' ? `${loc.path}[${key}]` : joinPath(loc.path, key);
    return { path, at: this.positions.of(container, key) ?? loc.at, container, key };
  }

  walk(value: unknown, schema: Schema, loc: Loc): unknown {
    switch (schema.type) {
      case 'string': {
        let s: string;
        if (typeof value === 'string') s = value;
        // An unquoted `version: 1.10` is still the text the user wrote.
        else if (typeof value === 'number' || typeof value === 'boolean') s = (loc.container && this.positions.textOf(loc.container, loc.key!)) ?? String(value);
        else return this.fail(loc, `expected a string, got ${describe(value)}`);
        const problem = schema.check?.(s);
        return problem ? this.fail(loc, problem) : s;
      }
      case 'int':
      case 'number': {
        const n = typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
        const what = schema.type === 'int' ? 'an integer' : 'a number';
        if (typeof n !== 'number' || !Number.isFinite(n) || (schema.type === 'int' && !Number.isInteger(n))) return this.fail(loc, `expected ${what}, got ${describe(value)}`);
        if ((schema.min !== undefined && n < schema.min) || (schema.max !== undefined && n > schema.max)) {
          return this.fail(loc, `${n} is out of range (${schema.min ?? '-∞'}..${schema.max ?? '∞'})`);
        }
        return n;
      }
      case 'bool':
        return typeof value === 'boolean' ? value : this.fail(loc, `expected true or false, got ${describe(value)}`);
      case 'enum': {
        if (typeof value !== 'string') return this.fail(loc, `expected one of ${schema.values.join(', ')}, got ${describe(value)}`);
        const found = schema.values.find((v) => v === value || (schema.ignoreCase && v.toLowerCase() === value.toLowerCase()));
        if (found !== undefined) return found;
        const guess = closestMatch(value, [...schema.values]);
        return this.fail(loc, `unknown value "${value}"${guess ? ` (did you mean "${guess}"?)` : ''}; expected one of ${schema.values.join(', ')}`);
      }
      case 'duration':
        if (typeof value === 'string' && DURATION.test(value)) return value;
        return this.fail(loc, `expected a duration such as "5s", "0.25s" or "100ms", got ${describe(value)}`);
      case 'intOrString':
        if (typeof value === 'number' && Number.isInteger(value)) return value;
        if (typeof value === 'string' && value !== '') return /^\d+$/.test(value) ? Number(value) : value;
        return this.fail(loc, `expected a port number or name, got ${describe(value)}`);
      case 'base64':
        if (typeof value !== 'string') return this.fail(loc, `expected base64 text, got ${describe(value)}`);
        if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value.replace(/\s+/g, '')) || value.replace(/\s+/g, '').length % 4 !== 0) {
          return this.fail(loc, 'invalid base64 text (data values must be base64-encoded; put plain text under stringData)');
        }
        return Buffer.from(value, 'base64');
      case 'unsupported':
        this.issues.push({ severity: 'warning', path: loc.path, line: loc.at.line, column: loc.at.column, message: 'not supported by skein yet; ignored' });
        return INVALID;
      case 'any':
        if (schema.mapOnly && !isMap(value)) return this.fail(loc, `expected a map, got ${describe(value)}`);
        return value;
      case 'list':
        return this.walkList(value, schema, loc);
      case 'map':
        return this.walkMap(value, schema.of, loc);
      case 'object':
        return this.walkObject(value, schema, loc);
    }
  }

  private walkList(value: unknown, schema: { of: Schema; nonEmpty?: boolean }, loc: Loc): unknown {
    if (!Array.isArray(value)) return this.fail(loc, `expected a list, got ${describe(value)}`);
    if (schema.nonEmpty && value.length === 0) return this.fail(loc, 'must have at least one item');
    const out: unknown[] = [];
    let ok = true;
    value.forEach((item, i) => {
      const itemLoc = this.child(loc, value, i);
      if (item === null) {
        this.fail(itemLoc, 'empty list item');
        ok = false;
        return;
      }
      const v = this.walk(item, schema.of, itemLoc);
      if (v === INVALID) ok = false;
      recordPosition(out, out.length, ref(itemLoc.at));
      out.push(v);
    });
    return ok ? out : INVALID;
  }

  private walkMap(value: unknown, of: Schema, loc: Loc): unknown {
    if (!isMap(value)) return this.fail(loc, `expected a map, got ${describe(value)}`);
    const out: Record<string, unknown> = {};
    let ok = true;
    for (const [k, v] of Object.entries(value)) {
      const itemLoc = this.child(loc, value, k);
      const accepted = v === null && of.type === 'string' ? this.fail(itemLoc, 'expected a string, got null (write "" for an empty value)') : this.walk(v, of, itemLoc);
      if (accepted === INVALID) ok = false;
      else out[k] = accepted;
      recordPosition(out, k, ref(itemLoc.at));
    }
    return ok ? out : INVALID;
  }

  private walkObject(value: unknown, schema: ObjectSchema, loc: Loc): unknown {
    if (!isMap(value)) return this.fail(loc, `expected a map, got ${describe(value)}`);
    const before = this.errors;
    const out: Record<string, unknown> = {};
    const known = Object.keys(schema.fields);
    for (const [k, v] of Object.entries(value)) {
      const fieldLoc = this.child(loc, value, k);
      const field = schema.fields[k];
      if (!field) {
        const guess = closestMatch(k, known);
        this.fail(fieldLoc, guess ? `unknown field (did you mean "${guess}"?)` : `unknown field (known fields: ${known.join(', ')})`);
        continue;
      }
      // `field:` with nothing after it is null in YAML; Kubernetes treats it as unset.
      if (v === null) continue;
      const accepted = this.walk(v, field, fieldLoc);
      if (accepted === INVALID && field.type === 'unsupported') continue;
      if (accepted === INVALID) continue;
      out[k] = accepted;
      recordPosition(out, k, ref(fieldLoc.at));
    }
    for (const [k, field] of Object.entries(schema.fields)) {
      if (field.required && (value[k] === undefined || value[k] === null)) this.fail({ ...loc, path: joinPath(loc.path, k) }, 'missing required field');
    }
    for (const group of schema.exclusive ?? []) {
      const set = group.filter((k) => value[k] !== undefined && value[k] !== null);
      if (set.length > 1) this.fail(loc, `only one of ${group.join(', ')} may be set (found ${set.join(' and ')})`);
    }
    if (this.errors > before) return INVALID;
    schema.check?.(out, {
      error: (message, ...path) => {
        let at = loc;
        let container: unknown = value;
        for (const key of path) {
          if (!container || typeof container !== 'object') break;
          at = this.child(at, container, key);
          container = (container as Record<string | number, unknown>)[key];
        }
        this.fail(at, message);
      },
    });
    return this.errors > before ? INVALID : out;
  }
}

export function joinPath(path: string, key: string): string {
  const part = /^[A-Za-z_$][\w$-]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (!path) return part;
  return part.startsWith('[') ? `${path}${part}` : `${path}.${part}`;
}

export function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !Buffer.isBuffer(value);
}

function ref(span: SourceSpan): { file: string; line: number } {
  return { file: span.file ?? '', line: span.line };
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return `"${value.length > 40 ? value.slice(0, 40) + '…' : value}"`;
  return String(value);
}
