// A problem found while reading mesh config: where it is (file:line, and the object
// and field when known) and what is wrong. Errors make the object they are about
// skipped; warnings (e.g. a kind skein does not support yet) skip nothing that works.

export interface ConfigIssue {
  severity: 'error' | 'warning';
  file: string;
  /** 1-based; 0 when the problem is about the file or path as a whole. */
  line: number;
  column?: number;
  kind?: string;
  namespace?: string;
  name?: string;
  /** Field path inside the document, e.g. `spec.http[0].route[0].destination.host`. */
  path?: string;
  message: string;
}

/** "Kind ns/name", "Kind name" for cluster-scoped objects, "Kind" when the name is unknown. */
export function describeResource(kind: string, namespace: string | undefined, name: string | undefined): string {
  if (!name) return kind;
  return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}

/**
 * `coolstore/vs.yaml:12: VirtualService istioinaction/webapp-vs-from-gw:
 * spec.http[0].route[0].destination.hostt: unknown field (did you mean "host"?)`
 * (one line; warnings are prefixed with "warning: ").
 */
export function formatConfigIssue(issue: ConfigIssue): string {
  const where = issue.line > 0 ? `${issue.file}:${issue.line}` : issue.file;
  const parts = [where];
  if (issue.kind) parts.push(describeResource(issue.kind, issue.namespace, issue.name));
  if (issue.path) parts.push(issue.path);
  const text = `${parts.join(': ')}: ${issue.message}`;
  return issue.severity === 'warning' ? `warning: ${text}` : text;
}

/**
 * Sorts issues by file (in `fileOrder`, the order files were read; others first),
 * then line; stable otherwise.
 */
export function sortIssues(issues: readonly ConfigIssue[], fileOrder: readonly string[]): ConfigIssue[] {
  const rank = new Map(fileOrder.map((f, i) => [f, i]));
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => (rank.get(a.issue.file) ?? -1) - (rank.get(b.issue.file) ?? -1) || a.issue.line - b.issue.line || a.i - b.i)
    .map(({ issue }) => issue);
}

export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
