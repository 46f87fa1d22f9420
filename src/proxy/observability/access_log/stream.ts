// envoy.access_loggers.stdout / .stderr: the file logger on the process's own streams,
// as Envoy implements them (its AccessLogManager paths /dev/stdout and /dev/stderr).
import type { envoy } from '../../../api/envoy-types.generated.js';
import { compileSubstitutionFormat } from '../formatter/json_format.js';
import { openFormattedLog } from './file.js';
import { accessLoggerRegistry } from './types.js';

type StreamAccessLog = envoy.extensions.access_loggers.stream.v3.StdoutAccessLog;

export const STDOUT_ACCESS_LOG_TYPE_URL = 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StdoutAccessLog';
export const STDERR_ACCESS_LOG_TYPE_URL = 'type.googleapis.com/envoy.extensions.access_loggers.stream.v3.StderrAccessLog';

for (const [name, typeUrl, device] of [
  ['envoy.access_loggers.stdout', STDOUT_ACCESS_LOG_TYPE_URL, '/dev/stdout'],
  ['envoy.access_loggers.stderr', STDERR_ACCESS_LOG_TYPE_URL, '/dev/stderr'],
] as const) {
  accessLoggerRegistry.register({
    names: [name],
    typeUrls: [typeUrl],
    create(config, path) {
      const cfg = config as StreamAccessLog;
      const formatter = compileSubstitutionFormat(cfg.log_format, `${path}.log_format`);
      return openFormattedLog(device, formatter, path, config);
    },
  });
}
