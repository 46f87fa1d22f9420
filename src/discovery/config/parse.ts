// YAML/JSON text → ConfigObjects, one per document (or per item of a `kind: List`),
// each checked against its kind's schema. A bad document is reported and skipped;
// the rest of the file still loads, like `kubectl apply` applying what it can.
import type { ConfigObject, Kind, ObjectMeta } from '../../api/istio/types.js';
import { parseYamlDocuments, PositionIndex, SourceSyntaxError, type SourceSpan } from '../../api/yaml/source.js';
import type { ConfigIssue } from './issues.js';
import { positionOf, recordPosition } from './positions.js';
import { checkValue, describe, isMap, obj, req, str, type SchemaIssue } from './schema/engine.js';
import { apiVersionsOf, COMMON_DOCUMENT_FIELDS, lookupKind, type KindInfo } from './schema/kinds.js';
import { objectMeta } from './schema/kubernetes.js';

export interface ParseResult {
  objects: ConfigObject[];
  issues: ConfigIssue[];
  /** Set when the text is not valid YAML at all (then no object was read). */
  syntaxError?: boolean;
}

/** Reads every document of one file's text; `file` is how messages name it. */
export function parseConfigText(text: string, file: string): ParseResult {
  const result = parseConfigTextKeepingDuplicates(text, file);
  return dropDuplicates(result.objects, result.issues);
}

/** Like parseConfigText, but leaves duplicates to the caller (which checks across files). */
export function parseConfigTextKeepingDuplicates(text: string, file: string): ParseResult {
  const positions = new PositionIndex();
  const out: ParseResult = { objects: [], issues: [] };
  let docs;
  try {
    docs = parseYamlDocuments(text, positions, file);
  } catch (err) {
    if (!(err instanceof SourceSyntaxError)) throw err;
    out.issues.push({ severity: 'error', file, line: err.span.line, column: err.span.column, message: `invalid YAML: ${err.reason}` });
    out.syntaxError = true;
    return out;
  }
  for (const doc of docs) {
    if (doc.value === null || doc.value === undefined) continue;
    const value = doc.value;
    if (isMap(value) && value.kind === 'List' && Array.isArray(value.items)) {
      const items = value.items;
      items.forEach((item, i) => readDocumentSafely(item, positions.of(items, i) ?? doc.span, positions, file, out));
    } else {
      readDocumentSafely(value, doc.span, positions, file, out);
    }
  }
  return out;
}

/** A bug in a check must cost one document, not the control plane. */
function readDocumentSafely(value: unknown, at: SourceSpan, positions: PositionIndex, file: string, out: ParseResult): void {
  try {
    readDocument(value, at, positions, file, out);
  } catch (err) {
    out.issues.push({ severity: 'error', file, line: at.line, message: `internal error while checking this document (please report it): ${(err as Error).message}` });
  }
}

function readDocument(value: unknown, at: SourceSpan, positions: PositionIndex, file: string, out: ParseResult): void {
  const line = at.line;
  if (!isMap(value)) {
    out.issues.push({ severity: 'error', file, line, message: `expected a Kubernetes object (a map with apiVersion, kind and metadata), got ${describe(value)}` });
    return;
  }
  const rawMeta = isMap(value.metadata) ? value.metadata : {};
  const identity = {
    kind: typeof value.kind === 'string' && value.kind ? value.kind : undefined,
    name: typeof rawMeta.name === 'string' ? rawMeta.name : undefined,
    namespace: typeof rawMeta.namespace === 'string' && rawMeta.namespace ? rawMeta.namespace : 'default',
  };
  const issue = (message: string, path?: string, severity: ConfigIssue['severity'] = 'error', where = at): ConfigIssue => ({
    severity,
    file,
    line: where.line,
    ...identity,
    ...(path ? { path } : {}),
    message,
  });

  const hasApiVersion = typeof value.apiVersion === 'string' && value.apiVersion !== '';
  if (!hasApiVersion && !identity.kind) {
    // Most likely a raw Envoy config dropped into the folder.
    out.issues.push(issue('not a Kubernetes object: no apiVersion or kind (Envoy configs are checked with skein proxy --mode validate)'));
    return;
  }
  if (!hasApiVersion || !identity.kind) {
    out.issues.push(issue('missing required field (every document needs apiVersion and kind)', hasApiVersion ? 'kind' : 'apiVersion'));
    return;
  }
  const kindAt = positions.of(value, 'kind') ?? at;
  const lookup = lookupKind(value.apiVersion as string, identity.kind);
  if ('unsupported' in lookup) {
    out.issues.push(issue(`${value.apiVersion} ${identity.kind} is not supported yet, skipped`, undefined, 'warning', kindAt));
    return;
  }
  if ('badVersion' in lookup || 'wrongGroup' in lookup) {
    const info = 'badVersion' in lookup ? lookup.badVersion : lookup.wrongGroup;
    const where = positions.of(value, 'apiVersion') ?? at;
    out.issues.push(issue(`${identity.kind} is not served as ${value.apiVersion}; use apiVersion ${apiVersionsOf(info).join(', ')}`, 'apiVersion', 'error', where));
    return;
  }
  const info = lookup.found;
  if (!info.namespaced) delete (identity as { namespace?: string }).namespace;

  const schema = obj({ apiVersion: req(str()), kind: req(str()), metadata: req(objectMeta), ...info.body, ...COMMON_DOCUMENT_FIELDS });
  const schemaIssues: SchemaIssue[] = [];
  const accepted = checkValue(value, schema, at, positions, schemaIssues) as Record<string, unknown> | undefined;
  const nameIssues = accepted ? checkNames(accepted.metadata as Record<string, unknown>, info) : [];
  for (const s of [...schemaIssues, ...nameIssues]) {
    out.issues.push({ ...issue(s.message, s.path, s.severity), line: s.line, ...(s.column ? { column: s.column } : {}) });
  }
  if (!accepted || nameIssues.length) return;
  out.objects.push(toConfigObject(accepted, info, { file, line }));
}

