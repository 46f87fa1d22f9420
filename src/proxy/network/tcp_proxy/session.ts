// One downstream connection through the TCP proxy: pick a cluster and host, connect
// (retrying up to max_connect_attempts), then relay bytes both ways with back-pressure
// and half-close until both directions are done. Mirrors Envoy's TcpProxy::Filter:
// failures close the downstream without flushing and leave response flags (NC, UO, UH,
// UF, URX, DT) for the access log written when the downstream connection closes.
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { logger } from '../../../common/logger.js';
import { emitAccessLogs } from '../../observability/access_log/index.js';
import type { DownstreamConnection } from '../network_filter.js';
import type { ThreadLocalCluster } from '../../upstream/thread_local_cluster.js';
import type { TcpProxyConfig } from './config.js';
import { GaugeShare, Pipe } from './pipe.js';
import { UpstreamConnection } from './upstream.js';

const log = logger('filter');

export class TcpProxySession {
  private readonly downstream: Duplex;
  private upstream?: UpstreamConnection;
  private cluster?: ThreadLocalCluster;
  private attempts = 0;
  private downstreamClosed = false;
  private downstreamError = false;
  /** We closed the downstream (failure, timeout): the upstream is closed without flushing. */
  private closedLocally = false;
  private idleTimer?: NodeJS.Timeout;
  private durationTimer?: NodeJS.Timeout;
  private flushTimer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Immediate;
  private pipes: Pipe[] = [];
  private readonly rxBuffered: GaugeShare;
  private readonly txBuffered: GaugeShare;

  constructor(
    private readonly config: TcpProxyConfig,
    private readonly connection: DownstreamConnection,
  ) {
    this.downstream = connection.socket;
    this.rxBuffered = new GaugeShare(config.stats.downstream_cx_rx_bytes_buffered);
    this.txBuffered = new GaugeShare(config.stats.downstream_cx_tx_bytes_buffered);
  }

  start(): void {
    const { config, connection, downstream } = this;
    config.stats.downstream_cx_total.inc();
    const info = connection.streamInfo;
    info.protocol = ''; // %PROTOCOL% prints "-" for TCP, as in Envoy
    // A FIN from the client must end only its direction (see Pipe); the listener's
    // sockets default to closing both halves.
    downstream.allowHalfOpen = true;
    // Like Envoy's readDisable(true) until the upstream connects: bytes that arrive
    // meanwhile wait in the socket's bounded read buffer, then the kernel's.
    downstream.pause();
    downstream.on('error', () => {
      this.downstreamError = true;
    });
    if (downstream.destroyed) {
      this.onDownstreamClosed();
      return;
    }
    connection.onClose(() => this.onDownstreamClosed());
    if (config.maxDownstreamConnectionDurationMs > 0) {
      this.durationTimer = setTimeout(() => this.onMaxDuration(), config.maxDownstreamConnectionDurationMs);
    }
    if (config.accessLogFlushIntervalMs > 0) {
      this.flushTimer = setInterval(() => this.writeAccessLog(), config.accessLogFlushIntervalMs);
    }
    this.connectUpstream();
  }

  /** Picks the cluster (again, on retries: weighted picks may differ) and a host, then connects. */
  private connectUpstream(): void {
    const { config, connection } = this;
    const info = connection.streamInfo;
    const name = config.pickCluster();
    const cluster = config.clusterManager.get(name);
    if (!cluster) {
      log.debug(`[C${connection.info.id}] cluster '${name}' not found`);
      config.stats.downstream_cx_no_route.inc();
      info.setResponseFlag('NoClusterFound');
      this.closeDownstream();
      return;
    }
    this.cluster = cluster;
    const clusterInfo = cluster.info;
    info.upstreamCluster = clusterInfo.name;
    // Checked here because a queued connect would never be released (Envoy's canCreate()).
    if (clusterInfo.stats.upstream_cx_active.value >= clusterInfo.limits.maxConnections) {
      clusterInfo.stats.upstream_cx_overflow.inc();
      info.setResponseFlag('UpstreamOverflow');
      this.closeDownstream();
      return;
    }
    const host = cluster.chooseHost({ hashKey: config.hashKey(connection.info.remoteAddress) });
    if (!host) {
      clusterInfo.stats.upstream_cx_none_healthy.inc();
      info.setResponseFlag('NoHealthyUpstream');
      this.closeDownstream();
      return;
    }
    this.attempts++;
    info.attemptCount = this.attempts;
    info.upstreamHost = { address: host.address, hostname: host.hostname };
    log.debug(`[C${connection.info.id}] connecting to ${host.address} (cluster ${clusterInfo.name}, attempt ${this.attempts})`);
    this.upstream = new UpstreamConnection(host, clusterInfo, {
      onConnected: () => this.onUpstreamConnected(),
      onConnectFailed: (reason) => this.onConnectFailed(reason),
      onClosed: (err) => this.onUpstreamClosed(err),
    });
  }

