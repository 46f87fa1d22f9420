// One file of a `skein xds serve` folder → typed xDS resources. The accepted shapes
// are the ones Envoy's own filesystem subscriptions read (a DiscoveryResponse-like
// `resources:` list of `@type`-tagged resources), plus the shorter forms people
// write by hand: one resource per YAML document, or a top-level list. Every resource
// goes through the same proto3-JSON reader as a bootstrap, so problems read
// "file:line: path: message" exactly like `skein proxy -c` reports them.
import { readMessageFromJson } from '../../../api/json/from-json.js';
import { ConfigError, type ConfigIssue } from '../../../api/json/issues.js';
import { fieldSpanOf } from '../../../api/json/spans.js';
import { closestMatch } from '../../../api/json/suggest.js';
import { ADS_PUSH_ORDER, ENDPOINT_TYPE, isXdsTypeUrl, resourceName, type XdsTypeUrl } from '../../../api/xds/resource_types.js';
import { TYPE_URL_PREFIX, typeNameOfUrl } from '../../../api/proto/root.js';
import { parseYamlDocuments, PositionIndex, SourceSyntaxError, type SourceSpan } from '../../../api/yaml/source.js';

/** One resource read from a file, in skein's in-memory message form. */
export interface FileResource {
  readonly typeUrl: XdsTypeUrl;
  readonly name: string;
  /** The message without '@type' (what Snapshot.fromResources takes). */
  readonly message: Record<string, unknown>;
  /** Where the resource starts in its file. */
  readonly span: SourceSpan;
  /** Field path prefix of the resource inside its document ('' or 'resources[2]'). */
  readonly path: string;
}

export interface ParsedFile {
  resources: FileResource[];
  /** Deprecated fields and the like: served anyway, but worth a log line. */
  warnings: ConfigIssue[];
}

/** Keys a DiscoveryResponse-style document may carry next to `resources`. */
const LIST_KEYS = new Set(['resources', 'version_info', 'versionInfo', 'type_url', 'typeUrl']);

const ACCEPTED_TYPES = ADS_PUSH_ORDER.join(', ');

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Parses a file's text; throws ConfigError listing every problem in the file (all
 * of them, not just the first, so one edit can fix them all).
 */
export function parseResourceFile(text: string, file: string): ParsedFile {
  const positions = new PositionIndex();
  let docs;
  try {
    docs = parseYamlDocuments(text, positions, file);
  } catch (err) {
    if (err instanceof SourceSyntaxError) throw ConfigError.single('', err.reason, err.span);
    throw err;
  }
  const issues: ConfigIssue[] = [];
  const warnings: ConfigIssue[] = [];
  const resources: FileResource[] = [];
  for (const doc of docs) {
    for (const item of resourceItems(doc.value, doc.span, positions, issues)) {
      const read = readResource(item, positions, issues, warnings);
      if (read) resources.push(read);
    }
  }
  checkDuplicatesInFile(resources, issues);
  if (issues.length) throw new ConfigError(issues);
  return { resources, warnings };
}

interface Item {
  value: unknown;
  span: SourceSpan;
  path: string;
  /** The list type_url given next to `resources`, which every item must match. */
  listType?: string;
}

/** The resources a document holds: itself, its `resources:` list, or a top-level list. */
function resourceItems(value: unknown, docSpan: SourceSpan, positions: PositionIndex, issues: ConfigIssue[]): Item[] {
  const fromList = (list: unknown[], prefix: string, listType?: string): Item[] =>
    list.map((v, i) => ({ value: v, span: positions.of(list, i) ?? docSpan, path: `${prefix}[${i}]`, listType }));
  if (Array.isArray(value)) return fromList(value, '');
  if (!isObj(value)) {
    issues.push({ path: '', message: `expected a resource with "@type" or a "resources:" list, got ${describeShape(value)}`, span: docSpan });
    return [];
  }
  if (!('resources' in value)) return [{ value, span: docSpan, path: '' }];
  for (const key of Object.keys(value)) {
    if (LIST_KEYS.has(key)) continue;
    const hint = closestMatch(key, ['resources', 'version_info', 'type_url']);
    issues.push({
      path: key,
      message: `unknown field "${key}" next to "resources" (a resource list may also carry version_info and type_url)${hint ? ` (did you mean "${hint}"?)` : ''}`,
      span: positions.of(value, key) ?? docSpan,
    });
  }
  const list = value.resources;
  if (list === null || list === undefined) return [];
  if (!Array.isArray(list)) {
    issues.push({ path: 'resources', message: `expected a list of resources, got ${describeShape(list)}`, span: positions.of(value, 'resources') ?? docSpan });
    return [];
  }
  const listType = value.type_url ?? value.typeUrl;
  return fromList(list, 'resources', typeof listType === 'string' && listType ? listType : undefined);
}

