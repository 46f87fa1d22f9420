// In-memory shapes of protobuf's well-known types. Every config source (YAML, JSON,
// xDS protobuf) is converted to these, so the rest of skein sees one form:
//   Duration / Timestamp → { seconds, nanos }      wrappers → { value }
//   Any → { '@type': url, ...fields of the packed message }
//   Struct → a plain JSON object, Value → any JSON value, Empty → {}
// int64 values become JS numbers (config values stay far below 2^53).

export interface Duration {
  seconds?: number;
  nanos?: number;
}

export interface Wrapped<T> {
  value?: T;
}

export interface AnyMessage {
  '@type': string;
  [field: string]: unknown;
}

export type JsonObject = Record<string, unknown>;
export type EmptyMessage = Record<string, never>;

/** Milliseconds in a Duration; `fallback` when the field is absent. */
export function durationMs(d: Duration | undefined, fallback: number): number;
export function durationMs(d: Duration | undefined): number | undefined;
export function durationMs(d: Duration | undefined, fallback?: number): number | undefined {
  if (!d) return fallback;
  return (d.seconds ?? 0) * 1000 + (d.nanos ?? 0) / 1e6;
}

/** Zero parts are left out, as protobuf decoding leaves them out: one config, one shape. */
export function durationOf(seconds: number, nanos: number): Duration {
  const d: Duration = {};
  if (seconds) d.seconds = seconds;
  if (nanos) d.nanos = nanos;
  return d;
}

export function durationFromMs(ms: number): Duration {
  const seconds = Math.floor(ms / 1000);
  return durationOf(seconds, Math.round((ms - seconds * 1000) * 1e6));
}

/** The wrapped value, or `fallback` when the wrapper (or its value) is absent. */
export function unwrap<T>(w: Wrapped<T> | undefined, fallback: T): T;
export function unwrap<T>(w: Wrapped<T> | undefined): T | undefined;
export function unwrap<T>(w: Wrapped<T> | undefined, fallback?: T): T | undefined {
  return w?.value ?? fallback;
}

/** Formats a Duration the way proto3 JSON does: "5s", "0.250s", "1.000000001s". */
export function formatDuration(d: Duration): string {
  const seconds = d.seconds ?? 0;
  const nanos = d.nanos ?? 0;
  const negative = seconds < 0 || nanos < 0;
  const absS = Math.abs(seconds);
  const absN = Math.abs(nanos);
  let frac = '';
  if (absN) {
    if (absN % 1e6 === 0) frac = '.' + String(absN / 1e6).padStart(3, '0');
    else if (absN % 1e3 === 0) frac = '.' + String(absN / 1e3).padStart(6, '0');
    else frac = '.' + String(absN).padStart(9, '0');
  }
  return `${negative ? '-' : ''}${absS}${frac}s`;
}

/** Parses proto3 JSON's duration string ("1.5s", "-0.001s"); undefined when malformed. */
export function parseDuration(text: string): Duration | undefined {
  const m = /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(text);
  if (!m) return undefined;
  const sign = m[1] ? -1 : 1;
  const seconds = Number(m[2]);
  const nanos = m[3] ? Number(m[3].padEnd(9, '0')) : 0;
  if (seconds > 315576000000) return undefined;
  return durationOf(sign * seconds, sign * nanos);
}

/** RFC 3339 text of a Timestamp. */
export function formatTimestamp(t: Duration): string {
  const ms = (t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6);
  return new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function parseTimestamp(text: string): Duration | undefined {
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/^\d{4}-\d\d-\d\dT/.test(text)) return undefined;
  const seconds = Math.floor(ms / 1000);
  return durationOf(seconds, (ms - seconds * 1000) * 1e6);
}
