// Envoy's `rate_limit_settings` for discovery requests: a token bucket, so a proxy that
// keeps NACKing (or a flapping interest) cannot flood its control plane.
import type { RateLimitOptions } from './types.js';

export class TokenBucket {
  private tokens: number;
  private lastRefill: number;

  constructor(
    private readonly options: RateLimitOptions,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = options.maxTokens;
    this.lastRefill = this.now();
  }

  /** Takes a token; false when none is left. */
  consume(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** Milliseconds until the next token. */
  msUntilNextToken(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) / this.options.fillRatePerSecond) * 1000);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.options.maxTokens, this.tokens + ((now - this.lastRefill) / 1000) * this.options.fillRatePerSecond);
    this.lastRefill = now;
  }
}
