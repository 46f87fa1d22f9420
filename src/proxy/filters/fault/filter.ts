// envoy.filters.http.fault, per request: decide whether this request gets a delay and/or
// an abort, hold it on a timer or answer it locally, and keep the active-fault count.
// The order is Envoy's: a delay first (an abort, if any, is drawn when the delay ends),
// else an abort at once.
import {
  FilterDataStatus,
  FilterHeadersStatus,
  FilterTrailersStatus,
  type DecoderFilterCallbacks,
  type StreamDecoderFilter,
} from '../../http/filter.js';
import type { HeaderMap } from '../../http/header_map.js';
import type { FractionalPercent, Runtime } from '../../server/runtime.js';
import { FAULT_HEADERS, FaultSettings } from './fault_settings.js';
import type { FaultStats } from './stats.js';

export interface FaultFilterConfig {
  /** The HCM chain's settings; a route's typed_per_filter_config replaces them whole. */
  settings: FaultSettings;
  stats: FaultStats;
  runtime: Runtime;
  /** The filter's name in http_filters: per-route config key and dynamic metadata namespace. */
  filterName: string;
  /** A non-negative random integer per draw (tests pin it). */
  random: () => number;
}

/** Runtime keys Envoy consults instead of the global ones when the request names its downstream cluster. */
interface DownstreamClusterKeys {
  delayPercent: string;
  abortPercent: string;
  delayDuration: string;
  abortHttpStatus: string;
  abortGrpcStatus: string;
}

export const FAULT_ABORT_DETAILS = 'fault_filter_abort';
const ABORT_BODY = 'fault filter abort';

export class FaultFilter implements StreamDecoderFilter {
  private cb!: DecoderFilterCallbacks;
  private settings!: FaultSettings;
  private delayTimer?: NodeJS.Timeout;
  /** This stream holds one unit of active_faults (at most one, however many faults it gets). */
  private holdsActiveFault = false;
  private downstreamCluster?: string;
  private downstreamKeys?: DownstreamClusterKeys;

