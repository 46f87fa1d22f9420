// envoy.filters.http.router: the last decoder filter. It applies the route (direct
// response, redirect, or forwarding), picks the cluster and host, sends the request
// upstream with Envoy's added headers, enforces the route and per-try timeouts,
// retries by policy, and streams the response back with flow control both ways.
import { logger } from '../../../common/logger.js';
import { FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, type DecoderFilterCallbacks, type StreamDecoderFilter } from '../../http/filter.js';
import { HeaderMap } from '../../http/header_map.js';
import { redirectLocation, type ForwardAction, type Route, type WeightedClusterChoice } from '../../http/route/route_entry.js';
import type { ResponseFlag } from '../../http/stream_info.js';
import type { FormatContext } from '../../observability/formatter/types.js';
import { RESET_REASON_TEXT, type ResetReason } from '../../upstream/conn_pool/types.js';
import type { Host } from '../../upstream/host.js';
import type { LbContext } from '../../upstream/load_balancer.js';
import type { ThreadLocalCluster } from '../../upstream/thread_local_cluster.js';
import type { RouterConfig } from './config.js';
import { RetryState } from './retry_state.js';
import { RequestBodyStream, UpstreamAttempt, type AttemptEvents } from './upstream_attempt.js';
import { computeTimeouts, type Timeouts } from './timeouts.js';

const log = logger('router');

const RESET_FLAGS: Record<ResetReason, ResponseFlag> = {
  connection_failure: 'UpstreamConnectionFailure',
  connection_termination: 'UpstreamConnectionTermination',
  local_reset: 'LocalReset',
  remote_reset: 'UpstreamRemoteReset',
  overflow: 'UpstreamOverflow',
  protocol_error: 'UpstreamProtocolError',
  remote_refused_stream_reset: 'UpstreamRemoteReset',
};

/** Request bodies larger than this are not kept for retries (Envoy's default buffer limit). */
const RETRY_BUFFER_LIMIT = 1024 * 1024;

export class RouterFilter implements StreamDecoderFilter, AttemptEvents {
  private cb!: DecoderFilterCallbacks;
  private route?: Route;
  private forward?: ForwardAction;
  private weighted?: WeightedClusterChoice;
  private cluster?: ThreadLocalCluster;
  private headers!: HeaderMap;
  private timeouts!: Timeouts;
  private retry?: RetryState;
  private attempt?: UpstreamAttempt;
  private readonly triedHosts: Host[] = [];
  private attemptCount = 0;
  private bodyChunks: Buffer[] | undefined = [];
  private bodyBytes = 0;
  private requestEnded = false;
  private globalTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private responseStarted = false;
  private destroyed = false;
  private lastReset?: ResetReason;
  private hashKey?: bigint;
  private pendingCookies: string[] = [];

  constructor(private readonly config: RouterConfig) {}

  setDecoderFilterCallbacks(callbacks: DecoderFilterCallbacks): void {
    this.cb = callbacks;
  }

