// HTTP/1.1 connections to one upstream host, as Envoy's HTTP/1 connection pool keeps
// them: one request per connection at a time (no pipelining), keep-alive reuse of the
// most recently used connection first, a queue of pending requests while connections
// are being made, cluster circuit breakers (max_connections, max_pending_requests),
// idle timeout and max requests per connection, and Envoy's cluster and host stats.
// Parsing is llhttp's (Node's binding, through Http1Parser); the request head and body
// framing are written here (http1/), so nothing is added that Envoy would not send.
import type { ConnectionOptions } from 'node:tls';
import type { ClusterInfo } from '../cluster_info.js';
import type { Host } from '../host.js';
import { ClientConnection, type ConnectionOwner } from './http1/client_connection.js';
import { ClientStream, type StreamOwner } from './http1/client_stream.js';
import { encodeRequestHead, type EncodedHead } from './http1/request_encoder.js';
import type { ConnectionPool, ResetReason, UpstreamCallbacks, UpstreamRequest, UpstreamStream } from './types.js';

export interface TlsConnectOptions {
  /** Options for tls.connect (upstream TLS origination); absent → plaintext. */
  tls?: ConnectionOptions;
}

/** Connections per cluster across its hosts' pools: max_connections is a cluster limit. */
const clusterConnections = new WeakMap<ClusterInfo, { count: number }>();

const NO_HEAD: EncodedHead = { head: '', framing: 'none' };

export class Http1ConnectionPool implements ConnectionPool, ConnectionOwner, StreamOwner {
  activeStreams = 0;
  /** Parked connections; the last one is the most recently used (LIFO). */
  private readonly idle: ClientConnection[] = [];
  /** Every connection the pool owns (connecting, idle, busy). */
  private readonly connections = new Set<ClientConnection>();
  /** Connections handed over by a 101; counted until their socket closes. */
  private readonly upgradedConnections = new Set<ClientConnection>();
  private connecting = 0;
  /** Requests waiting for a connection, oldest first. */
  private readonly pending: ClientStream[] = [];
  private draining = false;
  private destroyed = false;
  private drainWaiters: Array<() => void> = [];
  private readonly tls: ConnectionOptions | undefined;
  private readonly clusterCx: { count: number };

  constructor(
    readonly host: Host,
    readonly cluster: ClusterInfo,
    options: TlsConnectOptions = {},
  ) {
    this.tls = options.tls;
    let shared = clusterConnections.get(cluster);
    if (!shared) clusterConnections.set(cluster, (shared = { count: 0 }));
    this.clusterCx = shared;
  }

  newStream(request: UpstreamRequest, callbacks: UpstreamCallbacks): UpstreamStream {
    let encoded: EncodedHead;
    try {
      encoded = encodeRequestHead(request);
    } catch (err) {
      return this.rejected(request, callbacks, 'protocol_error', (err as Error).message);
    }
    if (this.draining) return this.rejected(request, callbacks, 'connection_failure', 'connection pool is draining');
    const conn = this.takeIdle();
    if (conn) {
      const stream = this.track(new ClientStream(this, request, callbacks, encoded));
      this.attach(conn, stream);
      return stream;
    }
    const cluster = this.cluster;
    if (cluster.pendingRequests >= cluster.limits.maxPendingRequests) {
      cluster.stats.upstream_rq_pending_overflow.inc();
      cluster.circuitBreakerStats.rq_pending_open.set(1);
      return this.rejected(request, callbacks, 'overflow', 'pending requests overflow');
    }
    const stream = this.track(new ClientStream(this, request, callbacks, encoded));
    cluster.stats.upstream_rq_pending_total.inc();
    this.enqueue(stream, false);
    this.createConnections();
    return stream;
  }

