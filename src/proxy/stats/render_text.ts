// Admin `/stats` (plain text) and `/stats?format=json`, laid out the way Envoy's
// StatsRequest renders them: counters and gauges interleaved in one list sorted by full
// name, then histograms as quantile summaries of the last interval and of all time.
import type { HistogramData } from './histogram.js';
import type { HistogramSample, StatsSnapshot } from './snapshot.js';

export type StatsType = 'All' | 'Counters' | 'Gauges' | 'Histograms' | 'TextReadouts';

export interface StatsRenderOptions {
  /** `?filter=`: Envoy applies it as a partial (unanchored) match on the full stat name. */
  filter?: RegExp;
  /** `?usedonly`: skip stats never written since they were created. */
  usedOnly?: boolean;
  /** `?type=`: restrict to one kind of stat. */
  type?: StatsType;
}

/** Envoy's HistogramStatisticsImpl supported quantiles. */
export const SUPPORTED_QUANTILES: readonly number[] = [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1];
/** The same as Envoy prints them (`P{:g}` of 100·q). */
const QUANTILE_LABELS = ['0', '25', '50', '75', '90', '95', '99', '99.5', '99.9', '100'];

export interface NamedValue {
  name: string;
  value: number;
}

export interface SelectedStats {
  /** Counters and gauges together, sorted by name. */
  scalars: NamedValue[];
  histograms: HistogramSample[];
}

/** A name predicate for `?filter=`; `g`/`y` flags are dropped so repeated tests stay stateless. */
export function nameFilter(filter?: RegExp): (name: string) => boolean {
  if (!filter) return () => true;
  const re = /[gy]/.test(filter.flags) ? new RegExp(filter.source, filter.flags.replace(/[gy]/g, '')) : filter;
  return (name) => re.test(name);
}

/** Byte-wise order, like the std::string keys Envoy sorts /stats output by. */
export const byName = (a: { name: string }, b: { name: string }): number =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** Applies filter / usedOnly / type and sorts, shared by the text and JSON renderers. */
export function selectStats(snapshot: StatsSnapshot, options: StatsRenderOptions = {}): SelectedStats {
  const type = options.type ?? 'All';
  const show = nameFilter(options.filter);
  const keep = (s: { name: string; used: boolean }) => (!options.usedOnly || s.used) && show(s.name);
  const scalars: NamedValue[] = [];
  if (type === 'All' || type === 'Counters') {
    for (const c of snapshot.counters) if (keep(c)) scalars.push({ name: c.name, value: c.value });
  }
  if (type === 'All' || type === 'Gauges') {
    for (const g of snapshot.gauges) if (keep(g)) scalars.push({ name: g.name, value: g.value });
  }
  const histograms = type === 'All' || type === 'Histograms' ? snapshot.histograms.filter(keep) : [];
  return { scalars: scalars.sort(byName), histograms: [...histograms].sort(byName) };
}

export function quantiles(h: HistogramData): number[] {
  return SUPPORTED_QUANTILES.map((q) => h.quantile(q));
}

/** Envoy's ParentHistogram::quantileSummary: `P0(interval,cumulative) P25(...) ...`. */
export function quantileSummary(h: HistogramSample): string {
  if (!h.used) return 'No recorded values';
  const interval = quantiles(h.interval);
  const cumulative = quantiles(h.cumulative);
  return QUANTILE_LABELS.map(
    (label, i) => `P${label}(${formatDouble(interval[i]!)},${formatDouble(cumulative[i]!)})`,
  ).join(' ');
}

export function renderStatsText(snapshot: StatsSnapshot, options: StatsRenderOptions = {}): string {
  const { scalars, histograms } = selectStats(snapshot, options);
  let out = '';
  for (const s of scalars) out += `${s.name}: ${formatInteger(s.value)}\n`;
  for (const h of histograms) out += `${h.name}: ${quantileSummary(h)}\n`;
  return out;
}

/**
 * `/stats?format=json`: `{"stats":[{"name","value"}..., {"histograms":{...}}]}`; the
 * histograms entry only appears when some histogram is selected, empty quantiles are null.
 */
export function renderStatsJson(snapshot: StatsSnapshot, options: StatsRenderOptions = {}): string {
  const { scalars, histograms } = selectStats(snapshot, options);
  const stats: unknown[] = scalars.map((s) => ({ name: s.name, value: s.value }));
  if (histograms.length > 0) {
    const orNull = (v: number) => (Number.isFinite(v) ? v : null);
    stats.push({
      histograms: {
        supported_quantiles: QUANTILE_LABELS.map(Number),
        computed_quantiles: histograms.map((h) => {
          const interval = quantiles(h.interval);
          const cumulative = quantiles(h.cumulative);
          return {
            name: h.name,
            values: interval.map((v, i) => ({ interval: orNull(v), cumulative: orNull(cumulative[i]!) })),
          };
        }),
      },
    });
  }
  return JSON.stringify({ stats });
}

/** Counters and gauges are integers in Envoy (uint64); print them without exponent or fraction. */
export function formatInteger(v: number): string {
  if (Number.isSafeInteger(v)) return String(v);
  return Number.isFinite(v) ? BigInt(Math.trunc(v)).toString() : String(v);
}

/**
 * Formats a double like the {fmt} library: `{}` (precision undefined: shortest round-trip
 * digits, exponent below 1e-4 or from 1e16) or `{:.Ng}` (printf %.Ng: N significant digits,
 * trailing zeros dropped, exponent below 1e-4 or from 1eN). NaN prints as `nan`.
 */
export function formatDouble(v: number, precision?: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (!Number.isFinite(v)) return v < 0 ? '-inf' : 'inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  const neg = v < 0;
  const [mantissa, expText] = Math.abs(v).toExponential(precision === undefined ? undefined : precision - 1).split('e');
  const exp = Number(expText);
  const digits = mantissa!.replace('.', '').replace(/0+$/, '') || '0';
  const upper = precision ?? 16;
  let text: string;
  if (exp < -4 || exp >= upper) {
    const frac = digits.slice(1);
    const e = Math.abs(exp);
    text = `${digits[0]}${frac ? '.' + frac : ''}e${exp < 0 ? '-' : '+'}${e < 10 ? '0' + e : e}`;
  } else if (exp < 0) {
    text = '0.' + '0'.repeat(-exp - 1) + digits;
  } else {
    const whole = digits.padEnd(exp + 1, '0');
    const frac = whole.slice(exp + 1);
    text = whole.slice(0, exp + 1) + (frac ? '.' + frac : '');
  }
  return neg ? '-' + text : text;
}
