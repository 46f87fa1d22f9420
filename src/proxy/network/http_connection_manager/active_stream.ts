// One request/response exchange inside the connection manager: request checks and
// header mutations, the decoder and encoder filter chains, local replies, stream
// timeouts, and the accounting (stats, access logs) when the stream ends.
import { logger } from '../../../common/logger.js';
import type { ServerStream } from '../../http/codec/types.js';
import type { FilterInstance, LocalReplyOptions } from '../../http/filter.js';
import { FilterIterator, type IteratedFilter } from '../../http/filter_iterator.js';
import type { HeaderMap } from '../../http/header_map.js';
import { StreamInfo } from '../../http/stream_info.js';
import type { Route } from '../../http/route/route_entry.js';
import { stripPort } from '../../http/route/route_table.js';
import type { FormatContext } from '../../observability/formatter/types.js';
import type { HcmConnection, HttpConnectionManager } from './connection_manager.js';
import { DecoderCallbacks, EncoderCallbacks } from './filter_callbacks.js';
import { mutateRequestHeaders, mutateResponseHeaders } from './header_utility.js';
import { dumpHeaders, newStreamId } from '../../http/debug_format.js';
import { runTunnel, switchingProtocolsHead } from '../../http/upgrade_tunnel.js';
import type { Duplex } from 'node:stream';

const log = logger('http');

export class ActiveStream {
  streamInfo!: StreamInfo;
  requestHeaders!: HeaderMap;
  responseHeaders?: HeaderMap;
  responseTrailers?: HeaderMap;
  edgeRequest = false;
  internalRequest = false;
  private decoder!: FilterIterator;
  private encoder!: FilterIterator;
  private instances: FilterInstance[] = [];
  private cachedRoute: Route | null | undefined;
  requestComplete = false;
  private responseComplete = false;
  private finalized = false;
  private localReplyBody?: string;
  private idleTimer?: NodeJS.Timeout;
  private requestTimer?: NodeJS.Timeout;
  private writableWaiters: Array<() => void> = [];
  private downstreamBlocked = false;
  readonly upgrade: boolean;
  readonly upgradeType?: string;
  /** "[C3][S17]" — Envoy's connection/stream tag for log lines. */
  readonly logTag: string;

  constructor(
    readonly manager: HttpConnectionManager,
    readonly connectionState: HcmConnection,
    readonly codecStream: ServerStream,
  ) {
    // An HTTP/1.1 Upgrade request (WebSocket): Connection/Upgrade survive for the router,
    // which checks upgrade_configs and tunnels on a 101.
    const req = codecStream.requestHeaders;
    const type = req.get('upgrade');
    this.upgrade = codecStream.protocol !== 'HTTP/2' && type !== undefined && /(^|,)\s*upgrade\s*(,|$)/i.test(req.get('connection') ?? '');
    this.upgradeType = this.upgrade ? type!.toLowerCase() : undefined;
    this.logTag = `[C${connectionState.connection.info.id}][S${newStreamId()}]`;
  }

  get config() {
    return this.manager.config;
  }

  get connection() {
    return this.connectionState.connection.info;
  }

