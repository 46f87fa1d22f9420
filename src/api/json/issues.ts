// A config problem: where (file, line, field path) and what is wrong.
import type { SourceSpan } from '../yaml/source.js';

export interface ConfigIssue {
  /** Field path in proto field names, e.g. `static_resources.clusters[0].lb_policy`. */
  path: string;
  message: string;
  span?: SourceSpan;
}

export function formatIssue(issue: ConfigIssue): string {
  const where = issue.span ? `${issue.span.file ?? '<config>'}:${issue.span.line}: ` : '';
  return `${where}${issue.path ? issue.path + ': ' : ''}${issue.message}`;
}

/** Thrown when config is rejected; `message` lists every issue on its own line. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.length ? issues.map(formatIssue).join('\n') : 'invalid configuration');
    this.name = 'ConfigError';
  }

  static single(path: string, message: string, span?: SourceSpan): ConfigError {
    return new ConfigError([{ path, message, span }]);
  }
}
