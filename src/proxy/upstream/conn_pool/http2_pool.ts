// HTTP/2 connections to one upstream host (node:http2, nghttp2 underneath). Streams
// are multiplexed over as few connections as the peer's max_concurrent_streams
// allows; a connection that received GOAWAY takes no new streams; idle ones close.
// Used for clusters with http2_protocol_options (gRPC backends, xDS servers).
import type * as http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { Readable } from 'node:stream';
import type { envoy } from '../../../api/envoy-types.generated.js';
import { unwrap } from '../../../api/json/wkt.js';
import { lazyRequire } from '../../common/lazy_require.js';
import { HeaderMap } from '../../http/header_map.js';
import type { ClusterInfo } from '../cluster_info.js';
import type { Host } from '../host.js';
import type { ConnectionPool, ResetReason, UpstreamCallbacks, UpstreamRequest, UpstreamStream } from './types.js';

// node:http2 loads with the first HTTP/2 upstream connection, not at start-up (see
// lazy_require.ts). Wire constants from RFC 9113: END_STREAM flag 0x1 (§6.1);
// REFUSED_STREAM 0x7, CANCEL 0x8 (§7).
const loadHttp2 = lazyRequire<typeof http2>('node:http2');
const NGHTTP2_FLAG_END_STREAM = 0x1;
const NGHTTP2_REFUSED_STREAM = 0x7;
const NGHTTP2_CANCEL = 0x8;
// Connection-specific headers are illegal in HTTP/2 (RFC 9113 §8.2.2).
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host']);

interface Session {
  session: http2.ClientHttp2Session;
  socket?: net.Socket | tls.TLSSocket;
  retired: boolean;
  active: number;
  maxStreams: number;
  draining: boolean;
  idleTimer?: NodeJS.Timeout;
  openedAt: number;
}

interface Pending {
  request: UpstreamRequest;
  callbacks: UpstreamCallbacks;
  handle: StreamHandle;
}

class StreamHandle implements UpstreamStream {
  stream?: http2.ClientHttp2Stream;
  cancelled = false;
  done = false;
  constructor(private readonly onCancel: (h: StreamHandle) => void) {}
  cancel(): void {
    if (this.cancelled || this.done) return;
    this.cancelled = true;
    this.onCancel(this);
    if (this.stream && !this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
  }
  resume(): void {
    this.stream?.resume();
  }
}

function toHttp2Headers(request: UpstreamRequest, scheme: string): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {
    ':method': request.method,
    ':path': request.path,
    ':scheme': scheme,
    ':authority': request.headers.get(':authority') ?? '',
  };
  request.headers.forEach((name, value) => {
    if (name.charCodeAt(0) === 58 || CONNECTION_HEADERS.has(name)) return;
    if (name === 'te' && value.toLowerCase() !== 'trailers') return;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
  });
  return out;
}

function toHeaderMap(headers: http2.IncomingHttpHeaders): HeaderMap {
  const map = new HeaderMap();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) map.add(name, v);
    else map.add(name, String(value));
  }
  return map;
}

export class Http2ConnectionPool implements ConnectionPool {
  private readonly sessions: Session[] = [];
  private readonly pending: Pending[] = [];
  private connecting = 0;
  activeStreams = 0;
  private closed = false;
  private readonly settings: http2.Settings;
  private readonly scheme: string;

  constructor(
    private readonly host: Host,
    private readonly cluster: ClusterInfo,
    private readonly options: { tls?: tls.ConnectionOptions } = {},
  ) {
    const h2 = cluster.http2Options ?? ({} as envoy.config.core.v3.Http2ProtocolOptions);
    this.settings = {
      enablePush: false,
      initialWindowSize: unwrap(h2.initial_stream_window_size, 268_435_456),
      maxConcurrentStreams: unwrap(h2.max_concurrent_streams, 2_147_483_647),
      headerTableSize: unwrap(h2.hpack_table_size, 4096),
    };
    this.scheme = options.tls ? 'https' : 'http';
  }

