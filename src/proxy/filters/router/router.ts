// envoy.filters.http.router: the last decoder filter. It applies the route (direct
// response, redirect, or forwarding), picks the cluster and host, sends the request
// upstream with Envoy's added headers, enforces the route and per-try timeouts,
// retries by policy, and streams the response back with flow control both ways.
import { logger } from '../../../common/logger.js';
import { dumpHeaders } from '../../http/debug_format.js';
import { FilterDataStatus, FilterHeadersStatus, FilterTrailersStatus, type DecoderFilterCallbacks, type StreamDecoderFilter } from '../../http/filter.js';
import { HeaderMap } from '../../http/header_map.js';
import { newUri, pickWeightedCluster, type ForwardAction, type Route, type WeightedClusterChoice } from '../../http/route/route_entry.js';
import type { CookieAttribute } from '../../http/route/hash_policy.js';
import { hash64 } from '../../upstream/lb/hash.js';
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

/** %UPSTREAM_PROTOCOL%: what the pool for this request speaks. */
function upstreamProtocolOf(cluster: ThreadLocalCluster, downstream: string): string {
  const p = cluster.info.protocol;
  return p === 'http2' || (p === 'downstream' && downstream === 'HTTP/2') ? 'HTTP/2' : 'HTTP/1.1';
}

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

/** The IP of an "ip:port" / "[v6]:port" address. */
function ipOf(address: string): string {
  if (address.startsWith('[')) return address.slice(1, address.indexOf(']'));
  const colon = address.lastIndexOf(':');
  return colon >= 0 && address.indexOf(':') === colon ? address.slice(0, colon) : address;
}

