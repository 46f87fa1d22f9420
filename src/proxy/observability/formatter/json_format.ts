// Structured formats (json_format / typed_json_format) and the SubstitutionFormatString
// message that chooses between text and JSON. The JSON shape is compiled once into a
// tree whose leaves are constants, single operators or mixed format strings.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { readDataSource } from '../../common/data_source.js';
import {
  compileFormatString,
  ENVOY_DEFAULT_ACCESS_LOG_FORMAT,
  parseFormatString,
  renderPieces,
  valueToText,
  type FormatPiece,
  type OperatorPiece,
} from './format_string.js';
import type { FormatContext, Formatter } from './types.js';

export interface JsonFormatOptions {
  omitEmptyValues?: boolean;
  /**
   * Typed output (the default, as SubstitutionFormatString.json_format and
   * typed_json_format): a value that is one operator keeps its type (numbers,
   * JSON values; null when absent). Untyped (FileAccessLog's deprecated json_format)
   * renders every value as a string, "-" when absent.
   */
  typed?: boolean;
  /** json_format_options.sort_properties. */
  sortProperties?: boolean;
}

type Node =
  | { kind: 'const'; value: unknown }
  | { kind: 'op'; piece: OperatorPiece }
  | { kind: 'text'; pieces: FormatPiece[] }
  | { kind: 'object'; entries: Array<[string, Node]> }
  | { kind: 'list'; items: Node[] };

/** A bad format string inside json_format; `keyPath` is where, e.g. `request.path`. */
export class JsonFormatError extends Error {
  constructor(
    readonly keyPath: string,
    readonly reason: string,
  ) {
    super(`${keyPath}: ${reason}`);
  }
}

function compileNode(value: unknown, keyPath: string, sort: boolean): Node {
  if (typeof value === 'string') {
    if (!value.includes('%')) return { kind: 'const', value };
    let pieces: FormatPiece[];
    try {
      pieces = parseFormatString(value);
    } catch (err) {
      throw new JsonFormatError(keyPath, (err as Error).message);
    }
    if (pieces.length === 1 && typeof pieces[0] !== 'string') return { kind: 'op', piece: pieces[0]! };
    return { kind: 'text', pieces };
  }
  if (Array.isArray(value)) return { kind: 'list', items: value.map((v, i) => compileNode(v, `${keyPath}[${i}]`, sort)) };
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value);
    if (sort) keys.sort();
    const entries = keys.map((k): [string, Node] => [k, compileNode((value as Record<string, unknown>)[k], keyPath ? `${keyPath}.${k}` : k, sort)]);
    return { kind: 'object', entries };
  }
  return { kind: 'const', value };
}

const ABSENT = Symbol('absent');

function evaluate(node: Node, ctx: FormatContext, typed: boolean, omit: boolean): unknown {
  switch (node.kind) {
    case 'const':
      return node.value;
    case 'op': {
      const v = node.piece.get(ctx);
      if (v === undefined || v === null) return omit ? ABSENT : typed ? null : '-';
      // Envoy ignores the length limit for structured values; strings are still cut.
      if (typed && typeof v !== 'string') return v;
      return valueToText(v, node.piece.maxLength);
    }
    case 'text':
      return renderPieces(node.pieces, ctx, omit ? '' : '-');
    case 'list':
      return node.items.map((n) => evaluate(n, ctx, typed, omit)).filter((v) => v !== ABSENT);
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, n] of node.entries) {
        const v = evaluate(n, ctx, typed, omit);
        if (v !== ABSENT) out[k] = v;
      }
      return out;
    }
  }
}

/** Compiles a json_format struct; each rendering is one JSON object on one line plus "\n". */
export function compileJsonFormat(struct: Record<string, unknown>, options: JsonFormatOptions = {}): Formatter {
  const root = compileNode(struct, '', options.sortProperties === true);
  const typed = options.typed !== false;
  const omit = options.omitEmptyValues === true;
  return { format: (ctx) => JSON.stringify(evaluate(root, ctx, typed, omit)) + '\n' };
}

/** compileFormatString, with errors as ConfigError at `fieldPath`. */
export function compileTextFormatAt(template: string, fieldPath: string, owner: object, omitEmptyValues = false): Formatter {
  try {
    return compileFormatString(template, { omitEmptyValues });
  } catch (err) {
    throw ConfigError.single(fieldPath, (err as Error).message, spanOf(owner));
  }
}

/** compileJsonFormat, with errors as ConfigError naming the offending key under `fieldPath`. */
export function compileJsonFormatAt(struct: Record<string, unknown>, fieldPath: string, owner: object, options: JsonFormatOptions): Formatter {
  try {
    return compileJsonFormat(struct, options);
  } catch (err) {
    if (err instanceof JsonFormatError) throw ConfigError.single(`${fieldPath}.${err.keyPath}`, err.reason, spanOf(struct) ?? spanOf(owner));
    throw err;
  }
}

// Formatter extensions whose operators are built in (Istio adds them when its format
// uses %REQ_WITHOUT_QUERY% or %METADATA%); any other extension is rejected.
const BUILT_IN_FORMATTERS = new Set([
  'type.googleapis.com/envoy.extensions.formatter.req_without_query.v3.ReqWithoutQuery',
  'type.googleapis.com/envoy.extensions.formatter.metadata.v3.Metadata',
]);

function checkFormatterExtensions(list: envoy.config.core.v3.TypedExtensionConfig[] | undefined, path: string): void {
  (list ?? []).forEach((ext, i) => {
    const url = ext.typed_config?.['@type'] ?? '';
    if (!BUILT_IN_FORMATTERS.has(url)) {
      throw ConfigError.single(
        `${path}[${i}]`,
        `formatter extension "${ext.name ?? ''}" (${url || 'no typed_config'}) is not supported; supported: envoy.formatter.req_without_query, envoy.formatter.metadata`,
        spanOf(ext),
      );
    }
  });
}

/** envoy.config.core.v3.SubstitutionFormatString; undefined → Envoy's default access log format. */
export function compileSubstitutionFormat(cfg: envoy.config.core.v3.SubstitutionFormatString | undefined, path: string): Formatter {
  if (!cfg) return compileFormatString(ENVOY_DEFAULT_ACCESS_LOG_FORMAT);
  const chosen = (['text_format', 'json_format', 'text_format_source'] as const).filter((f) => cfg[f] !== undefined);
  if (chosen.length !== 1) {
    throw ConfigError.single(
      path,
      chosen.length ? `only one of ${chosen.join(', ')} may be set` : 'one of text_format, json_format, text_format_source must be set',
      spanOf(cfg),
    );
  }
  checkFormatterExtensions(cfg.formatters, `${path}.formatters`);
  const omit = cfg.omit_empty_values === true;
  if (cfg.json_format !== undefined) {
    return compileJsonFormatAt(cfg.json_format, `${path}.json_format`, cfg, {
      omitEmptyValues: omit,
      sortProperties: cfg.json_format_options?.sort_properties === true,
    });
  }
  if (cfg.text_format_source !== undefined) {
    const text = readDataSource(cfg.text_format_source, `${path}.text_format_source`);
    return compileTextFormatAt(text, `${path}.text_format_source`, cfg, omit);
  }
  return compileTextFormatAt(cfg.text_format!, `${path}.text_format`, cfg, omit);
}