  drain(): Promise<void> {
    this.draining = true;
    for (const conn of this.idle.splice(0)) conn.close('local');
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.checkDrained();
    });
  }

  destroy(): Promise<void> {
    this.destroyed = true;
    this.draining = true;
    this.idle.length = 0;
    const streams = this.pending.splice(0);
    for (const s of streams) this.dequeued(s);
    for (const s of streams) s.reset('local_reset', 'connection pool destroyed');
    for (const conn of [...this.connections]) {
      const stream = conn.stream;
      conn.close('local');
      stream?.reset('local_reset', 'connection pool destroyed');
    }
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      this.checkDrained();
    });
  }

  // ---- ConnectionOwner ----------------------------------------------------

  connected(conn: ClientConnection): void {
    this.connecting--;
    this.cluster.stats.upstream_cx_connect_ms.record(performance.now() - conn.createdAt);
    this.released(conn);
  }

  /** A connection is free: the oldest pending request takes it, else it is parked. */
  released(conn: ClientConnection): void {
    if (this.destroyed) {
      conn.close('local');
      return;
    }
    const next = this.pending.shift();
    if (next) {
      this.dequeued(next);
      this.attach(conn, next);
      return;
    }
    if (this.draining) {
      conn.close('local');
      return;
    }
    this.idle.push(conn);
    conn.markIdle(this.cluster.idleTimeoutMs, this.onIdleTimeout);
  }

  closed(conn: ClientConnection, connectFailure: string | undefined): void {
    const wasUpgraded = this.upgradedConnections.delete(conn);
    if (!wasUpgraded && !this.connections.delete(conn)) return;
    const { stats, limits } = this.cluster;
    const host = this.host;
    if (--this.clusterCx.count < limits.maxConnections) this.cluster.circuitBreakerStats.cx_open.set(0);
    const at = this.idle.lastIndexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    stats.upstream_cx_active.dec();
    host.activeConnections--;
    stats.upstream_cx_destroy.inc();
    const local = conn.closedBy === 'local';
    (local ? stats.upstream_cx_destroy_local : stats.upstream_cx_destroy_remote).inc();
    if (conn.closedWithActiveRequest) {
      stats.upstream_cx_destroy_with_active_rq.inc();
      (local ? stats.upstream_cx_destroy_local_with_active_rq : stats.upstream_cx_destroy_remote_with_active_rq).inc();
    }
    stats.upstream_cx_length_ms.record(performance.now() - conn.createdAt);
    if (connectFailure !== undefined && this.destroyed) {
      this.connecting--; // closed by destroy(), not a failure
    } else if (connectFailure !== undefined) {
      this.connecting--;
      stats.upstream_cx_connect_fail.inc();
      host.counters.cx_connect_fail++;
      if (conn.connectTimedOut) stats.upstream_cx_connect_timeout.inc();
      // As Envoy: a failed connect fails every queued request, so callers (retries) decide.
      this.purgePending('connection_failure', connectFailure);
    } else if (this.pending.length) {
      this.createConnections();
    }
    this.checkDrained();
  }

  retryStale(stream: ClientStream): void {
    if (this.destroyed) {
      stream.reset('connection_termination', 'upstream closed the connection');
      return;
    }
    // Ahead of the queue, and on a new connection: idle ones may be just as stale.
    this.enqueue(stream, true);
    this.createConnections();
  }

  upgraded(conn: ClientConnection): void {
    this.connections.delete(conn);
    this.upgradedConnections.add(conn);
    this.checkDrained();
  }

  // ---- StreamOwner --------------------------------------------------------

  cancelPending(stream: ClientStream): void {
    const at = this.pending.indexOf(stream);
    if (at < 0) return;
    this.pending.splice(at, 1);
    this.dequeued(stream);
    this.cluster.stats.upstream_rq_cancelled.inc();
    this.checkDrained();
  }

  streamFinished(stream: ClientStream): void {
    this.activeStreams--;
    this.host.activeRequests--;
    if (stream.attached) this.cluster.stats.upstream_rq_active.dec();
  }

  // ---- internals ----------------------------------------------------------

  private track(stream: ClientStream): ClientStream {
    this.activeStreams++;
    this.host.activeRequests++;
    return stream;
  }

  /** A stream that fails right away; the failure is delivered after newStream returns. */
  private rejected(request: UpstreamRequest, callbacks: UpstreamCallbacks, reason: ResetReason, detail: string): UpstreamStream {
    const stream = this.track(new ClientStream(this, request, callbacks, NO_HEAD));
    queueMicrotask(() => stream.reset(reason, detail));
    return stream;
  }

  private takeIdle(): ClientConnection | undefined {
    const idle = this.idle;
    while (idle.length) {
      const conn = idle.pop()!;
      if (conn.usable) return conn;
    }
    return undefined;
  }

  private attach(conn: ClientConnection, stream: ClientStream): void {
    const { stats, maxRequestsPerConnection } = this.cluster;
    stream.state = 'active';
    const first = !stream.attached;
    if (first) {
      stream.attached = true;
      stats.upstream_rq_total.inc();
      stats.upstream_rq_active.inc();
      this.host.counters.rq_total++;
    }
    if (maxRequestsPerConnection > 0 && conn.requestCount + 1 >= maxRequestsPerConnection) {
      conn.lastRequest = true;
      stats.upstream_cx_max_requests.inc();
    }
    conn.send(stream);
    if (first && stream.callbacks.onPoolReady && !stream.done) stream.callbacks.onPoolReady({ localAddress: conn.localAddress });
  }

  private enqueue(stream: ClientStream, front: boolean): void {
    const cluster = this.cluster;
    stream.state = 'pending';
    if (front) this.pending.unshift(stream);
    else this.pending.push(stream);
    cluster.pendingRequests++;
    cluster.stats.upstream_rq_pending_active.inc();
    if (cluster.pendingRequests >= cluster.limits.maxPendingRequests) cluster.circuitBreakerStats.rq_pending_open.set(1);
  }

  private dequeued(_stream: ClientStream): void {
    const cluster = this.cluster;
    cluster.pendingRequests--;
    cluster.stats.upstream_rq_pending_active.dec();
    if (cluster.pendingRequests < cluster.limits.maxPendingRequests) cluster.circuitBreakerStats.rq_pending_open.set(0);
  }

  /** One connection attempt per pending request not yet covered, within max_connections. */
  private createConnections(): void {
    const cluster = this.cluster;
    while (!this.destroyed && this.connecting < this.pending.length) {
      if (this.clusterCx.count >= cluster.limits.maxConnections) {
        cluster.stats.upstream_cx_overflow.inc();
        cluster.circuitBreakerStats.cx_open.set(1);
        // Other hosts hold the cluster's connections: still allow this host one, so
        // its queue can make progress (as Envoy does).
        if (this.connections.size > 0) return;
      }
      if (!this.connect()) return;
    }
  }

  private connect(): boolean {
    const { stats, limits } = this.cluster;
    const host = this.host;
    stats.upstream_cx_total.inc();
    stats.upstream_cx_http1_total.inc();
    host.counters.cx_total++;
    let conn: ClientConnection;
    try {
      conn = new ClientConnection(this, this.tls);
    } catch (err) {
      // Synchronous failures (bad port, bad TLS options) fail the queue like a refused connect.
      stats.upstream_cx_connect_fail.inc();
      host.counters.cx_connect_fail++;
      const detail = (err as Error).message;
      queueMicrotask(() => this.purgePending('connection_failure', detail));
      return false;
    }
    this.connections.add(conn);
    this.connecting++;
    stats.upstream_cx_active.inc();
    host.activeConnections++;
    if (++this.clusterCx.count >= limits.maxConnections) this.cluster.circuitBreakerStats.cx_open.set(1);
    return true;
  }

  private purgePending(reason: ResetReason, detail: string): void {
    const streams = this.pending.splice(0);
    for (const s of streams) this.dequeued(s);
    if (streams.length) this.cluster.stats.upstream_rq_pending_failure_eject.inc(streams.length);
    for (const s of streams) s.reset(reason, detail);
  }

  private readonly onIdleTimeout = (conn: ClientConnection): void => {
    const at = this.idle.lastIndexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    this.cluster.stats.upstream_cx_idle_timeout.inc();
    conn.close('local');
  };

  private checkDrained(): void {
    if (!this.draining || this.connections.size > 0 || this.pending.length > 0 || !this.drainWaiters.length) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