  newStream(request: UpstreamRequest, callbacks: UpstreamCallbacks): UpstreamStream {
    const handle = new StreamHandle((h) => this.removePending(h));
    this.cluster.stats.upstream_rq_active.inc();
    this.host.activeRequests++;
    this.activeStreams++;
    const session = this.sessions.find((s) => !s.draining && s.active < s.maxStreams);
    if (session) this.start(session, { request, callbacks, handle });
    else {
      if (this.pending.length >= this.cluster.limits.maxPendingRequests) {
        this.cluster.stats.upstream_rq_pending_overflow.inc();
        this.finishStream(handle);
        queueMicrotask(() => callbacks.onReset('overflow', 'pending request queue full'));
        return handle;
      }
      this.cluster.stats.upstream_rq_pending_total.inc();
      this.cluster.stats.upstream_rq_pending_active.inc();
      this.pending.push({ request, callbacks, handle });
      this.maybeConnect();
    }
    return handle;
  }

  private removePending(handle: StreamHandle): void {
    const i = this.pending.findIndex((p) => p.handle === handle);
    if (i >= 0) {
      this.pending.splice(i, 1);
      this.cluster.stats.upstream_rq_pending_active.dec();
      this.cluster.stats.upstream_rq_cancelled.inc();
    }
    this.finishStream(handle);
  }

  private finishStream(handle: StreamHandle): void {
    if (handle.done) return;
    handle.done = true;
    this.cluster.stats.upstream_rq_active.dec();
    this.host.activeRequests--;
    this.activeStreams--;
  }

  private maybeConnect(): void {
    const capacity = this.sessions.filter((s) => !s.draining).length + this.connecting;
    if (this.closed || this.pending.length === 0 || (capacity > 0 && this.connecting > 0)) return;
    if (capacity >= this.cluster.limits.maxConnections) {
      this.cluster.stats.upstream_cx_overflow.inc();
      return;
    }
    this.connect();
  }

