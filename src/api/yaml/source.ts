// Reads YAML or JSON text into plain JS values while remembering where every value
// came from, so that schema errors found later can name "file:line" and not just a path.
import { createRequire } from 'node:module';
import path from 'node:path';
import type * as YamlModule from 'yaml';
import type { Node, YAMLError } from 'yaml';

// The yaml package is required on first use rather than imported, so that a process
// done with YAML can let it go (releaseYamlParser): a proxy reads YAML once, for its
// bootstrap (xDS config arrives as protobuf), and its ~70 modules would otherwise
// keep ~0.8 MB of code and source text in every idle proxy (docs/architecture.md).
let yamlRequire: NodeJS.Require | undefined;
let yamlModule: typeof YamlModule | undefined;

function yaml(): typeof YamlModule {
  yamlRequire ??= createRequire(import.meta.url);
  return (yamlModule ??= yamlRequire('yaml') as typeof YamlModule);
}

/**
 * Forgets the yaml package so that its code can be collected; the next parse loads
 * it again. Its modules leave the require cache, and the require function goes too,
 * because the module it was created for lists every module it loaded.
 */
export function releaseYamlParser(): void {
  if (!yamlRequire || !yamlModule) return;
  const dir = path.dirname(yamlRequire.resolve('yaml/package.json')) + path.sep;
  for (const id of Object.keys(yamlRequire.cache)) if (id.startsWith(dir)) delete yamlRequire.cache[id];
  yamlModule = undefined;
  yamlRequire = undefined;
}

export interface SourceSpan {
  file?: string;
  line: number;
  column: number;
}

/** Source positions of the values inside containers produced by `parseYamlDocuments`. */
export class PositionIndex {
  private readonly byContainer = new WeakMap<object, Map<string | number, SourceSpan>>();
  private readonly textByContainer = new WeakMap<object, Map<string | number, string>>();

  record(container: object, key: string | number, span: SourceSpan): void {
    let keys = this.byContainer.get(container);
    if (!keys) this.byContainer.set(container, (keys = new Map()));
    keys.set(key, span);
  }

  /** Where `container[key]` was written, if known. */
  of(container: unknown, key: string | number): SourceSpan | undefined {
    if (container === null || typeof container !== 'object') return undefined;
    return this.byContainer.get(container)?.get(key);
  }

  /** Remembers the source text of a plain scalar that YAML read as a number or boolean. */
  recordText(container: object, key: string | number, text: string): void {
    let keys = this.textByContainer.get(container);
    if (!keys) this.textByContainer.set(container, (keys = new Map()));
    keys.set(key, text);
  }

  /**
   * The text `container[key]` was written as, when YAML turned it into a number or
   * boolean: a string field given `version: 1.10` must read "1.10", not "1.1".
   */
  textOf(container: unknown, key: string | number): string | undefined {
    if (container === null || typeof container !== 'object') return undefined;
    return this.textByContainer.get(container)?.get(key);
  }
}

export interface SourceDocument {
  value: unknown;
  /** Where the document starts (used for errors about the whole document). */
  span: SourceSpan;
}

export class SourceSyntaxError extends Error {
  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    readonly span: SourceSpan,
  ) {
    super(`${span.file ?? '<input>'}:${span.line}:${span.column}: ${reason}`);
  }
}

/**
 * Parses YAML (JSON is a subset) into one value per document. Duplicate keys and
 * syntax errors throw SourceSyntaxError with the position; merge keys (`<<`) work.
 */
export function parseYamlDocuments(text: string, positions: PositionIndex, file?: string): SourceDocument[] {
  const { LineCounter, parseAllDocuments } = yaml();
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, merge: true, uniqueKeys: true, prettyErrors: false });
  const spanAt = (offset: number | undefined): SourceSpan => {
    const { line, col } = lineCounter.linePos(offset ?? 0);
    return { file, line, column: col };
  };
  const list = Array.isArray(docs) ? docs : [docs];
  const out: SourceDocument[] = [];
  for (const doc of list) {
    const err = doc.errors[0];
    if (err) throw new SourceSyntaxError(syntaxMessage(err, text), spanAt(err.pos[0]));
    if (doc.contents === null) continue; // an empty document between `---` markers
    const anchors = new Map<string, unknown>();
    const value = convertNode(doc.contents as Node, positions, spanAt, anchors);
    out.push({ value, span: spanAt(doc.contents.range?.[0]) });
  }
  return out;
}

