// Reading proto3 JSON without caring how it was spelled. A proxy's /config_dump uses
// proto field names (Envoy's admin and skein's do), istioctl's `-o json` and files
// saved from it use lowerCamelCase, and `--file` accepts either; every formatter
// reads fields through these helpers so both spellings work.

export type Json = Record<string, unknown>;

const camel = (snake: string) => snake.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function isObject(v: unknown): v is Json {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `obj.snake_name` or `obj.snakeName`. */
export function field(obj: unknown, snakeName: string): unknown {
  if (!isObject(obj)) return undefined;
  if (snakeName in obj) return obj[snakeName];
  return obj[camel(snakeName)];
}

/** Follows a path of snake_case names; undefined as soon as one is missing. */
export function path(obj: unknown, ...names: string[]): unknown {
  let v = obj;
  for (const n of names) v = field(v, n);
  return v;
}

export function str(obj: unknown, ...names: string[]): string {
  const v = path(obj, ...names);
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}

export function num(obj: unknown, ...names: string[]): number {
  const v = path(obj, ...names);
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : 0;
}

export function list(obj: unknown, ...names: string[]): unknown[] {
  const v = path(obj, ...names);
  return Array.isArray(v) ? v : [];
}

export function obj(value: unknown, ...names: string[]): Json | undefined {
  const v = names.length ? path(value, ...names) : value;
  return isObject(v) ? v : undefined;
}

/** A google.protobuf wrapper (UInt32Value...) printed either bare (`5`) or as `{value: 5}`. */
export function wrapped(value: unknown): unknown {
  return isObject(value) && 'value' in value ? value.value : value;
}
