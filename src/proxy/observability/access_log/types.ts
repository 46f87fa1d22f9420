// The access logger extension point: config → a logger instance that gets one
// FormatContext per finished request (or connection, for TCP).
import { ExtensionRegistry, type ExtensionFactory } from '../../extensions/registry.js';
import type { Runtime } from '../../server/runtime.js';
import type { FormatContext } from '../formatter/types.js';

export interface AccessLogInstance {
  log(ctx: FormatContext): void;
  /** Flushes buffered lines and releases files; loggers without resources omit it. */
  close?(): Promise<void>;
}

/** What loggers and filters may use while being built; grows as loggers need more. */
export interface AccessLogFactoryContext {
  /** Runtime for runtime_filter and RuntimeUInt32 keys; absent → defaults apply. */
  runtime?: Runtime;
  /** Uniform [0, 1) source for sampling; Math.random when absent. */
  random?: () => number;
}

export interface AccessLoggerFactory extends ExtensionFactory {
  /** `path` names the typed config (for errors); config is the typed config without @type. */
  create(config: Record<string, unknown>, path: string, ctx: AccessLogFactoryContext): AccessLogInstance;
}

export const accessLoggerRegistry = new ExtensionRegistry<AccessLoggerFactory>('envoy.access_loggers');
