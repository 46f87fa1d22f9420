// One HTTPFault message, compiled: what to inject (delay, abort), to which requests
// (upstream cluster, downstream nodes, header matchers), how often, and the runtime keys
// that may override it. The filter-level config and every per-route override are each
// compiled once into one of these; per request the filter only reads headers.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { durationMs, unwrap, type JsonObject } from '../../../api/json/wkt.js';
import type { HeaderMap } from '../../http/header_map.js';
import { compileHeaderMatchers, type HeaderPredicate } from '../../http/route/header_matcher.js';
import type { FractionalPercent } from '../../server/runtime.js';

type HttpFaultProto = envoy.extensions.filters.http.fault.v3.HTTPFault;

/** The request headers callers use to ask for faults (only where the config allows it). */
export const FAULT_HEADERS = {
  abort: 'x-envoy-fault-abort-request',
  abortGrpc: 'x-envoy-fault-abort-grpc-request',
  abortPercentage: 'x-envoy-fault-abort-request-percentage',
  delay: 'x-envoy-fault-delay-request',
  delayPercentage: 'x-envoy-fault-delay-request-percentage',
  downstreamNode: 'x-envoy-downstream-service-node',
  downstreamCluster: 'x-envoy-downstream-service-cluster',
} as const;

/** An absent percentage is 0%: a fault without one never fires (as in Envoy). */
function fractionalPercent(p: envoy.type.v3.FractionalPercent | undefined): FractionalPercent {
  return { numerator: p?.numerator ?? 0, denominator: p?.denominator ?? 'HUNDRED' };
}

/** absl::SimpleAtoi for an unsigned value: digits with optional surrounding whitespace and "+". */
function headerUint(headers: HeaderMap, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === undefined) return undefined;
  const m = /^\s*\+?(\d+)\s*$/.exec(raw);
  if (!m) return undefined;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * The configured percentage, or for header-controlled faults the header's numerator over
 * the configured denominator, capped at the configured numerator: a caller may ask for
 * fewer faults than the operator allows, never more.
 */
function percentageFor(configured: FractionalPercent, fromHeader: boolean, headers: HeaderMap, header: string): FractionalPercent {
  if (!fromHeader) return configured;
  const asked = headerUint(headers, header);
  if (asked === undefined) return configured;
  return { numerator: Math.min(asked, configured.numerator ?? 0), denominator: configured.denominator };
}

export class FaultDelay {
  private readonly fixedMs?: number;
  private readonly fromHeader: boolean;
  private readonly configured: FractionalPercent;

  constructor(proto: envoy.extensions.filters.common.fault.v3.FaultDelay) {
    this.fixedMs = durationMs(proto.fixed_delay);
    this.fromHeader = proto.header_delay !== undefined;
    this.configured = fractionalPercent(proto.percentage);
  }

  /** The delay in ms, or undefined when there is none (header delay without a usable header). */
  durationMs(headers: HeaderMap): number | undefined {
    return this.fromHeader ? headerUint(headers, FAULT_HEADERS.delay) : this.fixedMs;
  }

  percentage(headers: HeaderMap): FractionalPercent {
    return percentageFor(this.configured, this.fromHeader, headers, FAULT_HEADERS.delayPercentage);
  }
}

export class FaultAbort {
  private readonly httpStatus?: number;
  private readonly grpcStatus?: number;
  private readonly fromHeader: boolean;
  private readonly configured: FractionalPercent;

  constructor(proto: envoy.extensions.filters.http.fault.v3.FaultAbort) {
    this.httpStatus = proto.http_status;
    this.grpcStatus = proto.grpc_status;
    this.fromHeader = proto.header_abort !== undefined;
    this.configured = fractionalPercent(proto.percentage);
  }

  /** From the config, or from x-envoy-fault-abort-request when it holds a status in [200, 600). */
  httpStatusFor(headers: HeaderMap): number | undefined {
    if (!this.fromHeader) return this.httpStatus;
    const code = headerUint(headers, FAULT_HEADERS.abort);
    return code !== undefined && code >= 200 && code < 600 ? code : undefined;
  }

  grpcStatusFor(headers: HeaderMap): number | undefined {
    return this.fromHeader ? headerUint(headers, FAULT_HEADERS.abortGrpc) : this.grpcStatus;
  }

  percentage(headers: HeaderMap): FractionalPercent {
    return percentageFor(this.configured, this.fromHeader, headers, FAULT_HEADERS.abortPercentage);
  }
}

/** Envoy's default runtime keys; each can be renamed in the config. */
export interface FaultRuntimeKeys {
  delayPercent: string;
  abortPercent: string;
  delayDuration: string;
  abortHttpStatus: string;
  abortGrpcStatus: string;
  maxActiveFaults: string;
}

export class FaultSettings {
  readonly delay?: FaultDelay;
  readonly abort?: FaultAbort;
  readonly upstreamCluster: string;
  readonly headers: HeaderPredicate[];
  readonly downstreamNodes: ReadonlySet<string>;
  readonly maxActiveFaults?: number;
  readonly runtimeKeys: FaultRuntimeKeys;
  readonly disableDownstreamClusterStats: boolean;
  readonly filterMetadata?: JsonObject;

  constructor(proto: HttpFaultProto, path: string) {
    if (proto.response_rate_limit) {
      throw ConfigError.single(
        `${path}.response_rate_limit`,
        'response_rate_limit (response body throttling) is not supported by skein\'s fault filter; remove it (delay and abort are supported)',
        spanOf(proto.response_rate_limit) ?? spanOf(proto),
      );
    }
    if (proto.delay) this.delay = new FaultDelay(proto.delay);
    if (proto.abort) this.abort = new FaultAbort(proto.abort);
    this.upstreamCluster = proto.upstream_cluster ?? '';
    this.headers = compileHeaderMatchers(proto.headers, `${path}.headers`);
    this.downstreamNodes = new Set(proto.downstream_nodes ?? []);
    this.maxActiveFaults = unwrap(proto.max_active_faults);
    this.runtimeKeys = {
      delayPercent: proto.delay_percent_runtime || 'fault.http.delay.fixed_delay_percent',
      abortPercent: proto.abort_percent_runtime || 'fault.http.abort.abort_percent',
      delayDuration: proto.delay_duration_runtime || 'fault.http.delay.fixed_duration_ms',
      abortHttpStatus: proto.abort_http_status_runtime || 'fault.http.abort.http_status',
      abortGrpcStatus: proto.abort_grpc_status_runtime || 'fault.http.abort.grpc_status',
      maxActiveFaults: proto.max_active_faults_runtime || 'fault.http.max_active_faults',
    };
    this.disableDownstreamClusterStats = proto.disable_downstream_cluster_stats === true;
    if (proto.filter_metadata && Object.keys(proto.filter_metadata).length) this.filterMetadata = proto.filter_metadata;
  }

  /** Whether the request is one this fault targets (before any percentage is drawn). */
  applies(headers: HeaderMap, routeCluster: string | undefined): boolean {
    if (this.upstreamCluster && routeCluster !== this.upstreamCluster) return false;
    if (this.downstreamNodes.size) {
      const node = headers.get(FAULT_HEADERS.downstreamNode);
      if (node === undefined || !this.downstreamNodes.has(node)) return false;
    }
    for (const matches of this.headers) if (!matches(headers)) return false;
    return true;
  }
}