  start(): void {
    const config = this.config;
    const stream = this.codecStream;
    const stats = config.stats;
    this.connectionState.activeStreams++;
    stats.downstream_rq_total.inc();
    stats.downstream_rq_active.inc();
    if (stream.protocol === 'HTTP/2') stats.downstream_rq_http2_total.inc();
    else stats.downstream_rq_http1_total.inc();
    this.requestHeaders = stream.requestHeaders;
    const conn = this.connection;
    const headers = this.requestHeaders;

    const mutation = mutateRequestHeaders(headers, conn, config, this.upgrade);
    this.edgeRequest = mutation.edgeRequest;
    this.internalRequest = mutation.internalRequest;
    this.streamInfo = new StreamInfo(
      formatAddr(conn.localAddress, conn.localPort),
      formatAddr(mutation.remoteAddress, mutation.remoteAddress === conn.remoteAddress ? conn.remotePort : 0),
      formatAddr(conn.remoteAddress, conn.remotePort),
    );
    this.streamInfo.protocol = stream.protocol;
    this.streamInfo.requestId = headers.get('x-request-id');
    this.streamInfo.requestHeadersBytes = stream.requestHeadersBytes;

    stream.events = {
      onData: (chunk, end) => this.onRequestData(chunk, end),
      onTrailers: (trailers) => this.onRequestTrailers(trailers),
      onReset: (reason) => this.onDownstreamReset(reason),
      onWritable: () => this.onWritable(),
    };
    // Timers first: picking the route (below, for per-route filter switches) may replace the idle timer.
    this.armTimers();
    this.instances = this.createFilters();
    const decoders: IteratedFilter[] = [];
    const encoders: IteratedFilter[] = [];
    this.instances.forEach((inst) => {
      if (inst.decoder) {
        const index = decoders.length;
        const d = inst.decoder;
        d.setDecoderFilterCallbacks?.(new DecoderCallbacks(this, index));
        decoders.push({
          onHeaders: (h, e) => d.decodeHeaders(h, e),
          onData: d.decodeData ? (b, e) => d.decodeData!(b, e) : undefined,
          onTrailers: d.decodeTrailers ? (t) => d.decodeTrailers!(t) : undefined,
        });
      }
    });
    // Encoders run in reverse config order.
    for (let i = this.instances.length - 1; i >= 0; i--) {
      const e = this.instances[i]!.encoder;
      if (!e) continue;
      const index = encoders.length;
      e.setEncoderFilterCallbacks?.(new EncoderCallbacks(this, index));
      encoders.push({
        onHeaders: (h, end) => e.encodeHeaders(h, end),
        onData: e.encodeData ? (b, end) => e.encodeData!(b, end) : undefined,
        onTrailers: e.encodeTrailers ? (t) => e.encodeTrailers!(t) : undefined,
      });
    }
    this.decoder = new FilterIterator(
      decoders,
      { headers: () => undefined, data: () => undefined, trailers: () => undefined },
      () => {
        // A filter buffered more request body than allowed: Envoy's 413.
        this.config.stats.downstream_rq_too_large.inc();
        this.sendLocalReply(413, 'Payload Too Large', { details: 'request_payload_too_large' });
      },
    );
    this.encoder = new FilterIterator(
      encoders,
      {
        headers: (h, end) => this.writeResponseHeaders(h, end),
        data: (d, end) => this.writeResponseData(d, end),
        trailers: (t) => this.writeResponseTrailers(t),
      },
      () => {
        this.config.stats.rs_too_large.inc();
        if (!this.codecStream.headersWritten) {
          this.encoder = new FilterIterator([], { headers: (h, end) => this.writeResponseHeaders(h, end), data: (d, end) => this.writeResponseData(d, end), trailers: (t) => this.writeResponseTrailers(t) });
          this.sendLocalReply(500, 'Internal Server Error', { details: 'response_payload_too_large' });
        } else this.resetStream('response_payload_too_large');
      },
    );

    stream.start();
    if (!this.validateRequest(headers)) return;
    const end = stream.headersOnlyRequest;
    if (log.enabled('debug')) log.debug(`${this.logTag} request headers complete (end_stream=${end}):\n${dumpHeaders(headers)}`);
    if (end) this.markRequestComplete();
    this.decoder.headers(headers, end);
  }

  /**
   * This stream's filter instances. When a filter can be switched per route (FilterConfig
   * `disabled` in the route configuration, or HttpFilter `disabled` by default), the route is
   * picked first and the chain built without the filters it turns off, as Envoy builds a
   * stream's chain after route selection. Otherwise the route stays unresolved until a
   * filter asks for it.
   */
  private createFilters(): FilterInstance[] {
    const filters = this.config.filters;
    const switchable = this.config.hasDisabledFilters || this.config.routes.current()?.hasFilterSwitches === true;
    if (!switchable) return filters.map((f) => f.create());
    const route = this.route();
    const enabled = (f: (typeof filters)[number]) => f.terminal === true || !(route?.filterDisabled(f.name) ?? f.disabledByDefault === true);
    return filters.filter(enabled).map((f) => f.create());
  }

