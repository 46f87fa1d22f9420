// Go's time.ParseDuration / Duration.String, in nanoseconds, so /delay and echo's ?delay=
// accept the same inputs as the Go services and report errors in the same words.

const UNITS: Record<string, number> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

/** Nanoseconds, or an Error whose message matches Go's (`time: invalid duration "x"`). */
export function parseGoDuration(input: string): number | Error {
  const quoted = JSON.stringify(input);
  let s = input;
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return new Error(`time: invalid duration ${quoted}`);
  let total = 0;
  while (s !== '') {
    const num = /^(\d*)(?:\.(\d*))?/.exec(s) as RegExpExecArray;
    if (num[0] === '' || num[0] === '.') return new Error(`time: invalid duration ${quoted}`);
    s = s.slice(num[0].length);
    const unit = /^[^0-9.]*/.exec(s)?.[0] ?? '';
    if (unit === '') return new Error(`time: missing unit in duration ${quoted}`);
    const scale = UNITS[unit];
    if (scale === undefined) return new Error(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    s = s.slice(unit.length);
    total += Number(`${num[1] || '0'}.${num[2] || '0'}`) * scale;
  }
  return Math.round(neg ? -total : total);
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** go-httpbin's parseDuration: a Go duration, or else float seconds truncated to milliseconds. */
export function parseHttpbinDuration(input: string): number | Error {
  const d = parseGoDuration(input);
  if (typeof d === 'number') return d;
  if (!FLOAT.test(input)) return new Error(`strconv.ParseFloat: parsing ${JSON.stringify(input)}: invalid syntax`);
  return Math.trunc(Number(input) * 1000) * 1e6;
}

function trimFraction(whole: number, frac: number, digits: number): string {
  if (frac === 0) return String(whole);
  return `${whole}.${String(frac).padStart(digits, '0').replace(/0+$/, '')}`;
}

/** Duration.String(): `500ms`, `1.5s`, `1m30s`, `1h0m0s`. */
export function formatGoDuration(ns: number): string {
  if (ns === 0) return '0s';
  const sign = ns < 0 ? '-' : '';
  const a = Math.abs(Math.round(ns));
  if (a < 1e3) return `${sign}${a}ns`;
  if (a < 1e6) return `${sign}${trimFraction(Math.floor(a / 1e3), a % 1e3, 3)}µs`;
  if (a < 1e9) return `${sign}${trimFraction(Math.floor(a / 1e6), a % 1e6, 6)}ms`;
  const h = Math.floor(a / 3600e9);
  const m = Math.floor((a % 3600e9) / 60e9);
  const rest = a % 60e9;
  const secs = `${trimFraction(Math.floor(rest / 1e9), rest % 1e9, 9)}s`;
  if (h > 0) return `${sign}${h}h${m}m${secs}`;
  if (m > 0) return `${sign}${m}m${secs}`;
  return `${sign}${secs}`;
}
