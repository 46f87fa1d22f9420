// The stats store: counters, gauges and histograms by their full Envoy name. Components
// never invent names inline; they declare them (declare.ts) and get typed handles.
// Each worker process has its own store; admin merges snapshots (snapshot.ts).
import { HistogramData } from './histogram.js';

export class Counter {
  value = 0;
  used = false;
  constructor(readonly name: string) {}
  inc(by = 1): void {
    this.value += by;
    this.used = true;
  }
  add(by: number): void {
    this.inc(by);
  }
}

/** How a gauge combines across workers: summed (active connections) or taken once. */
export type GaugeMode = 'accumulate' | 'never_import';

export class Gauge {
  value = 0;
  used = false;
  constructor(
    readonly name: string,
    readonly mode: GaugeMode = 'accumulate',
  ) {}
  set(v: number): void {
    this.value = v;
    this.used = true;
  }
  inc(by = 1): void {
    this.value += by;
    this.used = true;
  }
  dec(by = 1): void {
    this.value -= by;
    this.used = true;
  }
}

export type HistogramUnit = 'Unspecified' | 'Bytes' | 'Microseconds' | 'Milliseconds' | 'Percent';

export class Histogram {
  /** Everything since start (or the last reset). */
  readonly cumulative = new HistogramData();
  /** Values of the current flush interval, moved to `lastInterval` at each flush. */
  private current = new HistogramData();
  lastInterval = new HistogramData();
  used = false;

  constructor(
    readonly name: string,
    readonly unit: HistogramUnit = 'Milliseconds',
  ) {}

  record(v: number): void {
    this.cumulative.record(v);
    this.current.record(v);
    this.used = true;
  }

  /** Called every stats flush interval (Envoy's `stats_flush_interval`, 5 s by default). */
  flushInterval(): void {
    this.lastInterval = this.current;
    this.current = new HistogramData();
  }
}

export class StatsStore {
  readonly counters = new Map<string, Counter>();
  readonly gauges = new Map<string, Gauge>();
  readonly histograms = new Map<string, Histogram>();

  counter(name: string): Counter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new Counter(name)));
    return c;
  }

  gauge(name: string, mode: GaugeMode = 'accumulate'): Gauge {
    let g = this.gauges.get(name);
    if (!g) this.gauges.set(name, (g = new Gauge(name, mode)));
    return g;
  }

  histogram(name: string, unit: HistogramUnit = 'Milliseconds'): Histogram {
    let h = this.histograms.get(name);
    if (!h) this.histograms.set(name, (h = new Histogram(name, unit)));
    return h;
  }

  scope(prefix: string): StatsScope {
    return new StatsScope(this, prefix);
  }

  /** Drops every stat under `prefix` (a removed cluster or listener takes its stats along). */
  removeScope(prefix: string): void {
    for (const map of [this.counters, this.gauges, this.histograms] as Array<Map<string, unknown>>) {
      for (const name of [...map.keys()]) if (name.startsWith(prefix)) map.delete(name);
    }
  }

  /** admin /reset_counters: counters to zero; gauges and histograms untouched, as in Envoy. */
  resetCounters(): void {
    for (const c of this.counters.values()) c.value = 0;
  }

  flushHistogramIntervals(): void {
    for (const h of this.histograms.values()) h.flushInterval();
  }
}

export class StatsScope {
  constructor(
    readonly store: StatsStore,
    readonly prefix: string,
  ) {}
  counter(name: string): Counter {
    return this.store.counter(this.prefix + name);
  }
  gauge(name: string, mode?: GaugeMode): Gauge {
    return this.store.gauge(this.prefix + name, mode);
  }
  histogram(name: string, unit?: HistogramUnit): Histogram {
    return this.store.histogram(this.prefix + name, unit);
  }
  scope(sub: string): StatsScope {
    return new StatsScope(this.store, this.prefix + sub);
  }
}
