// Small helpers for the config-loading tests: read a value or a YAML text and get
// either the message or the exact lines a user would see.
import assert from 'node:assert/strict';
import { parseBootstrapText, type Bootstrap } from '../../src/api/bootstrap.js';
import { readMessageFromJson } from '../../src/api/json/from-json.js';
import { ConfigError, formatIssue, type ConfigIssue } from '../../src/api/json/issues.js';

/** Joins lines into a YAML text; line N of the text is lines[N-1]. */
export const yaml = (...lines: string[]): string => lines.join('\n') + '\n';

export function read<T = Record<string, unknown>>(typeName: string, value: unknown): T {
  return readMessageFromJson<T>(typeName, value).message;
}

export function readWarnings(typeName: string, value: unknown): string[] {
  return readMessageFromJson(typeName, value).warnings.map(formatIssue);
}

/** The formatted problems (one per line) when `value` is rejected as `typeName`. */
export function readErrors(typeName: string, value: unknown): string[] {
  try {
    readMessageFromJson(typeName, value);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  assert.fail(`expected ${typeName} to be rejected`);
}

export function loadText(text: string, file = 'bad.yaml'): { bootstrap: Bootstrap; warnings: ConfigIssue[] } {
  return parseBootstrapText(text, file);
}

/** The formatted problems when `text` is rejected as a bootstrap read from `file`. */
export function loadErrors(text: string, file = 'bad.yaml'): string[] {
  try {
    parseBootstrapText(text, file);
  } catch (err) {
    if (err instanceof ConfigError) return err.message.split('\n');
    throw err;
  }
  assert.fail('expected the bootstrap to be rejected');
}