function pathOnly(path: string): string {
  const q = path.search(/[?#]/);
  return q >= 0 ? path.slice(0, q) : path;
}

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
  private responseEnded = false;
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
    if (action.kind === 'direct' || action.kind === 'redirect') {
      // Redirects and direct responses are both Envoy's "direct response entries".
      stats.rq_direct_response.inc();
      this.sendDirect(route, headers);
      return FilterHeadersStatus.StopIteration;
    }
    if (action.kind === 'non_forwarding') {
      cb.sendLocalReply(404, '', { details: 'route_not_found', flag: 'NoRouteFound' });
      return FilterHeadersStatus.StopIteration;
    }
    const forward = action.forward;
    this.forward = forward;
    const clusterName = this.pickCluster(route, forward, headers);
    const cluster = clusterName ? this.config.clusterManager.get(clusterName) : undefined;
    cb.streamInfo.upstreamCluster = clusterName;
    if (!cluster) {
      stats.no_cluster.inc();
      log.debug(`unknown cluster '${clusterName ?? ''}'`);
      cb.sendLocalReply(forward.clusterNotFoundCode, '', { details: 'cluster_not_found', flag: 'NoClusterFound' });
      return FilterHeadersStatus.StopIteration;
    }
    this.cluster = cluster;
    if (cb.upgradeType !== undefined && !this.upgradeAllowed(forward, cb.upgradeType)) {
      if (cb.upgradeType === 'websocket') stats.downstream_rq_ws_on_non_ws_route.inc();
      cb.sendLocalReply(403, '', { details: 'upgrade_failed' });
      return FilterHeadersStatus.StopIteration;
    }
    const trusted = !cb.edgeRequest;
    this.timeouts = computeTimeouts(forward, headers, this.config);
    // Envoy picks the host (and so hashes) before the route's header mutations and rewrites.
    if (forward.hashPolicy) {
      this.hashKey = forward.hashPolicy.generateHash({
        headers,
        remoteAddress: ipOf(cb.streamInfo.downstreamRemoteAddress),
        addCookie: (name, path, ttl, attributes) => this.addDownstreamCookie(name, path, ttl, attributes),
      });
    }
    // Most routes never retry: skip the retry bookkeeping unless the policy or the
    // (trusted) request asks for it.
    if (forward.retryPolicy.retryOn.size > 0 || RetryState.requested(headers)) {
      this.retry = new RetryState(forward.retryPolicy, headers, trusted, cluster.info);
    }
    this.finalizeRequestHeaders(route, forward, headers);
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

  /**
   * The cluster for this request: the route's, the value of its cluster_header (first
   * value), or a weighted pick. The weighted pick uses a single-valued numeric header
   * (weighted_clusters.header_name) when present, and runtime weight overrides.
   */
  private pickCluster(route: Route, forward: ForwardAction, headers: HeaderMap): string | undefined {
    if (forward.clusterName !== undefined) return forward.clusterName;
    if (forward.clusterHeader !== undefined) return headers.get(forward.clusterHeader) || undefined;
    const picked = pickWeightedCluster(forward.weighted!, headers, route.virtualHost.table.context.runtime);
    if (!picked) return undefined;
    this.weighted = picked.choice;
    return picked.cluster;
  }

  private formatContext(): FormatContext {
    return { streamInfo: this.cb.streamInfo, connection: this.cb.connection, requestHeaders: this.headers };
  }

  /**
   * Envoy's finalizeRequestHeaders: the weighted cluster's mutations and host rewrite
   * first, then route → virtual host → route configuration (later levels win; reversed by
   * most_specific_header_mutations_wins), then the route's host and path rewrites.
   */
  private finalizeRequestHeaders(route: Route, forward: ForwardAction, headers: HeaderMap): void {
    const weighted = this.weighted;
    const levels = route.requestMutationLevels();
    if (levels.length || (weighted && !weighted.requestHeaders.isEmpty)) {
      const ctx = this.formatContext();
      if (weighted && !weighted.requestHeaders.isEmpty) weighted.requestHeaders.apply(headers, ctx);
      for (const m of levels) m.apply(headers, ctx);
    }
    if (weighted?.hostRewriteLiteral !== undefined) headers.set(':authority', weighted.hostRewriteLiteral);
    let host: string | undefined;
    if (forward.hostRewriteLiteral !== undefined) host = forward.hostRewriteLiteral;
    else if (forward.hostRewriteHeader) host = headers.get(forward.hostRewriteHeader);
    else if (forward.hostRewritePathRegex) host = forward.hostRewritePathRegex(pathOnly(headers.get(':path') ?? ''));
    if (host) this.updateAuthority(host);
    const path = headers.get(':path') ?? '/';
    const newPath = route.rewritePath(path);
    if (newPath !== undefined) {
      if (!this.config.suppressEnvoyHeaders) headers.set('x-envoy-original-path', path);
      headers.set(':path', newPath);
    }
    if (!this.config.suppressEnvoyHeaders && this.timeouts.expectedMs > 0) {
      headers.set('x-envoy-expected-rq-timeout-ms', String(this.timeouts.expectedMs));
    }
  }

  /** Http::Utility::updateAuthority: a new :authority, remembering the old one in x-forwarded-host if asked. */
  private updateAuthority(host: string): void {
    const headers = this.headers;
    const old = headers.get(':authority');
    if (this.forward?.appendXForwardedHost && old) {
      const xfh = headers.get('x-forwarded-host');
      const last = xfh?.split(',').pop()?.trim();
      if (last !== old) headers.appendCopy('x-forwarded-host', old);
    }
    headers.set(':authority', host);
  }

  /** A hash-policy cookie: its value is derived from the connection so concurrent streams agree. */
  private addDownstreamCookie(name: string, path: string | undefined, ttl: number, attributes: CookieAttribute[]): string {
    const conn = this.cb.connection;
    const value = hash64(`${conn.remoteAddress}:${conn.remotePort}${conn.localAddress}:${conn.localPort}`).toString(16).padStart(16, '0');
    let cookie = `${name}="${value}"`;
    if (ttl > 0) cookie += `; Max-Age=${ttl}`;
    if (path) cookie += `; Path=${path}`;
    for (const a of attributes) cookie += a.value ? `; ${a.name}=${a.value}` : `; ${a.name}`;
    this.pendingCookies.push(`${cookie}; HttpOnly`);
    return value;
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
      cb.sendLocalReply(503, 'no healthy upstream', { details: 'no_healthy_upstream', flag: 'NoHealthyUpstream', modifyHeaders: this.attemptCountHeader });
      return;
    }
    if (info.activeRequests >= info.limits.maxRequests) {
      info.stats.upstream_rq_pending_overflow.inc();
      cb.sendLocalReply(503, 'upstream connect error or disconnect/reset before headers. reset reason: overflow', {
        details: 'upstream_reset_before_response_started{overflow}',
        flag: 'UpstreamOverflow',
        modifyHeaders: this.attemptCountHeader,
      });
      return;
    }
    this.triedHosts.push(host);
    this.attemptCount++;
    cb.streamInfo.attemptCount = this.attemptCount;
    cb.streamInfo.upstreamHost = { address: host.address, hostname: host.hostname };
    const headers = this.headers;
    if (this.forward!.autoHostRewrite && host.hostname) this.updateAuthority(host.hostname);
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
    if (log.enabled('debug')) {
      log.debug(`${cb.logTag} cluster '${cluster.name}' match for URL '${headers.get(':path')}'`);
      log.debug(`${cb.logTag} router decoding headers:\n${dumpHeaders(headers)}`);
    }
    attempt.start(headers.get(':method') ?? 'GET', headers.get(':path') ?? '/', headers, body, this.timeouts.perTryMs, cb.streamInfo.protocol as 'HTTP/1.1' | 'HTTP/2', cb.upgradeType);
  }

  // ---- response side ------------------------------------------------------

  onHeaders(attempt: UpstreamAttempt, status: number, headers: HeaderMap, endStream = false): boolean {
    if (attempt !== this.attempt || this.destroyed) return true;
    if (log.enabled('debug')) log.debug(`${this.cb.logTag} upstream headers complete: end_stream=false\n${dumpHeaders(headers)}`);
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
    info.upstreamProtocol = upstreamProtocolOf(this.cluster!, info.protocol);
    if (!this.config.suppressEnvoyHeaders) {
      headers.set('x-envoy-upstream-service-time', String(Math.round(performance.now() - attempt.startedAt)));
    }
    if (this.route!.virtualHost.includeAttemptCountInResponse) headers.set('x-envoy-attempt-count', String(this.attemptCount));
    for (const c of this.pendingCookies) headers.add('set-cookie', c);
    this.applyResponseMutations(headers);
    this.chargeAttempt(attempt, status);
    // A trailers-only response (gRPC status in the headers) must stay one HEADERS frame.
    this.responseEnded = endStream;
    this.cb.encodeHeaders(headers, endStream, 'via_upstream');
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
    if (this.responseEnded) return;
    if (trailers) this.cb.encodeTrailers(trailers);
    else this.cb.encodeData(Buffer.alloc(0), true);
  }

  onReset(attempt: UpstreamAttempt, reason: ResetReason, detail: string): void {
    if (attempt !== this.attempt || this.destroyed) return;
    this.lastReset = reason;
    this.cb.streamInfo.upstreamTransportFailureReason = detail;
    attempt.host.counters.rq_error++;
    log.debug(`${this.cb.logTag} upstream reset: reset reason: ${RESET_REASON_TEXT[reason]}, transport failure reason: ${detail}`);
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

  /** Route upgrade_configs override the connection manager's (Envoy's rule). */
  private upgradeAllowed(forward: ForwardAction, type: string): boolean {
    const own = forward.upgradeConfigs.find((u) => (u.upgrade_type ?? '').toLowerCase() === type);
    if (own) return own.enabled?.value !== false;
    return this.cb.upgradeEnabledByDefault(type);
  }

  onUpgrade(attempt: UpstreamAttempt, status: number, headers: HeaderMap, socket: import('node:stream').Duplex): void {
    if (attempt !== this.attempt || this.destroyed) {
      socket.destroy();
      return;
    }
    this.clearTimers();
    this.responseStarted = true;
    this.chargeAttempt(attempt, status);
    this.cb.acceptUpgrade(headers, socket);
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
    this.cb.sendLocalReply(504, 'upstream request timeout', { details: 'upstream_response_timeout', flag: 'UpstreamRequestTimeout', modifyHeaders: this.attemptCountHeader });
  }

  private sendResetReply(reason: ResetReason): void {
    this.clearTimers();
    const text = RESET_REASON_TEXT[reason];
    const retried = this.attemptCount > 1;
    const body = retried
      ? `upstream connect error or disconnect/reset before headers. retried and the latest reset reason: ${text}`
      : `upstream connect error or disconnect/reset before headers. reset reason: ${text}`;
    this.cluster!.info.chargeResponseCode(503, this.isInternal());
    this.cb.sendLocalReply(503, body, { details: `upstream_reset_before_response_started{${reason}}`, flag: RESET_FLAGS[reason], modifyHeaders: this.attemptCountHeader });
  }

  /** Local replies after the router tried upstream carry x-envoy-attempt-count when asked. */
  private readonly attemptCountHeader = (headers: HeaderMap): void => {
    if (this.attemptCount > 0 && this.route?.virtualHost.includeAttemptCountInResponse) headers.set('x-envoy-attempt-count', String(this.attemptCount));
  };

  private canReplayBody(): boolean {
    if (this.requestEnded) return this.bodyChunks !== undefined || this.bodyBytes === 0;
    return this.bodyChunks !== undefined;
  }

  private scheduleRetry(): void {
    const delay = this.retry!.backoffMs();
    if (log.enabled('debug')) log.debug(`${this.cb.logTag} performing retry in ${Math.round(delay)}ms`);
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
    const levels = route.responseMutationLevels();
    const weighted = this.weighted && !this.weighted.responseHeaders.isEmpty ? this.weighted.responseHeaders : undefined;
    if (!levels.length && !weighted) return;
    const ctx: FormatContext = { ...this.formatContext(), responseHeaders: headers };
    weighted?.apply(headers, ctx);
    for (const m of levels) m.apply(headers, ctx);
  }

  /**
   * A redirect or direct_response, sent as a local reply: the redirect's path rewrite is
   * applied to :path first, a Location goes on 3xx and 201 answers, then the route's
   * response header mutations.
   */
  private sendDirect(route: Route, headers: HeaderMap): void {
    const action = route.action;
    const redirect = action.kind === 'redirect' ? action.redirect : undefined;
    const path = headers.get(':path');
    const rewritten = path !== undefined ? route.rewriteRedirectPath(path) : undefined;
    if (rewritten !== undefined) {
      if (!this.config.suppressEnvoyHeaders) headers.set('x-envoy-original-path', path!);
      headers.set(':path', rewritten);
    }
    const status = redirect ? redirect.status : action.kind === 'direct' ? action.status : 404;
    const body = action.kind === 'direct' ? (action.body ?? '') : '';
    const withLocation = status === 201 || (status >= 300 && status < 400);
    const location = withLocation && headers.has(':path') ? newUri(redirect, headers) : undefined;
    this.cb.sendLocalReply(status, body, {
      details: 'direct_response',
      modifyHeaders: (h) => {
        if (location) h.add('location', location);
        this.applyResponseMutations(h);
      },
    });
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
