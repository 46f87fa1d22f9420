// envoy.config.core.v3.DataSource: inline text/bytes, a file, or an environment variable.
import fs from 'node:fs';
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';

export function readDataSourceBytes(ds: envoy.config.core.v3.DataSource, path: string): Buffer {
  if (ds.inline_string !== undefined) return Buffer.from(ds.inline_string, 'utf8');
  if (ds.inline_bytes !== undefined) return ds.inline_bytes;
  if (ds.filename !== undefined) {
    try {
      return fs.readFileSync(ds.filename);
    } catch (err) {
      throw ConfigError.single(`${path}.filename`, `cannot read ${ds.filename}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, spanOf(ds));
    }
  }
  if (ds.environment_variable !== undefined) {
    const v = process.env[ds.environment_variable];
    if (v === undefined) throw ConfigError.single(`${path}.environment_variable`, `environment variable ${ds.environment_variable} is not set`, spanOf(ds));
    return Buffer.from(v, 'utf8');
  }
  return Buffer.alloc(0);
}

export function readDataSource(ds: envoy.config.core.v3.DataSource, path: string): string {
  return readDataSourceBytes(ds, path).toString('utf8');
}