  private connect(): void {
    const stats = this.cluster.stats;
    const host = this.host;
    this.connecting++;
    stats.upstream_cx_total.inc();
    stats.upstream_cx_http2_total.inc();
    host.counters.cx_total++;
    const started = performance.now();
    let connected = false;
    const authority = `${this.scheme}://${host.address}`;
    const entry = { retired: false, active: 0, maxStreams: 100, draining: false, openedAt: performance.now() } as Session;
    const session = loadHttp2().connect(authority, {
      settings: this.settings,
      createConnection: () => {
        const opts = { host: host.ip, port: host.port };
        const socket = this.options.tls ? tls.connect({ ALPNProtocols: ['h2'], ...this.options.tls, ...opts }) : net.connect(opts);
        entry.socket = socket;
        socket.setTimeout(this.cluster.connectTimeoutMs, () => {
          if (!connected) {
            stats.upstream_cx_connect_timeout.inc();
            socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }));
          }
        });
        socket.once(this.options.tls ? 'secureConnect' : 'connect', () => {
          connected = true;
          socket.setTimeout(0);
          (socket as net.Socket).setNoDelay?.(true);
        });
        return socket;
      },
    });
    entry.session = session;
    session.on('connect', () => {
      this.connecting--;
      stats.upstream_cx_connect_ms.record(performance.now() - started);
      stats.upstream_cx_active.inc();
      host.activeConnections++;
      this.sessions.push(entry);
      this.drainPending();
    });
    session.on('remoteSettings', (settings) => {
      entry.maxStreams = Math.min(settings.maxConcurrentStreams ?? 100, this.settings.maxConcurrentStreams ?? Infinity);
      this.drainPending();
    });
    session.on('goaway', () => {
      entry.draining = true;
      // Node's client session can end itself on GOAWAY without a 'close' event and
      // without closing its socket: retire it here once its streams are done.
      if (entry.active === 0) this.retire(entry);
      this.maybeConnect();
    });
    session.on('error', () => undefined); // surfaced through 'close' and the streams
    session.on('close', () => {
      if (!connected) {
        this.connecting--;
        stats.upstream_cx_connect_fail.inc();
        host.counters.cx_connect_fail++;
        this.failPending('connection_failure', 'connect failed');
        return;
      }
      this.retire(entry);
    });
  }

  /** Takes a session out of service for good (closed, or drained after GOAWAY). */
  private retire(entry: Session): void {
    if (entry.retired) return;
    entry.retired = true;
    const stats = this.cluster.stats;
    const i = this.sessions.indexOf(entry);
    if (i >= 0) this.sessions.splice(i, 1);
    if (entry.idleTimer) clearTimeout(entry.idleTimer);
    stats.upstream_cx_active.dec();
    this.host.activeConnections--;
    stats.upstream_cx_destroy.inc();
    if (entry.active > 0) stats.upstream_cx_destroy_with_active_rq.inc();
    stats.upstream_cx_length_ms.record(performance.now() - entry.openedAt);
    if (!entry.session.destroyed) entry.session.destroy();
    entry.socket?.destroy();
    this.maybeConnect();
  }

  private failPending(reason: ResetReason, detail: string): void {
    const failed = this.pending.splice(0);
    for (const p of failed) {
      this.cluster.stats.upstream_rq_pending_active.dec();
      this.cluster.stats.upstream_rq_pending_failure_eject.inc();
      this.finishStream(p.handle);
      p.callbacks.onReset(reason, detail);
    }
  }

  private drainPending(): void {
    while (this.pending.length) {
      const session = this.sessions.find((s) => !s.draining && s.active < s.maxStreams);
      if (!session) break;
      const p = this.pending.shift()!;
      this.cluster.stats.upstream_rq_pending_active.dec();
      this.start(session, p);
    }
    this.maybeConnect();
  }

  private start(entry: Session, p: Pending): void {
    const { request, callbacks, handle } = p;
    if (handle.cancelled) return;
    const stats = this.cluster.stats;
    entry.active++;
    if (entry.idleTimer) {
      clearTimeout(entry.idleTimer);
      entry.idleTimer = undefined;
    }
    stats.upstream_rq_total.inc();
    this.host.counters.rq_total++;
    const body = request.body;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = entry.session.request(toHttp2Headers(request, this.scheme), { endStream: body === null });
    } catch (err) {
      entry.active--;
      this.finishStream(handle);
      queueMicrotask(() => callbacks.onReset('connection_termination', (err as Error).message));
      return;
    }
    handle.stream = stream;
    callbacks.onPoolReady?.({});
    let sawHeaders = false;
    let trailers: HeaderMap | undefined;
    const release = () => {
      entry.active--;
      if (entry.draining && entry.active === 0) {
        this.retire(entry);
        return;
      }
      if (entry.active === 0 && !entry.draining && this.cluster.idleTimeoutMs > 0) {
        entry.idleTimer = setTimeout(() => {
          stats.upstream_cx_idle_timeout.inc();
          entry.session.close();
        }, this.cluster.idleTimeoutMs);
        entry.idleTimer.unref();
      }
      this.drainPending();
    };
    stream.on('response', (headers, flags) => {
      if (handle.cancelled) return;
      sawHeaders = true;
      const map = toHeaderMap(headers);
      const endStream = (flags & NGHTTP2_FLAG_END_STREAM) !== 0;
      if (!callbacks.onHeaders(Number(headers[':status']), map, endStream)) stream.pause();
    });
    stream.on('data', (chunk: Buffer) => {
      if (handle.cancelled) return;
      if (!callbacks.onData(chunk)) stream.pause();
    });
    stream.on('trailers', (headers) => {
      trailers = toHeaderMap(headers);
    });
    stream.on('end', () => undefined);
    stream.on('error', () => undefined); // reported from 'close' with the RST code
    stream.on('close', () => {
      release();
      if (handle.done && handle.cancelled) return;
      this.finishStream(handle);
      if (handle.cancelled) return;
      const code = stream.rstCode;
      if (code === undefined || code === 0) {
        if (sawHeaders || stream.readableEnded) {
          callbacks.onComplete(trailers);
          return;
        }
      }
      if (sawHeaders) stats.upstream_rq_rx_reset.inc();
      const reason: ResetReason = code === NGHTTP2_REFUSED_STREAM ? 'remote_refused_stream_reset' : entry.session.destroyed ? 'connection_termination' : 'remote_reset';
      callbacks.onReset(reason, code !== undefined ? `stream reset with code ${code}` : 'stream closed');
    });
    if (body instanceof Buffer) stream.end(body);
    else if (body) (body as Readable).pipe(stream);
  }

  async drain(): Promise<void> {
    this.closed = true;
    await Promise.all(this.sessions.map((s) => new Promise<void>((resolve) => s.session.close(() => resolve()))));
  }

  async destroy(): Promise<void> {
    this.closed = true;
    this.failPending('local_reset', 'pool destroyed');
    for (const s of [...this.sessions]) this.retire(s);
  }
}
