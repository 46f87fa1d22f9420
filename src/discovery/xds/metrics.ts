// Control-plane counters, in the spirit of istiod's pilot_xds_* metrics. Plain
// numbers per type short name; the snapshot is JSON for the debug endpoint and for
// benchmarks (push time is what the "1,000 proxies in 1 s" budget is about).
import { HistogramData } from '../../proxy/stats/histogram.js';
import { isXdsTypeUrl, SHORT_NAME } from '../../api/xds/resource_types.js';
import type { XdsProtocol } from './status.js';

export interface PerTypeCounters {
  pushes: number;
  pushBytes: number;
  resourcesSent: number;
  acks: number;
  nacks: number;
  /** Requests ignored because their response_nonce was not the latest (SotW). */
  staleNonces: number;
  requests: number;
}

export interface PushTimeSummary {
  count: number;
  sumMs: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number;
}

export interface XdsMetricsSnapshot {
  connectedStreams: number;
  connectedByProtocol: Record<XdsProtocol, number>;
  streamsOpened: number;
  streamsFailed: number;
  requestsReceived: number;
  badRequests: number;
  /** From the cause (request or snapshot) to the response being handed to gRPC. */
  pushTime: PushTimeSummary;
  types: Record<string, PerTypeCounters>;
}

const short = (typeUrl: string) => (isXdsTypeUrl(typeUrl) ? SHORT_NAME[typeUrl] : typeUrl);
const finite = (v: number) => (Number.isFinite(v) ? Math.round(v * 1000) / 1000 : null);

export class XdsMetrics {
  private connected: Record<XdsProtocol, number> = { sotw: 0, delta: 0 };
  private opened = 0;
  private failed = 0;
  private requests = 0;
  private bad = 0;
  private readonly pushTime = new HistogramData();
  private maxPushMs = 0;
  private readonly perType = new Map<string, PerTypeCounters>();

  private type(typeUrl: string): PerTypeCounters {
    const key = short(typeUrl);
    let c = this.perType.get(key);
    if (!c) this.perType.set(key, (c = { pushes: 0, pushBytes: 0, resourcesSent: 0, acks: 0, nacks: 0, staleNonces: 0, requests: 0 }));
    return c;
  }

  streamOpened(protocol: XdsProtocol): void {
    this.connected[protocol]++;
    this.opened++;
  }

  streamClosed(protocol: XdsProtocol): void {
    this.connected[protocol]--;
  }

  streamFailed(): void {
    this.failed++;
  }

  requestReceived(typeUrl: string | undefined): void {
    this.requests++;
    if (typeUrl) this.type(typeUrl).requests++;
  }

  badRequest(): void {
    this.bad++;
  }

  pushed(typeUrl: string, bytes: number, resources: number, elapsedMs: number): void {
    const c = this.type(typeUrl);
    c.pushes++;
    c.pushBytes += bytes;
    c.resourcesSent += resources;
    this.pushTime.record(elapsedMs);
    if (elapsedMs > this.maxPushMs) this.maxPushMs = elapsedMs;
  }

  ack(typeUrl: string): void {
    this.type(typeUrl).acks++;
  }

  nack(typeUrl: string): void {
    this.type(typeUrl).nacks++;
  }

  staleNonce(typeUrl: string): void {
    this.type(typeUrl).staleNonces++;
  }

  snapshot(): XdsMetricsSnapshot {
    const h = this.pushTime;
    return {
      connectedStreams: this.connected.sotw + this.connected.delta,
      connectedByProtocol: { ...this.connected },
      streamsOpened: this.opened,
      streamsFailed: this.failed,
      requestsReceived: this.requests,
      badRequests: this.bad,
      pushTime: {
        count: h.count,
        sumMs: finite(h.sum) ?? 0,
        p50Ms: finite(h.quantile(0.5)),
        p90Ms: finite(h.quantile(0.9)),
        p99Ms: finite(h.quantile(0.99)),
        maxMs: finite(this.maxPushMs) ?? 0,
      },
      types: Object.fromEntries([...this.perType].map(([k, v]) => [k, { ...v }])),
    };
  }
}
