// Envoy-style logging: `[2025-04-18 13:14:56.227][pid][info][config] message`, or one JSON
// object per line with --log-format json. Components have their own levels, settable
// at start (--component-log-level) and at run time (admin /logging), as in Envoy.

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warning', 'error', 'critical', 'off'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Envoy's logger ids (the subset skein uses), shown by GET /logging. */
export const LOG_COMPONENTS = [
  'admin', 'aws', 'assert', 'backtrace', 'client', 'config', 'connection', 'conn_handler', 'dns', 'dubbo',
  'file', 'filter', 'forward_proxy', 'grpc', 'hc', 'health_checker', 'http', 'http2', 'init', 'io', 'jwt',
  'kafka', 'lua', 'main', 'misc', 'pool', 'rbac', 'redis', 'router', 'runtime', 'secret', 'stats', 'tap',
  'testing', 'tracing', 'upstream', 'udp', 'wasm', 'xds', 'ratelimit', 'mesh', 'discovery', 'agent', 'ca',
] as const;
export type LogComponent = (typeof LOG_COMPONENTS)[number];

const rank = (l: LogLevel) => LOG_LEVELS.indexOf(l);

export function isLogLevel(v: string): v is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(v === 'warn' ? 'warning' : v);
}

export function normalizeLevel(v: string): LogLevel {
  if (v === 'warn') return 'warning';
  if (!isLogLevel(v)) throw new Error(`unknown log level "${v}" (expected one of ${LOG_LEVELS.join(', ')})`);
  return v;
}

export type LogFormat = 'text' | 'json';

function timestamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export class LogRegistry {
  private readonly levels = new Map<string, LogLevel>();
  private readonly thresholds = new Map<string, number>();
  format: LogFormat = 'text';
  sink: (line: string) => void = (line) => process.stderr.write(line + '\n');

  constructor(defaultLevel: LogLevel = 'info') {
    for (const c of LOG_COMPONENTS) this.setLevel(c, defaultLevel);
  }

  setLevel(component: string, level: LogLevel): void {
    this.levels.set(component, level);
    this.thresholds.set(component, rank(level));
  }

  setAll(level: LogLevel): void {
    for (const c of this.levels.keys()) this.setLevel(c, level);
  }

  level(component: string): LogLevel {
    return this.levels.get(component) ?? 'info';
  }

  components(): Array<[string, LogLevel]> {
    return [...this.levels.entries()].sort(([a], [b]) => a.localeCompare(b));
  }

  enabled(component: string, level: LogLevel): boolean {
    return rank(level) >= (this.thresholds.get(component) ?? rank('info')) && level !== 'off';
  }

  write(component: string, level: LogLevel, message: string, fields?: Record<string, unknown>): void {
    if (!this.enabled(component, level)) return;
    if (this.format === 'json') {
      this.sink(JSON.stringify({ time: new Date().toISOString(), level, component, pid: process.pid, msg: message, ...fields }));
    } else {
      this.sink(`[${timestamp()}][${process.pid}][${level}][${component}] ${message}`);
    }
  }

  /**
   * Applies `--component-log-level upstream:debug,connection:trace`; throws naming
   * the bad entry.
   */
  applyComponentLevels(spec: string): void {
    for (const part of spec.split(',').map((s) => s.trim()).filter(Boolean)) {
      const [name, lvl] = part.split(':');
      if (!name || !lvl) throw new Error(`--component-log-level: expected component:level, got "${part}"`);
      if (!this.levels.has(name)) throw new Error(`--component-log-level: unknown component "${name}"`);
      this.setLevel(name, normalizeLevel(lvl));
    }
  }
}

export const logRegistry = new LogRegistry();

export class Logger {
  constructor(
    readonly component: LogComponent,
    private readonly registry: LogRegistry = logRegistry,
  ) {}
  enabled(level: LogLevel): boolean {
    return this.registry.enabled(this.component, level);
  }
  trace(msg: string, fields?: Record<string, unknown>): void { this.registry.write(this.component, 'trace', msg, fields); }
  debug(msg: string, fields?: Record<string, unknown>): void { this.registry.write(this.component, 'debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.registry.write(this.component, 'info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.registry.write(this.component, 'warning', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.registry.write(this.component, 'error', msg, fields); }
  critical(msg: string, fields?: Record<string, unknown>): void { this.registry.write(this.component, 'critical', msg, fields); }
}

const loggers = new Map<string, Logger>();
export function logger(component: LogComponent): Logger {
  let l = loggers.get(component);
  if (!l) loggers.set(component, (l = new Logger(component)));
  return l;
}