/** Kubernetes' name rules: DNS subdomains, and DNS labels for namespaces (and a Service's name). */
function checkNames(meta: Record<string, unknown>, info: KindInfo): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  const check = (key: 'name' | 'namespace', label: boolean) => {
    const v = meta[key];
    if (typeof v !== 'string') return;
    const problem = label ? dnsLabelProblem(v) : dnsSubdomainProblem(v);
    if (!problem) return;
    const at = positionOf(meta, key);
    issues.push({ severity: 'error', path: `metadata.${key}`, line: at?.line ?? 0, column: 0, message: `"${v}" is not a valid ${key}: ${problem}` });
  };
  check('name', info.kind === 'Namespace' || info.kind === 'Service');
  if (info.namespaced) check('namespace', true);
  return issues;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function dnsLabelProblem(s: string): string | undefined {
  if (s.length > 63) return 'at most 63 characters';
  if (!DNS_LABEL.test(s)) return "use lowercase letters, digits and '-', starting and ending with a letter or digit";
  return undefined;
}

function dnsSubdomainProblem(s: string): string | undefined {
  if (s.length > 253) return 'at most 253 characters';
  if (!s.split('.').every((part) => DNS_LABEL.test(part))) return "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit";
  return undefined;
}

function toConfigObject(doc: Record<string, unknown>, info: KindInfo, source: { file: string; line: number }): ConfigObject {
  const meta = doc.metadata as Record<string, unknown>;
  const metadata: ObjectMeta = {
    name: meta.name as string,
    namespace: info.namespaced ? ((meta.namespace as string | undefined) || 'default') : '',
    labels: (meta.labels as Record<string, string> | undefined) ?? {},
    annotations: (meta.annotations as Record<string, string> | undefined) ?? {},
  };
  for (const k of ['name', 'namespace', 'labels', 'annotations'] as const) recordPosition(metadata, k, positionOf(meta, k));
  const object: ConfigObject = {
    apiVersion: doc.apiVersion as string,
    kind: info.kind as Kind,
    metadata,
    spec: info.toSpec(doc) as ConfigObject['spec'],
    source,
  };
  for (const k of ['apiVersion', 'kind', 'metadata', 'spec'] as const) recordPosition(object, k, positionOf(doc, k) ?? source);
  return object;
}

/** "Gateway/istioinaction/coolstore-gateway": what must be unique in a mesh's config. */
export function objectKey(o: ConfigObject): string {
  return `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`;
}

/**
 * Keeps the first of each kind/namespace/name (in file order) and reports every later
 * one as an error naming both places, as `kubectl apply` of one folder would have the
 * later one overwrite the earlier: an accident either way.
 */
export function dropDuplicates(objects: readonly ConfigObject[], issues: ConfigIssue[]): ParseResult {
  const first = new Map<string, ConfigObject>();
  const kept: ConfigObject[] = [];
  const all = [...issues];
  for (const o of objects) {
    const earlier = first.get(objectKey(o));
    if (!earlier) {
      first.set(objectKey(o), o);
      kept.push(o);
      continue;
    }
    all.push({
      severity: 'error',
      file: o.source.file,
      line: o.source.line,
      kind: o.kind,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
      name: o.metadata.name,
      message: `already defined at ${earlier.source.file}:${earlier.source.line}; this definition is skipped`,
    });
  }
  return { objects: kept, issues: all };
}
