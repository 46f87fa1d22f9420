// Admin `/stats/prometheus`, as Envoy's PrometheusStatsFormatter writes it: tag-extracted
// names become metric families (`envoy_` + name with every non-alphanumeric turned into
// `_`), tags become labels, counters then gauges then histograms, each family with one
// `# TYPE` line followed by its series.
import type { envoy } from '../../api/envoy-types.generated.js';
import { compileStringMatcher, type StringPredicate } from '../common/matchers.js';
import type { HistogramSample, StatsSnapshot } from './snapshot.js';
import { formatDouble, formatInteger, nameFilter } from './render_text.js';
import { extractTags, type Tag, type TagExtractor } from './tags.js';

/** Envoy's default histogram bucket upper bounds (HistogramSettingsImpl::defaultBuckets). */
export const DEFAULT_HISTOGRAM_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

export interface PrometheusRenderOptions {
  usedOnly?: boolean;
  /** Matched (partially) against the full stat name, as Envoy does. */
  filter?: RegExp;
  /** Defaults to Envoy's default tag extractors; pass the one built from the bootstrap. */
  tagExtractor?: TagExtractor;
  /** Bucket bounds per histogram name; defaults to DEFAULT_HISTOGRAM_BUCKETS. */
  bucketsFor?: (statName: string) => readonly number[];
}

/** Envoy's sanitizeName: the Prometheus charset is [a-zA-Z0-9_]. */
export function sanitizeName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

export function prometheusMetricName(tagExtractedName: string): string {
  return 'envoy_' + sanitizeName(tagExtractedName);
}

/** Label values escape `\`, newline and `"` (Prometheus text format). */
export function formatLabels(tags: readonly Tag[]): string {
  return tags
    .map((t) => `${sanitizeName(t.name)}="${t.value.replace(/[\\\n"]/g, (c) => (c === '\n' ? '\\n' : '\\' + c))}"`)
    .join(',');
}

/**
 * Envoy orders stat names through its symbol table: token by token (split on '.'), each
 * token compared as a string, a name that is a token-prefix of another first.
 */
export function compareStatNames(a: string, b: string): number {
  const ta = a.split('.');
  const tb = b.split('.');
  for (let i = 0; i < Math.min(ta.length, tb.length); i++) {
    if (ta[i] !== tb[i]) return ta[i]! < tb[i]! ? -1 : 1;
  }
  return ta.length - tb.length;
}

interface Series<T> {
  stat: T;
  tags: Tag[];
}

/** Groups stats into families by tag-extracted name; families and series in Envoy's order. */
function families<T extends { name: string }>(stats: T[], extractor: TagExtractor): Array<[string, Series<T>[]]> {
  const groups = new Map<string, Series<T>[]>();
  for (const stat of stats) {
    const { extractedName, tags } = extractor.extract(stat.name);
    let list = groups.get(extractedName);
    if (!list) groups.set(extractedName, (list = []));
    list.push({ stat, tags });
  }
  const sorted = [...groups.entries()].sort((a, b) => compareStatNames(a[0], b[0]));
  for (const [, list] of sorted) list.sort((a, b) => compareStatNames(a.stat.name, b.stat.name));
  return sorted;
}

function histogramLines(metric: string, s: Series<HistogramSample>, buckets: readonly number[]): string {
  const labels = formatLabels(s.tags);
  const bucketLabels = labels === '' ? '' : labels + ',';
  const data = s.stat.cumulative;
  let out = '';
  let previous = 0;
  for (const bound of buckets) {
    // Envoy counts the values whose histogram bin lies entirely at or below the bound; the
    // max() keeps the series monotone should a custom bound split one of our bins.
    previous = Math.max(previous, Math.floor(data.countBelow(bound) + 1e-9));
    out += `${metric}_bucket{${bucketLabels}le="${formatDouble(bound, 32)}"} ${previous}\n`;
  }
  out += `${metric}_bucket{${bucketLabels}le="+Inf"} ${data.count}\n`;
  out += `${metric}_sum{${labels}} ${formatDouble(data.sum, 32)}\n`;
  out += `${metric}_count{${labels}} ${data.count}\n`;
  return out;
}

export function renderPrometheus(snapshot: StatsSnapshot, options: PrometheusRenderOptions = {}): string {
  const extractor = options.tagExtractor ?? { extract: extractTags };
  const show = nameFilter(options.filter);
  const keep = (s: { name: string; used: boolean }) => (!options.usedOnly || s.used) && show(s.name);
  const bucketsFor = options.bucketsFor ?? (() => DEFAULT_HISTOGRAM_BUCKETS);
  let out = '';
  const scalar = (stats: Array<{ name: string; value: number; used: boolean }>, type: string) => {
    for (const [extracted, series] of families(stats.filter(keep), extractor)) {
      const metric = prometheusMetricName(extracted);
      out += `# TYPE ${metric} ${type}\n`;
      for (const s of series) out += `${metric}{${formatLabels(s.tags)}} ${formatInteger(s.stat.value)}\n`;
    }
  };
  scalar(snapshot.counters, 'counter');
  scalar(snapshot.gauges, 'gauge');
  for (const [extracted, series] of families(snapshot.histograms.filter(keep), extractor)) {
    const metric = prometheusMetricName(extracted);
    out += `# TYPE ${metric} histogram\n`;
    for (const s of series) out += histogramLines(metric, s, bucketsFor(s.stat.name));
  }
  return out;
}

/**
 * `stats_config.histogram_bucket_settings`: the first setting whose matcher accepts the
 * stat name gives its buckets (sorted, as Envoy does); other histograms keep the defaults.
 */
export function histogramBucketsFor(
  statsConfig?: envoy.config.metrics.v3.StatsConfig,
): (statName: string) => readonly number[] {
  const settings: Array<[StringPredicate, number[]]> = (statsConfig?.histogram_bucket_settings ?? []).map(
    (s, i) => [
      compileStringMatcher(s.match ?? {}, `stats_config.histogram_bucket_settings[${i}].match`),
      [...(s.buckets ?? [])].sort((a, b) => a - b),
    ],
  );
  if (settings.length === 0) return () => DEFAULT_HISTOGRAM_BUCKETS;
  return (name) => settings.find(([match]) => match(name))?.[1] ?? DEFAULT_HISTOGRAM_BUCKETS;
}
