// Envoy's runtime: layered key → value overrides (bootstrap static layers, then the
// admin layer set through POST /runtime_modify). Routes read fractions and feature
// flags from it; everything else uses the default given at the call site.
import type { envoy } from '../../api/envoy-types.generated.js';

/** envoy.type.v3.FractionalPercent as config carries it. */
export interface FractionalPercent {
  numerator?: number;
  denominator?: string;
}

/** A FractionalPercent denominator name as a number (HUNDRED when absent or unknown). */
export function denominatorOf(d: unknown): number {
  return { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 }[typeof d === 'string' ? d : 'HUNDRED'] ?? 100;
}

/** A uniform random unsigned integer, for one fractionEnabled() draw. */
export function randomDraw(): number {
  return Math.floor(Math.random() * 0x1_0000_0000);
}

export class Runtime {
  private readonly staticValues = new Map<string, unknown>();
  private readonly adminValues = new Map<string, unknown>();

  static fromBootstrap(layered: envoy.config.bootstrap.v3.LayeredRuntime | undefined): Runtime {
    const runtime = new Runtime();
    for (const layer of layered?.layers ?? []) {
      if (layer.static_layer) runtime.loadStatic(layer.static_layer as Record<string, unknown>);
    }
    return runtime;
  }

  private loadStatic(obj: Record<string, unknown>, prefix = ''): void {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) this.loadStatic(v as Record<string, unknown>, key);
      else this.staticValues.set(key, v);
    }
  }

  get(key: string): unknown {
    return this.adminValues.has(key) ? this.adminValues.get(key) : this.staticValues.get(key);
  }

  getNumber(key: string, fallback: number): number {
    const v = this.get(key);
    const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    return Number.isFinite(n) ? n : fallback;
  }

  featureEnabled(key: string, fallback: boolean): boolean {
    const v = this.get(key);
    if (typeof v === 'boolean') return v;
    if (v === 'true') return true;
    if (v === 'false') return false;
    return fallback;
  }

  /**
   * Envoy's featureEnabled(key, FractionalPercent): an integer under `key` is a percentage
   * (over 100: always on), a `{numerator, denominator}` under it replaces the default, else
   * the default decides. `random` is a uniform non-negative integer (one draw per decision).
   */
  fractionEnabled(key: string | undefined, fallback: FractionalPercent | undefined, random: number): boolean {
    if (key) {
      const num = this.get(`${key}.numerator`);
      if (num !== undefined) return random % denominatorOf(this.get(`${key}.denominator`)) < Number(num);
      if (this.get(key) !== undefined) {
        const n = this.getNumber(key, NaN);
        if (Number.isInteger(n) && n >= 0) return n > 100 ? true : random % 100 < n;
      }
    }
    return random % denominatorOf(fallback?.denominator) < (fallback?.numerator ?? 0);
  }

  setAdmin(key: string, value: string): void {
    if (value === '') this.adminValues.delete(key);
    else this.adminValues.set(key, value);
  }

  /** All entries (for admin /runtime), admin layer winning. */
  entries(): Array<[string, unknown]> {
    const merged = new Map(this.staticValues);
    for (const [k, v] of this.adminValues) merged.set(k, v);
    return [...merged.entries()].sort(([a], [b]) => a.localeCompare(b));
  }
}