  constructor(private readonly config: FaultFilterConfig) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.cb = callbacks;
  }

  decodeHeaders(headers: HeaderMap, _endStream: boolean): FilterHeadersStatus {
    // Only a compiled HTTPFault overrides; a per-route entry of another type under this name is ignored.
    const perRoute = this.cb.perFilterConfig<unknown>(this.config.filterName);
    this.settings = perRoute instanceof FaultSettings ? perRoute : this.config.settings;
    if (!this.settings.applies(headers, this.cb.route()?.forward()?.clusterName)) return FilterHeadersStatus.Continue;
    this.noteDownstreamCluster(headers);
    if (this.maybeDelay(headers)) return FilterHeadersStatus.StopIteration;
    if (this.maybeAbort(headers)) return FilterHeadersStatus.StopIteration;
    return FilterHeadersStatus.Continue;
  }

  // While the delay runs, the body and trailers wait here (the iterator buffers them).
  decodeData(_data: Buffer, _endStream: boolean): FilterDataStatus {
    return this.delayTimer ? FilterDataStatus.StopIterationAndBuffer : FilterDataStatus.Continue;
  }

  decodeTrailers(_trailers: HeaderMap): FilterTrailersStatus {
    return this.delayTimer ? FilterTrailersStatus.StopIteration : FilterTrailersStatus.Continue;
  }

  /** The stream ended (served, reset, or the client left mid-delay): no timer may outlive it. */
  onDestroy(): void {
    if (this.delayTimer) clearTimeout(this.delayTimer);
    this.delayTimer = undefined;
    this.releaseActiveFault();
  }

  /** The runtime keys follow the header even when disable_downstream_cluster_stats turns off its stats. */
  private noteDownstreamCluster(headers: HeaderMap): void {
    const cluster = headers.get(FAULT_HEADERS.downstreamCluster);
    if (cluster === undefined) return;
    if (cluster !== '' && !this.settings.disableDownstreamClusterStats) this.downstreamCluster = cluster;
    this.downstreamKeys = {
      delayPercent: `fault.http.${cluster}.delay.fixed_delay_percent`,
      abortPercent: `fault.http.${cluster}.abort.abort_percent`,
      delayDuration: `fault.http.${cluster}.delay.fixed_duration_ms`,
      abortHttpStatus: `fault.http.${cluster}.abort.http_status`,
      abortGrpcStatus: `fault.http.${cluster}.abort.grpc_status`,
    };
  }

  private enabled(key: string, percent: FractionalPercent): boolean {
    return this.config.runtime.fractionEnabled(key, percent, this.config.random());
  }

  // ---- delay --------------------------------------------------------------

  private delayMs(headers: HeaderMap): number | undefined {
    const delay = this.settings.delay;
    if (!delay) return undefined;
    const keys = this.settings.runtimeKeys;
    if (!this.enabled(this.downstreamKeys?.delayPercent ?? keys.delayPercent, delay.percentage(headers))) return undefined;
    const configured = delay.durationMs(headers);
    if (configured === undefined) return undefined;
    const runtime = this.config.runtime;
    let ms = runtime.getNumber(keys.delayDuration, configured);
    if (this.downstreamKeys) ms = runtime.getNumber(this.downstreamKeys.delayDuration, ms);
    return ms > 0 ? ms : undefined;
  }

  private maybeDelay(headers: HeaderMap): boolean {
    const ms = this.delayMs(headers);
    if (ms === undefined || !this.tryHoldActiveFault()) return false;
    this.config.stats.common.delays_injected.inc();
    if (this.downstreamCluster) this.config.stats.downstreamCluster(this.downstreamCluster).delays_injected.inc();
    this.cb.streamInfo.setResponseFlag('DelayInjected');
    this.recordFilterMetadata();
    this.delayTimer = setTimeout(() => this.afterDelay(headers), ms);
    return true;
  }

  /** A delay may be followed by an abort (drawn now); otherwise the fault is over and the request goes on. */
  private afterDelay(headers: HeaderMap): void {
    this.delayTimer = undefined;
    const status = this.abortStatus(headers);
    if (status) {
      this.abortWith(status);
      return;
    }
    this.releaseActiveFault();
    this.cb.continueDecoding();
  }

  // ---- abort --------------------------------------------------------------

  /** [http status, grpc status]; a gRPC-only abort answers HTTP 200 (trailers-only for gRPC clients). */
  private abortStatus(headers: HeaderMap): [number, number | undefined] | undefined {
    const abort = this.settings.abort;
    if (!abort) return undefined;
    const keys = this.settings.runtimeKeys;
    const dk = this.downstreamKeys;
    if (!this.enabled(dk?.abortPercent ?? keys.abortPercent, abort.percentage(headers))) return undefined;
    const runtime = this.config.runtime;
    const http = abort.httpStatusFor(headers);
    if (http !== undefined) {
      const status = runtime.getNumber(keys.abortHttpStatus, http);
      return [dk ? runtime.getNumber(dk.abortHttpStatus, status) : status, undefined];
    }
    const grpc = abort.grpcStatusFor(headers);
    if (grpc !== undefined) {
      const status = runtime.getNumber(keys.abortGrpcStatus, grpc);
      return [200, dk ? runtime.getNumber(dk.abortGrpcStatus, status) : status];
    }
    return undefined;
  }

  private maybeAbort(headers: HeaderMap): boolean {
    const status = this.abortStatus(headers);
    if (!status || !this.tryHoldActiveFault()) return false;
    this.abortWith(status);
    return true;
  }

  private abortWith(status: [number, number | undefined]): void {
    this.config.stats.common.aborts_injected.inc();
    if (this.downstreamCluster) this.config.stats.downstreamCluster(this.downstreamCluster).aborts_injected.inc();
    this.recordFilterMetadata();
    this.cb.sendLocalReply(status[0], ABORT_BODY, { details: FAULT_ABORT_DETAILS, flag: 'FaultInjected', grpcStatus: status[1] });
  }

  // ---- bookkeeping ----------------------------------------------------------

  /** max_active_faults (runtime-overridable): past it, the fault is skipped and counted as overflow. */
  private tryHoldActiveFault(): boolean {
    if (this.holdsActiveFault) return true;
    const active = this.config.stats.common.active_faults;
    const limit = this.config.runtime.getNumber(this.settings.runtimeKeys.maxActiveFaults, this.settings.maxActiveFaults ?? Infinity);
    if (active.value >= limit) {
      this.config.stats.common.faults_overflow.inc();
      return false;
    }
    active.inc();
    this.holdsActiveFault = true;
    return true;
  }

  private releaseActiveFault(): void {
    if (!this.holdsActiveFault) return;
    this.config.stats.common.active_faults.dec();
    this.holdsActiveFault = false;
  }

  private recordFilterMetadata(): void {
    const metadata = this.settings.filterMetadata;
    if (!metadata) return;
    const all = this.cb.streamInfo.dynamicMetadata;
    all[this.config.filterName] = { ...all[this.config.filterName], ...metadata };
  }
}
