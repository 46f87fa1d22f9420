// Per-request facts that access logs, stats and admin read: timings, bytes, the chosen
// upstream, and Envoy's response flags and response code details.

/** Envoy's response flags, with the short codes access logs print. */
export const RESPONSE_FLAGS = {
  FailedLocalHealthCheck: 'LH',
  NoHealthyUpstream: 'UH',
  UpstreamRequestTimeout: 'UT',
  LocalReset: 'LR',
  UpstreamRemoteReset: 'UR',
  UpstreamConnectionFailure: 'UF',
  UpstreamConnectionTermination: 'UC',
  UpstreamOverflow: 'UO',
  NoRouteFound: 'NR',
  DelayInjected: 'DI',
  FaultInjected: 'FI',
  RateLimited: 'RL',
  UnauthorizedExternalService: 'UAEX',
  RateLimitServiceError: 'RLSE',
  DownstreamConnectionTermination: 'DC',
  UpstreamRetryLimitExceeded: 'URX',
  StreamIdleTimeout: 'SI',
  InvalidEnvoyRequestHeaders: 'IH',
  DownstreamProtocolError: 'DPE',
  UpstreamMaxStreamDurationReached: 'UMSDR',
  ResponseFromCacheFilter: 'RFCF',
  NoFilterConfigFound: 'NFCF',
  DurationTimeout: 'DT',
  UpstreamProtocolError: 'UPE',
  NoClusterFound: 'NC',
  OverloadManager: 'OM',
  DnsResolutionFailed: 'DF',
  DropOverLoad: 'DO',
  DownstreamRemoteReset: 'DR',
} as const;

export type ResponseFlag = keyof typeof RESPONSE_FLAGS;

const FLAG_ORDER = Object.keys(RESPONSE_FLAGS) as ResponseFlag[];

export interface UpstreamHostInfo {
  address: string;
  hostname: string;
}

export class StreamInfo {
  readonly startTime = Date.now();
  readonly startHr = performance.now();
  /** ms since start when the request was fully received / response first byte / done. */
  lastDownstreamRxByteReceived?: number;
  firstUpstreamTxByteSent?: number;
  lastUpstreamTxByteSent?: number;
  firstUpstreamRxByteReceived?: number;
  lastUpstreamRxByteReceived?: number;
  firstDownstreamTxByteSent?: number;
  lastDownstreamTxByteSent?: number;
  endTime?: number;

  protocol = 'HTTP/1.1';
  upstreamProtocol?: string;
  /** Set for requests the health-check filter answered (not_health_check_filter). */
  healthCheck = false;
  responseCode?: number;
  responseCodeDetails?: string;
  connectionTerminationDetails?: string;
  private flags: ResponseFlag[] = [];
  routeName = '';
  virtualClusterName?: string;
  upstreamCluster?: string;
  upstreamHost?: UpstreamHostInfo;
  upstreamLocalAddress?: string;
  upstreamTransportFailureReason?: string;
  attemptCount = 0;
  bytesReceived = 0;
  bytesSent = 0;
  upstreamBytesSent = 0;
  upstreamBytesReceived = 0;
  requestId?: string;
  requestHeadersBytes = 0;
  responseHeadersBytes = 0;
  /** Dynamic metadata written by filters, by filter name. */
  readonly dynamicMetadata: Record<string, Record<string, unknown>> = {};
  /** Filter state objects by key. */
  readonly filterState = new Map<string, unknown>();

  constructor(
    readonly downstreamLocalAddress: string,
    readonly downstreamRemoteAddress: string,
    readonly downstreamDirectRemoteAddress: string = downstreamRemoteAddress,
  ) {}

  elapsedMs(): number {
    return performance.now() - this.startHr;
  }

  setResponseFlag(flag: ResponseFlag): void {
    if (!this.flags.includes(flag)) this.flags.push(flag);
  }

  hasResponseFlag(flag: ResponseFlag): boolean {
    return this.flags.includes(flag);
  }

  responseFlags(): readonly ResponseFlag[] {
    return this.flags;
  }

  /** "UH,URX" style in Envoy's fixed flag order, or "-" when none (%RESPONSE_FLAGS%). */
  responseFlagsShort(): string {
    if (!this.flags.length) return '-';
    return FLAG_ORDER.filter((f) => this.flags.includes(f)).map((f) => RESPONSE_FLAGS[f]).join(',');
  }

  durationMs(): number | undefined {
    return this.endTime;
  }
}
