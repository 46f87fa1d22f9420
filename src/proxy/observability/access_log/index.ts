// Builds the access loggers of a listener / HTTP connection manager / router from
// config. Importing this module registers the built-in loggers.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { logger } from '../../../common/logger.js';
import type { FormatContext } from '../formatter/types.js';
import { compileAccessLogFilter, type AccessLogPredicate } from './filters.js';
import { accessLoggerRegistry, type AccessLogFactoryContext, type AccessLogInstance } from './types.js';
import './file.js';
import './stream.js';

export { accessLoggerRegistry, type AccessLogFactoryContext, type AccessLogInstance, type AccessLoggerFactory } from './types.js';
export { compileAccessLogFilter, type AccessLogPredicate } from './filters.js';
export { flushAll, reopenAll } from './log_file.js';

/** A logger behind its AccessLogFilter: the filter decides, then the logger formats. */
class FilteredAccessLog implements AccessLogInstance {
  constructor(
    private readonly inner: AccessLogInstance,
    private readonly filter: AccessLogPredicate,
  ) {}

  log(ctx: FormatContext): void {
    if (this.filter(ctx)) this.inner.log(ctx);
  }

  close(): Promise<void> {
    return this.inner.close?.() ?? Promise.resolve();
  }
}

/**
 * Compiles `access_log` entries (errors name `${path}[i]`). If one entry fails, the
 * loggers already built are closed so their files are not held open.
 */
export function createAccessLogs(
  configs: envoy.config.accesslog.v3.AccessLog[] | undefined,
  path: string,
  ctx: AccessLogFactoryContext = {},
): AccessLogInstance[] {
  const built: AccessLogInstance[] = [];
  try {
    (configs ?? []).forEach((cfg, i) => {
      const at = `${path}[${i}]`;
      const resolved = accessLoggerRegistry.resolve(cfg, at);
      if (!resolved) return;
      const filter = cfg.filter ? compileAccessLogFilter(cfg.filter, `${at}.filter`, ctx) : undefined;
      const instance = resolved.factory.create(resolved.config, `${at}.typed_config`, ctx);
      built.push(filter ? new FilteredAccessLog(instance, filter) : instance);
    });
  } catch (err) {
    void closeAccessLogs(built);
    throw err;
  }
  return built;
}

const log = logger('http');

/** Logs one finished request to every logger; a failing logger never reaches the client. */
export function emitAccessLogs(logs: readonly AccessLogInstance[], ctx: FormatContext): void {
  for (const l of logs) {
    try {
      l.log(ctx);
    } catch (err) {
      log.error(`access log failed: ${(err as Error).message}`);
    }
  }
}

export async function closeAccessLogs(logs: readonly AccessLogInstance[]): Promise<void> {
  await Promise.all(logs.map((l) => l.close?.()));
}
