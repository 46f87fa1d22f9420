// Push debouncing, as istiod does it (PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX): a
// burst of changes (an editor saving three files, a Deployment scaled from 1 to 5)
// becomes one push. The push runs once nothing has happened for `quietMs`, or at the
// latest `maxDelayMs` after the first change, so a stream of changes can delay a
// push but never starve it. Reasons are merged so the push log says what it covers.

export class PushDebouncer {
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;
  private readonly reasons = new Set<string>();
  private closed = false;

  constructor(
    private readonly quietMs: number,
    private readonly maxDelayMs: number,
    private readonly run: (reasons: string[]) => void,
  ) {}

  /** Notes a change; the push follows after the quiet period. */
  schedule(reason: string): void {
    if (this.closed) return;
    this.reasons.add(reason);
    const now = Date.now();
    if (this.timer === undefined) this.firstAt = now;
    else clearTimeout(this.timer);
    const wait = Math.max(0, Math.min(this.quietMs, this.firstAt + this.maxDelayMs - now));
    this.timer = setTimeout(() => this.fire(), wait);
  }

  /** Runs a scheduled push now (and drops the timer); a no-op when nothing is pending. */
  flush(): void {
    if (this.timer !== undefined) this.fire();
  }

  get pending(): boolean {
    return this.timer !== undefined;
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.reasons.clear();
  }

  private fire(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const reasons = [...this.reasons];
    this.reasons.clear();
    this.run(reasons);
  }
}
