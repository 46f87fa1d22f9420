// Envoy's JitteredExponentialBackOffStrategy for xDS stream retries: the upper bound
// doubles on each failure up to the cap, and the actual delay is drawn at random below
// it, so a fleet of proxies that lost the same control plane does not return in step.
import type { BackoffOptions } from './types.js';

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 500, maxMs: 30_000 };

export class JitteredBackoff {
  private attempt = 0;

  constructor(
    private readonly options: BackoffOptions = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /** The delay before the next retry, in ms. */
  next(): number {
    const ceiling = Math.min(this.options.baseMs * 2 ** this.attempt, this.options.maxMs);
    if (ceiling < this.options.maxMs) this.attempt++;
    // Never zero: an immediate retry against a down server only burns CPU.
    return Math.max(1, Math.floor(ceiling / 2 + (this.random() * ceiling) / 2));
  }

  /** After a stream delivered a response: the next failure starts from the base again. */
  reset(): void {
    this.attempt = 0;
  }
}