  /** Envoy's codec-level and HCM checks; false when a local reply was sent. */
  private validateRequest(headers: HeaderMap): boolean {
    const config = this.config;
    if (this.codecStream.protocol === 'HTTP/1.0' && !config.acceptHttp10) {
      this.sendLocalReply(426, '', { details: 'low_version' });
      return false;
    }
    if (!headers.has(':authority')) {
      if (this.codecStream.protocol === 'HTTP/1.0' && config.defaultHostForHttp10) headers.add(':authority', config.defaultHostForHttp10);
      else {
        this.sendLocalReply(400, 'missing host header', { details: 'missing_host_header' });
        return false;
      }
    }
    const count = headers.size - 4; // pseudo-headers do not count
    if (count > config.maxHeadersCount) {
      this.sendLocalReply(431, 'Request Header Fields Too Large', { details: 'http1.too_many_headers' });
      return false;
    }
    if (config.headersWithUnderscoresAction !== 'ALLOW') {
      let found = false;
      headers.forEach((name) => {
        if (name.charCodeAt(0) !== 58 && name.includes('_')) found = true;
      });
      if (found) {
        if (config.headersWithUnderscoresAction === 'REJECT_REQUEST') {
          config.http1Stats.requests_rejected_with_underscores_in_headers.inc();
          this.sendLocalReply(400, 'Bad Request', { details: 'http1.unexpected_underscore' });
          return false;
        }
        headers.removeIf((name) => {
          const drop = name.charCodeAt(0) !== 58 && name.includes('_');
          if (drop) config.http1Stats.dropped_headers_with_underscores.inc();
          return drop;
        });
      }
    }
    const path = headers.get(':path') ?? '';
    if (!path.startsWith('/') && !(path === '*' && headers.get(':method') === 'OPTIONS')) {
      config.stats.downstream_rq_non_relative_path.inc();
      this.sendLocalReply(404, '', { details: 'absolute_path_rejected', flag: 'NoRouteFound' });
      return false;
    }
    const expect = headers.get('expect');
    if (expect && expect.toLowerCase() === '100-continue') headers.remove('expect'); // node already sent 100 Continue
    const authority = headers.get(':authority')!;
    if (config.stripTrailingHostDot && authority.endsWith('.')) headers.set(':authority', authority.slice(0, -1));
    if (config.stripPortMode === 'any') headers.set(':authority', stripPort(headers.get(':authority')!));
    else if (config.stripPortMode === 'matching') {
      const port = String(this.connection.localPort);
      const a = headers.get(':authority')!;
      if (a.endsWith(`:${port}`)) headers.set(':authority', stripPort(a));
    }
    return true;
  }

  // ---- timers -------------------------------------------------------------

  private armTimers(): void {
    const config = this.config;
    if (config.streamIdleTimeoutMs > 0) {
      this.idleTimer = setTimeout(() => this.onIdleTimeout(), config.streamIdleTimeoutMs);
    }
    if (config.requestTimeoutMs > 0) {
      this.requestTimer = setTimeout(() => this.onRequestTimeout(), config.requestTimeoutMs);
    }
  }