/** The first line of the parser's message, naming the key for duplicate keys. */
function syntaxMessage(err: YAMLError, text: string): string {
  const first = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (err.code !== 'DUPLICATE_KEY') return first;
  const key = /^("(?:[^"\\]|\\.)*"|'[^']*'|[^:,{}[\]\n]+)/.exec(text.slice(err.pos[0]))?.[1]?.trim();
  return key ? `duplicate key ${key.startsWith('"') || key.startsWith("'") ? key : `"${key}"`} (YAML map keys must be unique)` : first;
}

/** `<<` is a merge key only when written plain; the yaml package reads it as a symbol. */
function isMergeKey(key: Node | null): boolean {
  const { isScalar } = yaml();
  return !!key && isScalar(key) && (typeof key.value === 'symbol' || (key.value === '<<' && key.type === 'PLAIN'));
}

function convertNode(
  node: Node | null,
  positions: PositionIndex,
  spanAt: (offset: number | undefined) => SourceSpan,
  anchors: Map<string, unknown>,
): unknown {
  if (node === null) return null;
  const { isAlias, isMap, isPair, isScalar, isSeq } = yaml();
  let value: unknown;
  if (isAlias(node)) {
    return anchors.get(node.source);
  } else if (isScalar(node)) {
    value = node.value;
  } else if (isMap(node)) {
    const obj: Record<string, unknown> = {};
    for (const item of node.items) {
      if (!isPair(item)) continue;
      const keyNode = item.key as Node | null;
      if (isMergeKey(keyNode)) {
        mergeInto(obj, convertNode(item.value as Node, positions, spanAt, anchors), positions);
        continue;
      }
      const key = keyNode && isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
      const valueNode = item.value as Node | null;
      obj[key] = convertNode(valueNode, positions, spanAt, anchors);
      positions.record(obj, key, spanAt((keyNode ?? valueNode)?.range?.[0]));
      recordScalarText(obj, key, valueNode, positions);
    }
    value = obj;
  } else if (isSeq(node)) {
    const arr: unknown[] = [];
    node.items.forEach((item, i) => {
      arr.push(convertNode(item as Node, positions, spanAt, anchors));
      positions.record(arr, i, spanAt((item as Node | null)?.range?.[0]));
      recordScalarText(arr, i, item as Node | null, positions);
    });
    value = arr;
  } else {
    value = null;
  }
  if (node.anchor) anchors.set(node.anchor, value);
  return value;
}

function recordScalarText(container: object, key: string | number, node: Node | null, positions: PositionIndex): void {
  if (node && yaml().isScalar(node) && node.type === 'PLAIN' && (typeof node.value === 'number' || typeof node.value === 'boolean') && node.source) {
    positions.recordText(container, key, node.source);
  }
}

function mergeInto(target: Record<string, unknown>, source: unknown, positions: PositionIndex): void {
  const sources = Array.isArray(source) ? source : [source];
  for (const src of sources) {
    if (!src || typeof src !== 'object') continue;
    for (const [k, v] of Object.entries(src)) {
      if (k in target) continue;
      target[k] = v;
      const span = positions.of(src, k);
      if (span) positions.record(target, k, span);
      const text = positions.textOf(src, k);
      if (text !== undefined) positions.recordText(target, k, text);
    }
  }
}

/** Parses exactly one document; an empty text is an empty object. */
export function parseYamlDocument(text: string, positions: PositionIndex, file?: string): SourceDocument {
  const docs = parseYamlDocuments(text, positions, file);
  if (docs.length > 1) {
    throw new SourceSyntaxError('expected one YAML document, found ' + docs.length, docs[1]!.span);
  }
  return docs[0] ?? { value: {}, span: { file, line: 1, column: 1 } };
}