  decodeHeaders(headers: HeaderMap, endStream: boolean): FilterHeadersStatus {
    const cb = this.cb;
    const stats = this.config.hcmStats;
    stats.rq_total.inc();
    this.headers = headers;
    const route = cb.route();
    if (!route) {
      stats.no_route.inc();
      log.debug(`no route match for URL '${headers.get(':path')}'`);
      cb.sendLocalReply(404, '', { details: 'route_not_found', flag: 'NoRouteFound' });
      return FilterHeadersStatus.StopIteration;
    }
    this.route = route;
    const action = route.action;
    if (action.kind === 'direct') {
      stats.rq_direct_response.inc();
      this.sendDirect(action.status, action.body);
      return FilterHeadersStatus.StopIteration;
    }
    if (action.kind === 'redirect') {
      stats.rq_redirect.inc();
      const location = redirectLocation(action.redirect, headers, route.matchPrefix);
      cb.sendLocalReply(action.redirect.status, '', { details: 'direct_response', headers: [['location', location]], modifyHeaders: (h) => this.applyResponseMutations(h) });
      return FilterHeadersStatus.StopIteration;
    }
    if (action.kind === 'non_forwarding') {
      cb.sendLocalReply(404, '', { details: 'route_not_found', flag: 'NoRouteFound' });
      return FilterHeadersStatus.StopIteration;
    }
    const forward = action.forward;
    this.forward = forward;
    const clusterName = this.pickCluster(forward, headers);
    const cluster = clusterName ? this.config.clusterManager.get(clusterName) : undefined;
    cb.streamInfo.upstreamCluster = clusterName;
    if (!cluster) {
      stats.no_cluster.inc();
      log.debug(`unknown cluster '${clusterName ?? ''}'`);
      cb.sendLocalReply(forward.clusterNotFoundCode, '', { details: 'cluster_not_found', flag: 'NoClusterFound' });
      return FilterHeadersStatus.StopIteration;
    }
    this.cluster = cluster;
    const trusted = !cb.edgeRequest;
    this.timeouts = computeTimeouts(forward, headers, this.config);
    if (forward.retryPolicy) this.retry = new RetryState(forward.retryPolicy, headers, trusted, cluster.info);
    this.finalizeRequestHeaders(route, forward, headers);
    if (forward.hashPolicy) {
      this.hashKey = forward.hashPolicy.generateHash({
        headers,
        remoteAddress: cb.streamInfo.downstreamRemoteAddress.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''),
        addCookie: (name, value, path, ttl) => {
          this.pendingCookies.push(`${name}="${value}"; Max-Age=${ttl}${path ? `; Path=${path}` : ''}; HttpOnly`);
        },
      });
    }
    if (!this.retry?.enabled) this.bodyChunks = undefined; // no retries: do not keep the body
    this.requestEnded = endStream;
    if (endStream) this.onRequestComplete();
    this.startAttempt();
    return FilterHeadersStatus.StopIteration;
  }

  decodeData(data: Buffer, endStream: boolean): FilterDataStatus {
    if (this.bodyChunks) {
      this.bodyBytes += data.length;
      if (this.bodyBytes > RETRY_BUFFER_LIMIT) {
        // Too big to replay: retries are off for this request, as in Envoy.
        this.bodyChunks = undefined;
        this.cluster?.info.stats.retry_or_shadow_abandoned.inc();
      } else if (data.length) this.bodyChunks.push(data);
    }
    const body = this.attempt?.body;
    if (body && !this.attempt!.done) {
      if (data.length && !body.write(data)) this.cb.pauseRequestBody();
      if (endStream) body.finish();
    }
    if (endStream) {
      this.requestEnded = true;
      this.onRequestComplete();
    }
    return FilterDataStatus.StopIterationNoBuffer;
  }

  decodeTrailers(_trailers: HeaderMap): FilterTrailersStatus {
    // HTTP/1 upstreams carry no request trailers; end the body.
    this.attempt?.body?.finish();
    this.requestEnded = true;
    this.onRequestComplete();
    return FilterTrailersStatus.StopIteration;
  }

  onDestroy(): void {
    this.destroyed = true;
    this.clearTimers();
    if (this.attempt && !this.attempt.done) this.attempt.cancel();
  }

  // ---- request side -------------------------------------------------------

  private pickCluster(forward: ForwardAction, headers: HeaderMap): string | undefined {
    if (forward.clusterName !== undefined) return forward.clusterName;
    if (forward.clusterHeader !== undefined) return headers.get(forward.clusterHeader) || undefined;
    const w = forward.weighted!;
    let point: number;
    const fromHeader = w.headerName ? Number(headers.get(w.headerName)) : NaN;
    if (Number.isInteger(fromHeader) && fromHeader >= 0) point = fromHeader % w.total;
    else point = Math.floor(Math.random() * w.total);
    for (const c of w.clusters) {
      if (point < c.weight) {
        this.weighted = c;
        return c.name;
      }
      point -= c.weight;
    }
    this.weighted = w.clusters[w.clusters.length - 1];
    return this.weighted?.name;
  }

  private formatContext(): FormatContext {
    return { streamInfo: this.cb.streamInfo, connection: this.cb.connection, requestHeaders: this.headers };
  }

  /** Route header mutations (most specific first unless configured otherwise), rewrites. */
  private finalizeRequestHeaders(route: Route, forward: ForwardAction, headers: HeaderMap): void {
    const ctx = this.formatContext();
    const vh = route.virtualHost;
    const levels = [this.weighted?.requestHeaders, route.requestHeaders, vh.requestHeaders, vh.table.requestHeaders];
    if (vh.table.mostSpecificHeaderMutationsWins) levels.reverse();
    for (const m of levels) if (m && !m.isEmpty) m.apply(headers, ctx);
    const originalHost = headers.get(':authority');
    let rewroteHost = false;
    const literal = this.weighted?.hostRewriteLiteral ?? forward.hostRewriteLiteral;
    if (literal !== undefined) {
      headers.set(':authority', literal);
      rewroteHost = true;
    } else if (forward.hostRewriteHeader) {
      const v = headers.get(forward.hostRewriteHeader);
      if (v) {
        headers.set(':authority', v);
        rewroteHost = true;
      }
    } else if (forward.hostRewritePathRegex) {
      const path = (headers.get(':path') ?? '').split('?')[0]!;
      headers.set(':authority', path.replace(forward.hostRewritePathRegex.pattern, forward.hostRewritePathRegex.substitution));
      rewroteHost = true;
    }
    if (rewroteHost && forward.appendXForwardedHost && originalHost) headers.appendCopy('x-forwarded-host', originalHost);
    const path = headers.get(':path') ?? '/';
    let newPath: string | undefined;
    if (forward.prefixRewrite !== undefined && route.matchPrefix !== undefined) {
      const matched = route.caseSensitive ? route.matchPrefix : path.slice(0, route.matchPrefix.length);
      newPath = forward.prefixRewrite + path.slice(matched.length);
    } else if (forward.regexRewrite) {
      const q = path.indexOf('?');
      const only = q >= 0 ? path.slice(0, q) : path;
      newPath = only.replace(forward.regexRewrite.pattern, forward.regexRewrite.substitution) + (q >= 0 ? path.slice(q) : '');
    }
    if (newPath !== undefined && newPath !== path) {
      if (!this.config.suppressEnvoyHeaders) headers.set('x-envoy-original-path', path);
      headers.set(':path', newPath);
    }
    if (!this.config.suppressEnvoyHeaders && this.timeouts.expectedMs > 0) {
      headers.set('x-envoy-expected-rq-timeout-ms', String(this.timeouts.expectedMs));
    }
  }

  private onRequestComplete(): void {
    // The route timeout runs from the end of the downstream request (Envoy's rule).
    if (this.globalTimer || this.timeouts === undefined || this.timeouts.globalMs <= 0 || this.destroyed) return;
    this.globalTimer = setTimeout(() => this.onGlobalTimeout(), this.timeouts.globalMs);
  }

  private startAttempt(): void {
    const cluster = this.cluster!;
    const cb = this.cb;
    const info = cluster.info;
    const context: LbContext = { hashKey: this.hashKey };
    const policy = this.retry?.policy;
    if (policy?.avoidPreviousHosts && this.triedHosts.length) {
      context.shouldSelectAnotherHost = (h) => this.triedHosts.includes(h);
      context.hostSelectionRetryCount = policy.hostSelectionRetryMaxAttempts;
    }
    const host = cluster.chooseHost(context);
    if (!host) {
      info.stats.upstream_cx_none_healthy.inc();
      cb.sendLocalReply(503, 'no healthy upstream', { details: 'no_healthy_upstream', flag: 'NoHealthyUpstream' });
      return;
    }
    if (info.activeRequests >= info.limits.maxRequests) {
      info.stats.upstream_rq_pending_overflow.inc();
      cb.sendLocalReply(503, 'upstream connect error or disconnect/reset before headers. reset reason: overflow', {
        details: 'upstream_reset_before_response_started{overflow}',
        flag: 'UpstreamOverflow',
      });
      return;
    }
    this.triedHosts.push(host);
    this.attemptCount++;
    cb.streamInfo.attemptCount = this.attemptCount;
    cb.streamInfo.upstreamHost = { address: host.address, hostname: host.hostname };
    const headers = this.headers;
    if (this.forward!.autoHostRewrite && host.hostname) headers.set(':authority', host.hostname);
    if (this.route!.virtualHost.includeRequestAttemptCount) headers.set('x-envoy-attempt-count', String(this.attemptCount));
    let body: Buffer | RequestBodyStream | null = null;
    if (this.requestEnded && this.attemptCount === 1 && this.bodyBytes === 0) body = null;
    else if (this.requestEnded && this.bodyChunks) body = Buffer.concat(this.bodyChunks);
    else if (!this.requestEnded) {
      const stream = new RequestBodyStream(() => cb.resumeRequestBody());
      if (this.bodyChunks) for (const c of this.bodyChunks) stream.write(c);
      body = stream;
    }
    const attempt = new UpstreamAttempt(host, cluster, this.attemptCount, this);
    this.attempt = attempt;
    if (cb.streamInfo.firstUpstreamTxByteSent === undefined) cb.streamInfo.firstUpstreamTxByteSent = cb.streamInfo.elapsedMs();
    attempt.start(headers.get(':method') ?? 'GET', headers.get(':path') ?? '/', headers, body, this.timeouts.perTryMs);
  }

  // ---- response side ------------------------------------------------------

  onHeaders(attempt: UpstreamAttempt, status: number, headers: HeaderMap): boolean {
    if (attempt !== this.attempt || this.destroyed) return true;
    const retry = this.retry;
    if (retry && !this.responseStarted) {
      const decision = retry.onResponse(status, headers);
      if (decision === 'retry' && this.canReplayBody()) {
        this.chargeAttempt(attempt, status);
        // Let the rejected response finish in the background so its connection stays usable.
        attempt.abandon();
        this.attempt = undefined;
        this.scheduleRetry();
        return true;
      }
      if (decision === 'limit') this.cb.streamInfo.setResponseFlag('UpstreamRetryLimitExceeded');
      else if (decision === 'no') retry.onSuccessAfterRetry();
    }
    this.responseStarted = true;
    const info = this.cb.streamInfo;
    info.firstUpstreamRxByteReceived = info.elapsedMs();
    info.upstreamProtocol = 'HTTP/1.1';
    if (!this.config.suppressEnvoyHeaders) {
      headers.set('x-envoy-upstream-service-time', String(Math.round(performance.now() - attempt.startedAt)));
    }
    if (this.route!.virtualHost.includeAttemptCountInResponse) headers.set('x-envoy-attempt-count', String(this.attemptCount));
    for (const c of this.pendingCookies) headers.add('set-cookie', c);
    this.applyResponseMutations(headers);
    this.chargeAttempt(attempt, status);
    this.cb.encodeHeaders(headers, false, 'via_upstream');
    return true;
  }

  onData(attempt: UpstreamAttempt, chunk: Buffer): boolean {
    if (attempt !== this.attempt || this.destroyed || !this.responseStarted) return true;
    this.cb.streamInfo.upstreamBytesReceived += chunk.length;
    this.cb.encodeData(chunk, false);
    // Downstream slower than upstream: pause the upstream socket until it drains.
    return !this.cb.onDownstreamWritable(() => attempt.resume());
  }

  onComplete(attempt: UpstreamAttempt, trailers: HeaderMap | undefined): void {
    if (attempt !== this.attempt || this.destroyed) return;
    this.clearTimers();
    const info = this.cb.streamInfo;
    info.lastUpstreamRxByteReceived = info.elapsedMs();
    if (!this.responseStarted) return;
    const elapsed = performance.now() - attempt.startedAt;
    this.cluster!.info.recordResponseTime(elapsed, this.isInternal());
    if (trailers) this.cb.encodeTrailers(trailers);
    else this.cb.encodeData(Buffer.alloc(0), true);
  }

  onReset(attempt: UpstreamAttempt, reason: ResetReason, detail: string): void {
    if (attempt !== this.attempt || this.destroyed) return;
    this.lastReset = reason;
    this.cb.streamInfo.upstreamTransportFailureReason = detail;
    attempt.host.counters.rq_error++;
    log.debug(`upstream reset: ${RESET_REASON_TEXT[reason]} (${detail})`);
    if (this.responseStarted) {
      this.config.hcmStats.rq_reset_after_downstream_response_started.inc();
      this.cb.streamInfo.setResponseFlag(RESET_FLAGS[reason]);
      this.cb.resetStream();
      return;
    }
    if (this.retry) {
      const decision = this.retry.onReset(reason);
      if (decision === 'retry' && this.canReplayBody()) {
        this.scheduleRetry();
        return;
      }
      if (decision === 'limit') this.cb.streamInfo.setResponseFlag('UpstreamRetryLimitExceeded');
    }
    this.sendResetReply(reason);
  }

  onPerTryTimeout(attempt: UpstreamAttempt): void {
    if (attempt !== this.attempt || this.destroyed) return;
    const info = this.cluster!.info;
    info.stats.upstream_rq_per_try_timeout.inc();
    attempt.host.counters.rq_timeout++;
    attempt.cancel();
    if (this.responseStarted) {
      this.cb.streamInfo.setResponseFlag('UpstreamRequestTimeout');
      this.cb.resetStream();
      return;
    }
    if (this.retry) {
      const decision = this.retry.onReset('per_try_timeout');
      if (decision === 'retry' && this.canReplayBody()) {
        this.scheduleRetry();
        return;
      }
      if (decision === 'limit') this.cb.streamInfo.setResponseFlag('UpstreamRetryLimitExceeded');
    }
    this.sendTimeoutReply();
  }

  private onGlobalTimeout(): void {
    this.globalTimer = undefined;
    if (this.destroyed) return;
    const info = this.cluster!.info;
    info.stats.upstream_rq_timeout.inc();
    if (this.attempt) this.attempt.host.counters.rq_timeout++;
    this.attempt?.cancel();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.responseStarted) {
      this.cb.streamInfo.setResponseFlag('UpstreamRequestTimeout');
      this.cb.resetStream();
      return;
    }
    this.sendTimeoutReply();
  }

  private sendTimeoutReply(): void {
    this.clearTimers();
    this.cluster!.info.chargeResponseCode(504, this.isInternal());
    this.cb.sendLocalReply(504, 'upstream request timeout', { details: 'upstream_response_timeout', flag: 'UpstreamRequestTimeout' });
  }

  private sendResetReply(reason: ResetReason): void {
    this.clearTimers();
    const text = RESET_REASON_TEXT[reason];
    const retried = this.attemptCount > 1;
    const body = retried
      ? `upstream connect error or disconnect/reset before headers. retried and the latest reset reason: ${text}`
      : `upstream connect error or disconnect/reset before headers. reset reason: ${text}`;
    this.cluster!.info.chargeResponseCode(503, this.isInternal());
    this.cb.sendLocalReply(503, body, { details: `upstream_reset_before_response_started{${reason}}`, flag: RESET_FLAGS[reason] });
  }

  private canReplayBody(): boolean {
    if (this.requestEnded) return this.bodyChunks !== undefined || this.bodyBytes === 0;
    return this.bodyChunks !== undefined;
  }

  private scheduleRetry(): void {
    const delay = this.retry!.backoffMs();
    this.cluster!.info.activeRetries++;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.cluster!.info.activeRetries--;
      if (!this.destroyed) this.startAttempt();
    }, delay);
  }

  private chargeAttempt(attempt: UpstreamAttempt, status: number): void {
    const info = this.cluster!.info;
    info.chargeResponseCode(status, this.isInternal());
    if (status >= 500) attempt.host.counters.rq_error++;
    else attempt.host.counters.rq_success++;
  }

  /** Envoy splits stats by x-envoy-internal (set by the connection manager for trusted peers). */
  private isInternal(): boolean {
    return this.headers.get('x-envoy-internal') === 'true';
  }

  private applyResponseMutations(headers: HeaderMap): void {
    const route = this.route;
    if (!route) return;
    const ctx: FormatContext = { ...this.formatContext(), responseHeaders: headers };
    const vh = route.virtualHost;
    const levels = [this.weighted?.responseHeaders, route.responseHeaders, vh.responseHeaders, vh.table.responseHeaders];
    if (vh.table.mostSpecificHeaderMutationsWins) levels.reverse();
    for (const m of levels) if (m && !m.isEmpty) m.apply(headers, ctx);
  }

  private sendDirect(status: number, body: string | undefined): void {
    const headers = new HeaderMap();
    headers.add(':status', String(status));
    const bytes = body ? Buffer.from(body) : undefined;
    if (bytes?.length) {
      headers.add('content-length', String(bytes.length));
      headers.add('content-type', 'text/plain');
    } else headers.add('content-length', '0');
    this.applyResponseMutations(headers);
    const isHead = this.headers.get(':method') === 'HEAD';
    this.cb.encodeHeaders(headers, !bytes?.length || isHead, 'direct_response');
    if (bytes?.length && !isHead) this.cb.encodeData(bytes, true);
  }

  private clearTimers(): void {
    if (this.globalTimer) clearTimeout(this.globalTimer);
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.cluster!.info.activeRetries--;
    }
    this.globalTimer = this.retryTimer = undefined;
  }
}
