// Loading an Envoy v3 bootstrap from `-c FILE` and/or `--config-yaml TEXT`.
import fs from 'node:fs';
import type { envoy } from './envoy-types.generated.js';
import { readMessageFromJson } from './json/from-json.js';
import { ConfigError, type ConfigIssue } from './json/issues.js';
import { mergeMessages } from './json/merge.js';
import { upgradeLegacyCluster } from './legacy.js';
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

/** Parses one YAML/JSON text as a Bootstrap; throws ConfigError with every problem found. */
export function parseBootstrapText(text: string, file: string): LoadedBootstrap {
  const positions = new PositionIndex();
  let doc;
  try {
    doc = parseYamlDocument(text, positions, file);
  } catch (err) {
    if (err instanceof SourceSyntaxError) throw ConfigError.single('', err.message.replace(/^[^:]+:\d+:\d+: /, ''), err.span);
    throw err;
  }
  const raw = doc.value ?? {};
  const warnings: ConfigIssue[] = [];
  const clusters = (raw as any)?.static_resources?.clusters ?? (raw as any)?.staticResources?.clusters;
  if (Array.isArray(clusters)) {
    clusters.forEach((c, i) => {
      for (const note of upgradeLegacyCluster(c, positions)) {
        warnings.push({ path: `static_resources.clusters[${i}]`, message: note, span: positions.of(clusters, i) });
      }
    });
  }
  const { message, warnings: schemaWarnings } = readMessageFromJson<Bootstrap>(BOOTSTRAP_TYPE, raw, {
    positions,
    fallbackSpan: doc.span,
  });
  return { bootstrap: message, warnings: [...warnings, ...schemaWarnings] };
}

/**
 * Envoy's rule: the file is read first and --config-yaml is merged over it
 * (protobuf MergeFrom), so lists append and scalars override.
 */
export function loadBootstrap(sources: BootstrapSources): LoadedBootstrap {
  if (!sources.configPath && !sources.configYaml) {
    throw ConfigError.single('', 'At least one of --config-path (-c) or --config-yaml should be non-empty');
  }
  let result: LoadedBootstrap = { bootstrap: {}, warnings: [] };
  if (sources.configPath) {
    let text: string;
    try {
      text = fs.readFileSync(sources.configPath, 'utf8');
    } catch (err) {
      throw ConfigError.single('', `cannot read config file ${sources.configPath}: ${(err as Error).message}`);
    }
    result = parseBootstrapText(text, sources.configPath);
  }
  if (sources.configYaml) {
    const extra = parseBootstrapText(sources.configYaml, '--config-yaml');
    result = {
      bootstrap: mergeMessages(result.bootstrap as Record<string, unknown>, extra.bootstrap as Record<string, unknown>) as Bootstrap,
      warnings: [...result.warnings, ...extra.warnings],
    };
  }
  return result;
}
