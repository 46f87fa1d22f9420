// %START_TIME(...)% formatting. Envoy formats with absl::FormatTime in UTC and adds
// %s (epoch seconds) and %f / %1f..%9f (fractional seconds). The format is compiled once
// into parts so rendering a log line does no parsing.

export type TimeFormatter = (epochMs: number) => string;

type Part = string | ((d: Date, epochMs: number) => string);

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];

const pad = (n: number, width = 2, fill = '0') => String(n).padStart(width, fill);

/** Digits of the fractional second; we only know milliseconds, so finer digits are 0. */
function fraction(epochMs: number, digits: number): string {
  const ms = ((epochMs % 1000) + 1000) % 1000;
  return (pad(Math.floor(ms), 3) + '000000').slice(0, digits);
}

function dayOfYear(d: Date): number {
  return Math.floor((d.getTime() - Date.UTC(d.getUTCFullYear(), 0, 1)) / 86_400_000) + 1;
}

const hour12 = (d: Date) => pad(d.getUTCHours() % 12 || 12);

const SPECIFIERS: Record<string, (d: Date, epochMs: number) => string> = {
  Y: (d) => String(d.getUTCFullYear()),
  C: (d) => pad(Math.floor(d.getUTCFullYear() / 100)),
  y: (d) => pad(d.getUTCFullYear() % 100),
  m: (d) => pad(d.getUTCMonth() + 1),
  d: (d) => pad(d.getUTCDate()),
  e: (d) => pad(d.getUTCDate(), 2, ' '),
  H: (d) => pad(d.getUTCHours()),
  I: hour12,
  M: (d) => pad(d.getUTCMinutes()),
  S: (d) => pad(d.getUTCSeconds()),
  p: (d) => (d.getUTCHours() < 12 ? 'AM' : 'PM'),
  j: (d) => pad(dayOfYear(d), 3),
  a: (d) => DAYS[d.getUTCDay()]!.slice(0, 3),
  A: (d) => DAYS[d.getUTCDay()]!,
  b: (d) => MONTHS[d.getUTCMonth()]!.slice(0, 3),
  h: (d) => MONTHS[d.getUTCMonth()]!.slice(0, 3),
  B: (d) => MONTHS[d.getUTCMonth()]!,
  u: (d) => String(d.getUTCDay() || 7),
  w: (d) => String(d.getUTCDay()),
  z: () => '+0000',
  Z: () => 'UTC',
  s: (_d, ms) => String(Math.floor(ms / 1000)),
  f: (_d, ms) => fraction(ms, 9),
  T: (d) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
  R: (d) => `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`,
  D: (d) => `${pad(d.getUTCMonth() + 1)}/${pad(d.getUTCDate())}/${pad(d.getUTCFullYear() % 100)}`,
  F: (d) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
  n: () => '\n',
  t: () => '\t',
  '%': () => '%',
};

/**
 * Compiles a strftime-style format. No format means Envoy's default START_TIME
 * rendering, ISO 8601 in UTC with milliseconds (`2016-04-15T20:17:00.310Z`).
 * Unknown specifiers are kept as written, as strftime does.
 */
export function compileTimeFormat(format: string | undefined): TimeFormatter {
  if (!format) return (ms) => new Date(ms).toISOString();
  const parts: Part[] = [];
  let literal = '';
  const pushFn = (fn: (d: Date, ms: number) => string) => {
    if (literal) parts.push(literal);
    literal = '';
    parts.push(fn);
  };
  for (let i = 0; i < format.length; i++) {
    const c = format[i]!;
    if (c !== '%' || i + 1 >= format.length) {
      literal += c;
      continue;
    }
    const next = format[i + 1]!;
    // %1f..%9f: that many fractional digits.
    if (next >= '1' && next <= '9' && format[i + 2] === 'f') {
      const digits = Number(next);
      pushFn((_d, ms) => fraction(ms, digits));
      i += 2;
      continue;
    }
    // absl's %E3S / %E6S / %E9S / %E*S (seconds with a fraction) and %Ez (+00:00).
    if (next === 'E') {
      const m = /^([1-9*])S/.exec(format.slice(i + 2));
      if (m) {
        const digits = m[1] === '*' ? 3 : Number(m[1]);
        pushFn((d, ms) => `${pad(d.getUTCSeconds())}.${fraction(ms, digits)}`);
        i += 3;
        continue;
      }
      if (format[i + 2] === 'z') {
        pushFn(() => '+00:00');
        i += 2;
        continue;
      }
    }
    const fn = SPECIFIERS[next];
    if (fn) {
      if (next === '%') literal += '%';
      else pushFn(fn);
      i += 1;
      continue;
    }
    literal += c;
  }
  if (literal) parts.push(literal);
  return (epochMs) => {
    const d = new Date(epochMs);
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : p(d, epochMs);
    return out;
  };
}
