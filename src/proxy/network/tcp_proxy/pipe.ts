// One direction of a proxied TCP connection: bytes read from `from` are written to `to`.
// Back-pressure is explicit (rather than stream.pipe) so the proxy can count paused and
// resumed reads and bytes, and so a FIN is forwarded as a half-close instead of ending
// both directions: `to.end()` shuts only the peer's write half.
import type { Duplex } from 'node:stream';
import type { Gauge } from '../../stats/store.js';

export interface PipeHooks {
  /** A chunk was read from `from` and handed to `to`. */
  onBytes(n: number): void;
  /** `to` is full: reading from `from` stopped until it drains. */
  onPaused(): void;
  onResumed(): void;
  /** `from` sent FIN; `to`'s write half has been ended. */
  onEnd(): void;
}

export class Pipe {
  private paused = false;
  private running = false;

  constructor(
    private readonly from: Duplex,
    private readonly to: Duplex,
    private readonly hooks: PipeHooks,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.from.on('data', this.onData);
    this.from.once('end', this.onEnd);
    this.to.on('drain', this.onDrain);
    // The session paused `from` while the upstream connected; data read meanwhile sits
    // in its readable buffer (bounded by its high-water mark) and flows out first.
    this.from.resume();
  }

  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.from.off('data', this.onData);
    this.from.off('end', this.onEnd);
    this.to.off('drain', this.onDrain);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.to.destroyed || this.to.writableEnded) return;
    this.hooks.onBytes(chunk.length);
    if (!this.to.write(chunk) && !this.paused) {
      this.paused = true;
      this.from.pause();
      this.hooks.onPaused();
    }
  };

  private readonly onDrain = (): void => {
    if (!this.paused) return;
    this.paused = false;
    this.hooks.onResumed();
    if (!this.from.destroyed) this.from.resume();
  };

  private readonly onEnd = (): void => {
    if (!this.to.destroyed && !this.to.writableEnded) this.to.end();
    this.hooks.onEnd();
  };
}

/**
 * A per-connection share of a gauge that sums over connections (bytes buffered):
 * each sync moves the gauge by this connection's change, and release() takes its
 * share back out when the connection closes.
 */
export class GaugeShare {
  private value = 0;

  constructor(private readonly gauge: Gauge) {}

  sync(value: number): void {
    if (value === this.value) return;
    this.gauge.inc(value - this.value);
    this.value = value;
  }

  release(): void {
    this.sync(0);
  }
}
