// envoy.access_loggers.file: one formatted line per request, appended to a file.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { compileFormatString, ENVOY_DEFAULT_ACCESS_LOG_FORMAT } from '../formatter/format_string.js';
import { compileJsonFormatAt, compileSubstitutionFormat, compileTextFormatAt } from '../formatter/json_format.js';
import type { FormatContext, Formatter } from '../formatter/types.js';
import { acquireAccessLogFile, releaseAccessLogFile, type AccessLogFile } from './log_file.js';
import { accessLoggerRegistry, type AccessLogInstance } from './types.js';

type FileAccessLog = envoy.extensions.access_loggers.file.v3.FileAccessLog;

export const FILE_ACCESS_LOG_TYPE_URL = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';

/** The format FileAccessLog selects: log_format, or one of the deprecated format fields. */
function fileFormatter(cfg: FileAccessLog, path: string): Formatter {
  const set = (['log_format', 'format', 'json_format', 'typed_json_format'] as const).filter((f) => cfg[f] !== undefined);
  if (set.length > 1) throw ConfigError.single(path, `only one of ${set.join(', ')} may be set`, spanOf(cfg));
  if (cfg.log_format) return compileSubstitutionFormat(cfg.log_format, `${path}.log_format`);
  if (cfg.format) return compileTextFormatAt(cfg.format, `${path}.format`, cfg);
  // The deprecated json_format renders every value as a string; typed_json_format keeps types.
  if (cfg.json_format) return compileJsonFormatAt(cfg.json_format, `${path}.json_format`, cfg, { typed: false });
  if (cfg.typed_json_format) return compileJsonFormatAt(cfg.typed_json_format, `${path}.typed_json_format`, cfg, { typed: true });
  return compileFormatString(ENVOY_DEFAULT_ACCESS_LOG_FORMAT);
}

/** Writes each formatted line to a shared, buffered file (see log_file.ts). */
export class FormattedFileLog implements AccessLogInstance {
  private closed = false;

  constructor(
    private readonly file: AccessLogFile,
    private readonly formatter: Formatter,
  ) {}

  log(ctx: FormatContext): void {
    if (!this.closed) this.file.write(this.formatter.format(ctx));
  }

  /** Flushes what this logger wrote; the file closes when its last logger closes. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await releaseAccessLogFile(this.file);
  }
}

/** Opens `file` for a logger, turning open errors into a config error at `pathField`. */
export function openFormattedLog(file: string, formatter: Formatter, pathField: string, owner: object): FormattedFileLog {
  try {
    return new FormattedFileLog(acquireAccessLogFile(file), formatter);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw ConfigError.single(pathField, `cannot open access log file ${file}: ${code}`, spanOf(owner));
  }
}

accessLoggerRegistry.register({
  names: ['envoy.access_loggers.file', 'envoy.file_access_log'],
  typeUrls: [FILE_ACCESS_LOG_TYPE_URL],
  create(config, path) {
    const cfg = config as FileAccessLog;
    if (!cfg.path) throw ConfigError.single(`${path}.path`, 'path is required', spanOf(config));
    const formatter = fileFormatter(cfg, path);
    return openFormattedLog(cfg.path, formatter, `${path}.path`, config);
  },
});
