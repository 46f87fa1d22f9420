// Loading an Envoy v3 bootstrap from `-c FILE` and/or `--config-yaml TEXT`.
import fs from 'node:fs';
import type { envoy } from './envoy-types.generated.js';
import { readMessageFromJson } from './json/from-json.js';
import { ConfigError, type ConfigIssue } from './json/issues.js';
import { mergeMessages } from './json/merge.js';
import { validateParsedMessage } from './json/validate.js';
import { upgradeLegacyClusterChecked } from './legacy.js';
import { parseYamlDocument, PositionIndex, SourceSyntaxError } from './yaml/source.js';

export type Bootstrap = envoy.config.bootstrap.v3.Bootstrap;
export const BOOTSTRAP_TYPE = 'envoy.config.bootstrap.v3.Bootstrap';

export interface BootstrapSources {
  configPath?: string;
  configYaml?: string;
}

export interface LoadedBootstrap {
  bootstrap: Bootstrap;
  warnings: ConfigIssue[];
}

export interface ParseBootstrapOptions {
  /**
   * Check the schema only and leave protoc-gen-validate rules to the caller (with
   * validateParsedMessage), as Envoy does for the parts it merges before validating.
   */
  skipRules?: boolean;
}

/** Parses one YAML/JSON text as a Bootstrap; throws ConfigError with every problem found. */
export function parseBootstrapText(text: string, file: string, options: ParseBootstrapOptions = {}): LoadedBootstrap {
  const positions = new PositionIndex();
  let doc;
  try {
    doc = parseYamlDocument(text, positions, file);
  } catch (err) {
    if (err instanceof SourceSyntaxError) throw ConfigError.single('', err.reason, err.span);
    throw err;
  }
  const raw = doc.value ?? {};
  const warnings: ConfigIssue[] = [];
  const legacyErrors: ConfigIssue[] = [];
  const upgraded = new Set<number>();
  for (const key of ['static_resources', 'staticResources']) {
    const resources = (raw as any)?.[key];
    const clusters = resources && typeof resources === 'object' ? resources.clusters : undefined;
    if (!Array.isArray(clusters)) continue;
    clusters.forEach((c, i) => {
      const span = positions.of(c, 'hosts') ?? positions.of(clusters, i);
      const { notes, errors } = upgradeLegacyClusterChecked(c, positions);
      if (notes.some((n) => n.startsWith('legacy'))) upgraded.add(i);
      for (const note of notes) warnings.push({ path: `static_resources.clusters[${i}]`, message: note, span });
      for (const error of errors) legacyErrors.push({ path: `static_resources.clusters[${i}].hosts`, message: error, span });
    });
  }
  let message: Bootstrap;
  let schemaWarnings: ConfigIssue[];
  try {
    ({ message, warnings: schemaWarnings } = readMessageFromJson<Bootstrap>(BOOTSTRAP_TYPE, raw, {
      positions,
      fallbackSpan: doc.span,
      skipRules: options.skipRules,
      keepFieldSpans: options.skipRules,
    }));
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const issues = err.issues.map((issue) => ({ ...issue, path: legacyPath(issue.path, upgraded) }));
    throw new ConfigError(legacyErrors.length ? sortIssues([...legacyErrors, ...issues]) : issues);
  }
  if (legacyErrors.length) throw new ConfigError(legacyErrors);
  return { bootstrap: message, warnings: [...warnings, ...schemaWarnings] };
}

/** Problems inside a converted `hosts` list are shown at `hosts[j]`, as the user wrote it. */
function legacyPath(path: string, upgraded: Set<number>): string {
  const m = /^static_resources\.clusters\[(\d+)\]\.load_assignment\.endpoints\[0\]\.lb_endpoints\[(\d+)\]\.endpoint\.address(.*)$/.exec(path);
  return m && upgraded.has(Number(m[1])) ? `static_resources.clusters[${m[1]}].hosts[${m[2]}]${m[3]}` : path;
}

/** Issues in source order (by file in `files` order, then line), so problems read top to bottom. */
function sortIssues(issues: ConfigIssue[], files: string[] = []): ConfigIssue[] {
  const fileRank = (issue: ConfigIssue) => (issue.span?.file === undefined ? -1 : files.indexOf(issue.span.file));
  return issues
    .map((issue, i) => ({ issue, i }))
    .sort((a, b) => fileRank(a.issue) - fileRank(b.issue) || (a.issue.span?.line ?? 0) - (b.issue.span?.line ?? 0) || a.i - b.i)
    .map((x) => x.issue);
}

/**
 * Envoy's rule (InstanceUtil::loadBootstrapConfig): the file is read first and
 * --config-yaml is merged over it (protobuf MergeFrom: lists append, scalars
 * override, messages merge), and only the merged result is validated, so either
 * part may be incomplete on its own. Problems in both parts are reported together.
 */
export function loadBootstrap(sources: BootstrapSources): LoadedBootstrap {
  if (!sources.configPath && !sources.configYaml) {
    throw ConfigError.single('', 'At least one of --config-path (-c) or --config-yaml should be non-empty');
  }
  const parts: Array<{ text: string; file: string }> = [];
  if (sources.configPath) {
    try {
      parts.push({ text: fs.readFileSync(sources.configPath, 'utf8'), file: sources.configPath });
    } catch (err) {
      throw ConfigError.single('', `cannot read config file ${sources.configPath}: ${(err as Error).message}`);
    }
  }
  if (sources.configYaml) parts.push({ text: sources.configYaml, file: '--config-yaml' });
  const merging = parts.length > 1;
  const issues: ConfigIssue[] = [];
  const loaded: LoadedBootstrap[] = [];
  for (const { text, file } of parts) {
    try {
      loaded.push(parseBootstrapText(text, file, { skipRules: merging }));
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
    }
  }
  if (issues.length) throw new ConfigError(issues);
  if (!merging) return loaded[0]!;
  const [base, overlay] = loaded as [LoadedBootstrap, LoadedBootstrap];
  const bootstrap = mergeMessages(base.bootstrap as Record<string, unknown>, overlay.bootstrap as Record<string, unknown>, BOOTSTRAP_TYPE) as Bootstrap;
  const problems = validateParsedMessage(BOOTSTRAP_TYPE, bootstrap);
  if (problems.length) throw new ConfigError(sortIssues(problems, parts.map((p) => p.file)));
  return { bootstrap, warnings: [...base.warnings, ...overlay.warnings] };
}