  private onConnectFailed(reason: string): void {
    const info = this.connection.streamInfo;
    this.upstream = undefined;
    info.upstreamTransportFailureReason = reason;
    info.setResponseFlag('UpstreamConnectionFailure');
    if (this.downstreamClosed) return;
    if (this.attempts >= this.config.maxConnectAttempts) {
      info.setResponseFlag('UpstreamRetryLimitExceeded');
      this.cluster?.info.stats.upstream_cx_connect_attempts_exceeded.inc();
      this.closeDownstream();
      return;
    }
    // Envoy retries on a later event-loop turn (no backoff configured).
    this.retryTimer = setImmediate(() => {
      this.retryTimer = undefined;
      if (!this.downstreamClosed) this.connectUpstream();
    });
  }

  private onUpstreamConnected(): void {
    const upstream = this.upstream!;
    const { config, connection, downstream } = this;
    const info = connection.streamInfo;
    info.upstreamLocalAddress = upstream.localAddress();
    const clusterStats = upstream.cluster.stats;
    const up = upstream.socket;
    const upTx = new GaugeShare(clusterStats.upstream_cx_tx_bytes_buffered);
    const upRx = new GaugeShare(clusterStats.upstream_cx_rx_bytes_buffered);
    this.releaseUpstreamGauges = () => {
      upTx.release();
      upRx.release();
    };
    const toUpstream = new Pipe(downstream, up, {
      onBytes: (n) => {
        config.stats.downstream_cx_rx_bytes_total.inc(n);
        clusterStats.upstream_cx_tx_bytes_total.inc(n);
        info.bytesReceived += n;
        info.upstreamBytesSent += n;
        upTx.sync(up.writableLength);
        this.rxBuffered.sync(downstream.readableLength);
        this.touch();
      },
      onPaused: () => {
        config.stats.downstream_flow_control_paused_reading_total.inc();
        clusterStats.upstream_flow_control_backed_up_total.inc();
      },
      onResumed: () => {
        config.stats.downstream_flow_control_resumed_reading_total.inc();
        clusterStats.upstream_flow_control_drained_total.inc();
        upTx.sync(up.writableLength);
      },
      onEnd: () => {
        info.lastDownstreamRxByteReceived = info.elapsedMs();
      },
    });
    const toDownstream = new Pipe(up, downstream, {
      onBytes: (n) => {
        clusterStats.upstream_cx_rx_bytes_total.inc(n);
        config.stats.downstream_cx_tx_bytes_total.inc(n);
        info.upstreamBytesReceived += n;
        info.bytesSent += n;
        this.txBuffered.sync(downstream.writableLength);
        upRx.sync(up.readableLength);
        this.touch();
      },
      onPaused: () => clusterStats.upstream_flow_control_paused_reading_total.inc(),
      onResumed: () => {
        clusterStats.upstream_flow_control_resumed_reading_total.inc();
        this.txBuffered.sync(downstream.writableLength);
      },
      onEnd: () => {},
    });
    this.pipes = [toUpstream, toDownstream];
    if (config.idleTimeoutMs > 0) {
      this.idleTimer = setTimeout(() => this.onIdleTimeout(), config.idleTimeoutMs);
    }
    if (config.flushAccessLogOnConnected) this.writeAccessLog();
    toUpstream.start();
    toDownstream.start();
  }

  private releaseUpstreamGauges: () => void = () => {};

  /** Traffic in either direction restarts the idle timer (Envoy resets it on bytes sent both ways). */
  private touch(): void {
    this.idleTimer?.refresh();
  }

