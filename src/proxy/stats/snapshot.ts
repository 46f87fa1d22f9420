// A plain-data copy of a stats store: what workers send to the main process and what
// the admin renderers (text, JSON, Prometheus) read. Merging sums across workers.
import { HistogramData } from './histogram.js';
import type { GaugeMode, HistogramUnit, StatsStore } from './store.js';

export interface CounterSample {
  name: string;
  value: number;
  used: boolean;
}

export interface GaugeSample {
  name: string;
  value: number;
  used: boolean;
  mode: GaugeMode;
}

export interface HistogramSample {
  name: string;
  unit: HistogramUnit;
  used: boolean;
  cumulative: HistogramData;
  /** The last completed flush interval. */
  interval: HistogramData;
}

export interface StatsSnapshot {
  counters: CounterSample[];
  gauges: GaugeSample[];
  histograms: HistogramSample[];
}

export function takeSnapshot(store: StatsStore): StatsSnapshot {
  const clone = (h: HistogramData) => {
    const c = new HistogramData();
    c.merge(h);
    return c;
  };
  return {
    counters: [...store.counters.values()].map((c) => ({ name: c.name, value: c.value, used: c.used })),
    gauges: [...store.gauges.values()].map((g) => ({ name: g.name, value: g.value, used: g.used, mode: g.mode })),
    histograms: [...store.histograms.values()].map((h) => ({
      name: h.name,
      unit: h.unit,
      used: h.used,
      cumulative: clone(h.cumulative),
      interval: clone(h.lastInterval),
    })),
  };
}

/** Sums counters and accumulating gauges; histograms merge bins. Output sorted by name. */
export function mergeSnapshots(snapshots: StatsSnapshot[]): StatsSnapshot {
  const counters = new Map<string, CounterSample>();
  const gauges = new Map<string, GaugeSample>();
  const histograms = new Map<string, HistogramSample>();
  for (const s of snapshots) {
    for (const c of s.counters) {
      const prev = counters.get(c.name);
      if (prev) {
        prev.value += c.value;
        prev.used ||= c.used;
      } else counters.set(c.name, { ...c });
    }
    for (const g of s.gauges) {
      const prev = gauges.get(g.name);
      if (prev) {
        if (g.mode === 'accumulate') prev.value += g.value;
        prev.used ||= g.used;
      } else gauges.set(g.name, { ...g });
    }
    for (const h of s.histograms) {
      const prev = histograms.get(h.name);
      if (prev) {
        prev.cumulative.merge(h.cumulative);
        prev.interval.merge(h.interval);
        prev.used ||= h.used;
      } else {
        const cumulative = new HistogramData();
        cumulative.merge(h.cumulative);
        const interval = new HistogramData();
        interval.merge(h.interval);
        histograms.set(h.name, { ...h, cumulative, interval });
      }
    }
  }
  const byName = <T extends { name: string }>(a: T, b: T) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return {
    counters: [...counters.values()].sort(byName),
    gauges: [...gauges.values()].sort(byName),
    histograms: [...histograms.values()].sort(byName),
  };
}

/** Snapshot → structured-clone-friendly data for IPC, and back. */
export function snapshotToWire(s: StatsSnapshot): unknown {
  return {
    counters: s.counters,
    gauges: s.gauges,
    histograms: s.histograms.map((h) => ({ ...h, cumulative: h.cumulative.toJSON(), interval: h.interval.toJSON() })),
  };
}

export function snapshotFromWire(w: any): StatsSnapshot {
  return {
    counters: w.counters,
    gauges: w.gauges,
    histograms: w.histograms.map((h: any) => ({
      ...h,
      cumulative: HistogramData.fromJSON(h.cumulative),
      interval: HistogramData.fromJSON(h.interval),
    })),
  };
}