  /** Routes may override the stream idle timeout (route.idle_timeout). */
  setIdleTimeout(ms: number): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = ms > 0 ? setTimeout(() => this.onIdleTimeout(), ms) : undefined;
  }

  private touch(): void {
    this.idleTimer?.refresh();
  }

  private onIdleTimeout(): void {
    this.config.stats.downstream_rq_idle_timeout.inc();
    this.streamInfo.setResponseFlag('StreamIdleTimeout');
    if (!this.codecStream.headersWritten) this.sendLocalReply(408, 'stream timeout', { details: 'stream_idle_timeout' });
    else this.resetStream('stream_idle_timeout');
  }

  private onRequestTimeout(): void {
    if (this.requestComplete) return;
    this.config.stats.downstream_rq_timeout.inc();
    if (!this.codecStream.headersWritten) this.sendLocalReply(408, 'request timeout', { details: 'request_overall_timeout' });
    else this.resetStream('request_overall_timeout');
  }

  private clearTimers(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (this.requestTimer) clearTimeout(this.requestTimer);
    this.idleTimer = this.requestTimer = undefined;
  }

  // ---- request path -------------------------------------------------------

  private markRequestComplete(): void {
    this.requestComplete = true;
    if (log.enabled('debug')) log.debug(`${this.logTag} request end stream`);
    this.streamInfo.lastDownstreamRxByteReceived = this.streamInfo.elapsedMs();
    if (this.requestTimer) {
      clearTimeout(this.requestTimer);
      this.requestTimer = undefined;
    }
  }

  private onRequestData(chunk: Buffer, end: boolean): void {
    if (this.finalized) return;
    this.touch();
    this.streamInfo.bytesReceived += chunk.length;
    if (end) this.markRequestComplete();
    this.decoder.data(chunk, end);
  }

  private onRequestTrailers(trailers: HeaderMap): void {
    if (this.finalized) return;
    this.markRequestComplete();
    this.decoder.trailers(trailers);
  }

  private onDownstreamReset(reason: string): void {
    if (this.finalized) return;
    log.debug(`stream reset by downstream (${reason})`);
    this.config.stats.downstream_rq_rx_reset.inc();
    this.streamInfo.setResponseFlag('DownstreamConnectionTermination');
    this.streamInfo.responseCodeDetails ??= 'downstream_remote_disconnect';
    this.decoder.abort();
    this.encoder.abort();
    this.finalize();
  }

  // ---- route --------------------------------------------------------------

  route(): Route | null {
    if (this.cachedRoute === undefined) {
      const table = this.config.routes.current();
      this.cachedRoute = table ? table.route(this.requestHeaders) : null;
      if (this.cachedRoute) {
        this.streamInfo.routeName = this.cachedRoute.name;
        const idle = this.cachedRoute.forward()?.idleTimeoutMs;
        if (idle !== undefined) this.setIdleTimeout(idle);
      }
    }
    return this.cachedRoute;
  }

  clearRouteCache(): void {
    this.cachedRoute = undefined;
  }

  // ---- response path ------------------------------------------------------

  encodeHeaders(headers: HeaderMap, end: boolean, details?: string): void {
    if (this.finalized) return;
    if (details && !this.streamInfo.responseCodeDetails) this.streamInfo.responseCodeDetails = details;
    this.responseHeaders = headers;
    this.encoder.headers(headers, end);
  }

  encodeData(data: Buffer, end: boolean): void {
    if (this.finalized) return;
    this.encoder.data(data, end);
  }

  encodeTrailers(trailers: HeaderMap): void {
    if (this.finalized) return;
    this.responseTrailers = trailers;
    this.encoder.trailers(trailers);
  }

  setDecoderBufferLimit(bytes: number): void {
    this.decoder.bufferLimit = bytes;
  }

  setEncoderBufferLimit(bytes: number): void {
    this.encoder.bufferLimit = bytes;
  }

  continueDecoding(index: number): void {
    this.decoder.continueFrom(index);
  }

  continueEncoding(index: number): void {
    this.encoder.continueFrom(index);
  }

  decodingBuffer(index: number): Buffer | undefined {
    return this.decoder.bufferedData(index);
  }

  encodingBuffer(index: number): Buffer | undefined {
    return this.encoder.bufferedData(index);
  }

  replaceDecodingBuffer(index: number, data: Buffer): void {
    this.decoder.replaceBufferedData(index, data);
  }

  replaceEncodingBuffer(index: number, data: Buffer): void {
    this.encoder.replaceBufferedData(index, data);
  }

  private writeResponseHeaders(headers: HeaderMap, end: boolean): void {
    const config = this.config;
    mutateResponseHeaders(headers, this.requestHeaders, config, false);
    const status = Number(headers.get(':status') ?? 0);
    this.streamInfo.responseCode = status;
    this.streamInfo.firstDownstreamTxByteSent = this.streamInfo.elapsedMs();
    this.streamInfo.responseHeadersBytes = headers.byteSize();
    const isHead = this.requestHeaders.get(':method') === 'HEAD';
    // Answering before the request body is in: an HTTP/1 connection cannot be reused
    // (the rest of the body is still on the wire), so it closes after this response.
    if (!this.requestComplete && this.codecStream.protocol !== 'HTTP/2') this.codecStream.closeConnectionAfterResponse();
    if (log.enabled('debug')) log.debug(`${this.logTag} encoding headers via codec (end_stream=${end}):\n${dumpHeaders(headers)}`);
    this.codecStream.writeHeaders(headers, end);
    if (end) this.onResponseComplete();
    else if (isHead) {
      // HEAD responses carry no body whatever the upstream says.
      this.codecStream.writeData(Buffer.alloc(0), true);
      this.onResponseComplete();
      this.encoder.abort();
    }
  }

  private writeResponseData(data: Buffer, end: boolean): void {
    if (this.responseComplete) return;
    this.touch();
    this.streamInfo.bytesSent += data.length;
    const ok = this.codecStream.writeData(data, end);
    if (!ok) this.downstreamBlocked = true;
    if (end) this.onResponseComplete();
  }

  private writeResponseTrailers(trailers: HeaderMap): void {
    if (this.responseComplete) return;
    this.codecStream.writeTrailers(trailers);
    this.onResponseComplete();
  }

  /**
   * The upstream accepted the upgrade: write the 101 downstream and relay bytes both
   * ways. The stream ends (stats, access log) when the tunnel closes.
   */
  acceptUpgrade(headers: HeaderMap, upstream: Duplex): void {
    const take = this.codecStream.takeSocketForUpgrade;
    if (this.finalized || !take) {
      upstream.destroy();
      this.resetStream('upgrade_failed');
      return;
    }
    const stats = this.config.stats;
    mutateResponseHeaders(headers, this.requestHeaders, this.config, true);
    this.responseHeaders = headers;
    this.streamInfo.responseCode = 101;
    this.streamInfo.responseCodeDetails ??= 'via_upstream';
    const downstream = take.call(this.codecStream);
    stats.downstream_cx_upgrades_total.inc();
    stats.downstream_cx_upgrades_active.inc();
    this.clearTimers();
    downstream.write(switchingProtocolsHead(headers));
    runTunnel(downstream, upstream, (r) => {
      stats.downstream_cx_upgrades_active.dec();
      this.streamInfo.bytesReceived += r.bytesFromDownstream;
      this.streamInfo.bytesSent += r.bytesFromUpstream;
      this.responseComplete = true;
      this.requestComplete = true;
      this.finalize();
    });
  }

  /** Router flow control: register `fn` to run when the downstream drains. */
  onDownstreamWritable(fn: () => void): boolean {
    if (!this.downstreamBlocked) return false;
    this.writableWaiters.push(fn);
    return true;
  }

  private onWritable(): void {
    this.downstreamBlocked = false;
    const waiters = this.writableWaiters;
    this.writableWaiters = [];
    for (const fn of waiters) fn();
  }

  private onResponseComplete(): void {
    if (this.responseComplete) return;
    this.responseComplete = true;
    this.streamInfo.lastDownstreamTxByteSent = this.streamInfo.elapsedMs();
    if (!this.requestComplete) this.config.stats.downstream_rq_response_before_rq_complete.inc();
    this.finalize();
  }

  // ---- local replies and resets -------------------------------------------

  sendLocalReply(status: number, body: string, options: LocalReplyOptions): void {
    if (this.finalized) return;
    if (log.enabled('debug')) log.debug(`${this.logTag} Sending local reply with details ${options.details}`);
    if (options.flag) this.streamInfo.setResponseFlag(options.flag);
    this.streamInfo.responseCodeDetails = options.details;
    if (this.codecStream.headersWritten) {
      // Too late for a reply: the only honest signal left is a reset.
      this.resetStream(options.details);
      return;
    }
    this.decoder.abort();
    const reply = this.manager.localReplies.build(status, body, this.requestHeaders, options.grpcStatus);
    for (const [k, v] of options.headers ?? []) reply.headers.add(k, v);
    options.modifyHeaders?.(reply.headers);
    this.localReplyBody = body;
    const isHead = this.requestHeaders?.get(':method') === 'HEAD';
    const hasBody = reply.body.length > 0 && !isHead;
    this.encodeHeaders(reply.headers, !hasBody, options.details);
    if (hasBody) this.encodeData(reply.body, true);
  }

  resetStream(details?: string): void {
    if (this.finalized) return;
    if (details) this.streamInfo.responseCodeDetails ??= details;
    this.config.stats.downstream_rq_tx_reset.inc();
    this.streamInfo.setResponseFlag('LocalReset');
    this.decoder.abort();
    this.encoder.abort();
    this.codecStream.reset();
    this.finalize();
  }

  // ---- end of stream ------------------------------------------------------

  private finalize(): void {
    if (this.finalized) return;
    this.finalized = true;
    this.clearTimers();
    const config = this.config;
    const info = this.streamInfo;
    info.endTime = info.elapsedMs();
    this.connectionState.activeStreams--;
    for (const inst of this.instances) {
      try {
        inst.decoder?.onDestroy?.();
        if (inst.encoder && inst.encoder !== (inst.decoder as unknown)) inst.encoder.onDestroy?.();
      } catch (err) {
        log.error(`filter onDestroy failed: ${(err as Error).message}`);
      }
    }
    const stats = config.stats;
    stats.downstream_rq_active.dec();
    const code = info.responseCode;
    if (code !== undefined && this.responseComplete) {
      const cls = Math.floor(code / 100);
      const key = `downstream_rq_${cls}xx` as const;
      if (cls >= 1 && cls <= 5) {
        stats[key as 'downstream_rq_2xx'].inc();
        config.listenerStats[key as 'downstream_rq_2xx'].inc();
      }
      stats.downstream_rq_completed.inc();
      config.listenerStats.downstream_rq_completed.inc();
    }
    stats.downstream_rq_time.record(info.endTime);
    if (config.accessLogs.length) {
      const ctx: FormatContext = {
        streamInfo: info,
        connection: this.connection,
        requestHeaders: this.requestHeaders,
        responseHeaders: this.responseHeaders,
        responseTrailers: this.responseTrailers,
        localReplyBody: this.localReplyBody,
      };
      for (const logInstance of config.accessLogs) {
        try {
          logInstance.log(ctx);
        } catch (err) {
          log.error(`access log failed: ${(err as Error).message}`);
        }
      }
    }
  }
}

function formatAddr(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