  private onIdleTimeout(): void {
    log.debug(`[C${this.connection.info.id}] session idle timeout`);
    this.config.stats.idle_timeout.inc();
    this.closeDownstream();
  }

  private onMaxDuration(): void {
    log.debug(`[C${this.connection.info.id}] max connection duration reached`);
    this.connection.streamInfo.setResponseFlag('DurationTimeout');
    this.config.stats.max_downstream_connection_duration.inc();
    this.closeDownstream();
  }

  /** A connected upstream closed: both directions finished, or it failed. */
  private onUpstreamClosed(err: Error | undefined): void {
    this.releaseUpstreamGauges();
    for (const p of this.pipes) p.stop();
    if (this.downstreamClosed) return;
    const downstream = this.downstream;
    if ((err as NodeJS.ErrnoException | undefined)?.code === 'ECONNRESET') {
      // Envoy propagates an upstream reset to the downstream as a reset.
      this.connection.streamInfo.setResponseFlag('UpstreamRemoteReset');
      this.closedLocally = true;
      resetOrDestroy(downstream);
      return;
    }
    // Otherwise Envoy closes the downstream after flushing what is queued for it.
    if (!downstream.writableEnded) downstream.end();
    if (downstream.writableFinished) downstream.destroy();
    else downstream.once('finish', () => downstream.destroy());
  }

  private onDownstreamClosed(): void {
    if (this.downstreamClosed) return;
    this.downstreamClosed = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.durationTimer);
    clearInterval(this.flushTimer);
    if (this.retryTimer) clearImmediate(this.retryTimer);
    for (const p of this.pipes) p.stop();
    this.rxBuffered.release();
    this.txBuffered.release();
    const info = this.connection.streamInfo;
    info.endTime = info.elapsedMs();
    const upstream = this.upstream;
    if (upstream?.isConnected && !this.downstreamError && !this.closedLocally && upstream.socket.writableLength > 0) {
      this.flushUpstream(upstream);
    } else if (upstream && !(upstream.socket.readableEnded && upstream.socket.writableFinished)) {
      // (With both halves done it is closing by itself: a normal end, not a local close.)
      upstream.destroy();
    }
    this.writeAccessLog();
  }

  /**
   * The downstream is gone but bytes it sent are still queued for the upstream: let them
   * flush, then close (Envoy's upstream drainer, counted in upstream_flush_*). Data the
   * upstream sends meanwhile has nowhere to go, so it closes the connection, as the
   * kernel would on a socket whose reader is gone.
   */
  private flushUpstream(upstream: UpstreamConnection): void {
    const stats = this.config.stats;
    const up = upstream.socket;
    stats.upstream_flush_total.inc();
    stats.upstream_flush_active.inc();
    let idle: NodeJS.Timeout | undefined;
    if (this.config.idleTimeoutMs > 0) {
      idle = setTimeout(() => {
        stats.idle_timeout.inc();
        upstream.destroy();
      }, this.config.idleTimeoutMs);
    }
    up.once('close', () => {
      clearTimeout(idle);
      stats.upstream_flush_active.dec();
    });
    up.on('data', () => upstream.destroy());
    up.resume();
    if (!up.writableEnded) up.end();
    // With the write half done and nothing more to read, the socket would linger half-open.
    up.once('finish', () => upstream.destroy());
  }

  /** Closes the downstream without flushing (Envoy's NoFlush); the close handler cleans up. */
  private closeDownstream(): void {
    if (this.downstreamClosed) return;
    this.closedLocally = true;
    this.connection.close(true);
  }

  private writeAccessLog(): void {
    if (this.config.accessLogs.length === 0) return;
    emitAccessLogs(this.config.accessLogs, { streamInfo: this.connection.streamInfo, connection: this.connection.info });
  }
}

/** An RST where the socket is plain TCP; TLS and other wrapped streams can only close. */
function resetOrDestroy(stream: Duplex): void {
  const socket = stream as Duplex & Partial<Pick<Socket, 'resetAndDestroy'>>;
  try {
    if (socket.resetAndDestroy) {
      socket.resetAndDestroy();
      return;
    }
  } catch {
    // ERR_INVALID_HANDLE_TYPE: not a TCP handle (e.g. a TLSSocket)
  }
  stream.destroy();
}
