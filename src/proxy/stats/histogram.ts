// Log-linear histogram with two significant digits per bin (the same binning idea as
// Envoy's circllhist): bounded memory whatever the range, ~1% quantile error.

/** Bin key → count; a value v lands in the bin [m·10^(e-1), (m+1)·10^(e-1)) with m in 10..99. */
export type Bins = Map<number, number>;

const ZERO_BIN = 0;

export function binOf(v: number): number {
  if (!(v > 0)) return ZERO_BIN;
  let e = Math.floor(Math.log10(v));
  let m = Math.floor(v / 10 ** (e - 1) + 1e-9);
  if (m >= 100) {
    m = 10;
    e += 1;
  } else if (m < 10) {
    m = 99;
    e -= 1;
  }
  return (e + 200) * 100 + m;
}

export function binBounds(bin: number): [number, number] {
  if (bin === ZERO_BIN) return [0, 0];
  const m = bin % 100;
  const e = Math.floor(bin / 100) - 200;
  // Dividing by a power of ten (rather than multiplying by 0.1) keeps 5.1 exactly 5.1.
  const scale = (x: number) => (e - 1 >= 0 ? x * 10 ** (e - 1) : x / 10 ** (1 - e));
  return [scale(m), scale(m + 1)];
}

export class HistogramData {
  bins: Bins = new Map();
  count = 0;
  sum = 0;

  record(v: number): void {
    const b = binOf(v);
    this.bins.set(b, (this.bins.get(b) ?? 0) + 1);
    this.count++;
    this.sum += v;
  }

  merge(other: HistogramData): void {
    for (const [b, c] of other.bins) this.bins.set(b, (this.bins.get(b) ?? 0) + c);
    this.count += other.count;
    this.sum += other.sum;
  }

  clear(): void {
    this.bins.clear();
    this.count = 0;
    this.sum = 0;
  }

  /** Quantile q in [0,1], interpolating linearly inside a bin; NaN when empty. */
  quantile(q: number): number {
    if (this.count === 0) return NaN;
    const sorted = [...this.bins.entries()].sort((a, b) => a[0] - b[0]);
    const target = q * this.count;
    let seen = 0;
    for (const [bin, c] of sorted) {
      const [lo, hi] = binBounds(bin);
      if (seen + c >= target) {
        const within = c === 0 ? 0 : (target - seen) / c;
        return lo + (hi - lo) * within;
      }
      seen += c;
    }
    const last = sorted[sorted.length - 1]!;
    return binBounds(last[0])[1];
  }

  /** How many recorded values are ≤ `bound` (a bin straddling the bound counts pro rata). */
  countBelow(bound: number): number {
    let total = 0;
    for (const [bin, c] of this.bins) {
      const [lo, hi] = binBounds(bin);
      if (hi <= bound || (lo === hi && lo <= bound)) total += c;
      else if (lo < bound) total += c * ((bound - lo) / (hi - lo));
    }
    return total;
  }

  toJSON(): { bins: Array<[number, number]>; count: number; sum: number } {
    return { bins: [...this.bins.entries()], count: this.count, sum: this.sum };
  }

  static fromJSON(j: { bins: Array<[number, number]>; count: number; sum: number }): HistogramData {
    const h = new HistogramData();
    h.bins = new Map(j.bins);
    h.count = j.count;
    h.sum = j.sum;
    return h;
  }
}