function readResource(item: Item, positions: PositionIndex, issues: ConfigIssue[], warnings: ConfigIssue[]): FileResource | undefined {
  const { value, span, path } = item;
  const at = (key: string) => (path ? `${path}.${key}` : key);
  if (!isObj(value)) {
    issues.push({ path, message: `expected a resource (an object with "@type"), got ${describeShape(value)}`, span });
    return undefined;
  }
  const url = value['@type'];
  const typeSpan = positions.of(value, '@type') ?? span;
  if (url === undefined || url === null || url === '') {
    issues.push({ path, message: `missing "@type": every resource names its type, one of ${ACCEPTED_TYPES}`, span });
    return undefined;
  }
  if (typeof url !== 'string' || !isXdsTypeUrl(url)) {
    issues.push({ path: at('@type'), message: unknownTypeMessage(url), span: typeSpan });
    return undefined;
  }
  if (item.listType !== undefined && item.listType !== url) {
    issues.push({ path: at('@type'), message: `resource of type ${url} in a list whose type_url is ${item.listType}`, span: typeSpan });
    return undefined;
  }
  // The reader takes the message's own fields; keep their positions on the copy.
  const { '@type': _type, ...fields } = value;
  for (const key of Object.keys(fields)) {
    const s = positions.of(value, key);
    if (s) positions.record(fields, key, s);
    const t = positions.textOf(value, key);
    if (t !== undefined) positions.recordText(fields, key, t);
  }
  let message: Record<string, unknown>;
  try {
    const read = readMessageFromJson<Record<string, unknown>>(typeNameOfUrl(url), fields, {
      positions,
      fallbackSpan: span,
      pathPrefix: path,
      // Kept so a dangling reference found later can name the exact line (references.ts).
      keepFieldSpans: true,
    });
    message = read.message;
    warnings.push(...read.warnings);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.push(...err.issues);
    return undefined;
  }
  const name = resourceName(url, message);
  if (!name) {
    const field = url === ENDPOINT_TYPE ? 'cluster_name' : 'name';
    issues.push({ path: at(field), message: `a ${typeNameOfUrl(url)} served over xDS needs a "${field}" (its resource name)`, span });
    return undefined;
  }
  return { typeUrl: url, name, message, span, path };
}

function checkDuplicatesInFile(resources: FileResource[], issues: ConfigIssue[]): void {
  const seen = new Map<string, FileResource>();
  for (const r of resources) {
    const key = `${r.typeUrl}\u0000${r.name}`;
    const first = seen.get(key);
    if (!first) {
      seen.set(key, r);
      continue;
    }
    const at = nameLocation(r);
    issues.push({
      path: at.path,
      message: `duplicate ${shortType(r.typeUrl)} "${r.name}" (also defined at line ${nameLocation(first).span.line}); resource names must be unique per type`,
      span: at.span,
    });
  }
}

/** Where a resource's name is written (its `name` or `cluster_name` line). */
export function nameLocation(r: FileResource): { path: string; span: SourceSpan } {
  const field = r.typeUrl === ENDPOINT_TYPE ? 'cluster_name' : 'name';
  return { path: r.path ? `${r.path}.${field}` : field, span: fieldSpanOf(r.message, field) ?? r.span };
}

/** `envoy.config.listener.v3.Listener` → `Listener`, for messages. */
export function shortType(typeUrl: string): string {
  return typeNameOfUrl(typeUrl).split('.').pop() ?? typeUrl;
}

function unknownTypeMessage(url: unknown): string {
  if (typeof url !== 'string') return `expected a type URL string, got ${describeShape(url)}`;
  const full = url.includes('/') ? url : TYPE_URL_PREFIX + url;
  if (isXdsTypeUrl(full)) return `invalid type URL "${url}": write it as ${full}`;
  const hint = closestMatch(full, [...ADS_PUSH_ORDER], 6);
  const base = `"${url}" is not a resource type skein xds serve can serve`;
  return hint ? `${base} (did you mean "${hint}"?)` : `${base}; expected one of ${ACCEPTED_TYPES}`;
}

function describeShape(v: unknown): string {
  if (v === null || v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `the ${typeof v} ${JSON.stringify(v)}`;
}
