// One upstream TCP connection of the TCP proxy, from connect attempt to close. It keeps
// the cluster and host connection stats the way Envoy's TCP connection pool does
// (upstream_cx_total / _active / _connect_fail / _connect_timeout / _destroy_* /
// _connect_ms / _length_ms), so tcp_proxy and HTTP traffic share one set of numbers.
import net from 'node:net';
import tls from 'node:tls';
import type { ClusterInfo } from '../../upstream/cluster_info.js';
import type { Host } from '../../upstream/host.js';

export interface UpstreamEvents {
  onConnected(): void;
  /** The attempt failed: refused, unreachable, reset during connect, or connect_timeout. */
  onConnectFailed(reason: string, timedOut: boolean): void;
  /** A connected upstream closed; `error` is set when it was reset or failed. */
  onClosed(error: Error | undefined): void;
}

export class UpstreamConnection {
  readonly socket: net.Socket;
  private connected = false;
  private finished = false;
  private timedOut = false;
  private closedLocally = false;
  private error?: Error;
  private connectTimer?: NodeJS.Timeout;
  private readonly startedAt = performance.now();
  private connectedAt = 0;

  constructor(
    readonly host: Host,
    readonly cluster: ClusterInfo,
    private readonly events: UpstreamEvents,
  ) {
    const stats = cluster.stats;
    stats.upstream_cx_total.inc();
    host.counters.cx_total++;
    const { socket, secure } = dial(host, cluster);
    this.socket = socket;
    this.socket.setNoDelay(true);
    // Read nothing until the session wires the pipes, so no upstream byte is lost.
    this.socket.pause();
    if (cluster.connectTimeoutMs > 0) {
      this.connectTimer = setTimeout(() => {
        this.timedOut = true;
        this.socket.destroy();
      }, cluster.connectTimeoutMs);
    }
    // With TLS the connection counts as up once the handshake is done (Envoy's Connected event).
    this.socket.once(secure ? 'secureConnect' : 'connect', () => this.onConnect());
    this.socket.on('error', (err) => {
      this.error ??= err;
    });
    this.socket.once('close', () => this.onClose());
  }

  get isConnected(): boolean {
    return this.connected && !this.finished;
  }

  /** "127.0.0.1:54321": the upstream connection's local address (%UPSTREAM_LOCAL_ADDRESS%). */
  localAddress(): string | undefined {
    const ip = this.socket.localAddress;
    if (!ip) return undefined;
    return ip.includes(':') ? `[${ip}]:${this.socket.localPort}` : `${ip}:${this.socket.localPort}`;
  }

  /** Closes now (no flush): counted as a local close, or abandons a pending connect. */
  destroy(): void {
    if (this.finished) return;
    this.closedLocally = true;
    this.socket.destroy();
  }

  private onConnect(): void {
    clearTimeout(this.connectTimer);
    if (this.finished) return;
    this.connected = true;
    this.connectedAt = performance.now();
    const stats = this.cluster.stats;
    stats.upstream_cx_active.inc();
    stats.upstream_cx_connect_ms.record(this.connectedAt - this.startedAt);
    this.host.activeConnections++;
    this.events.onConnected();
  }

  private onClose(): void {
    clearTimeout(this.connectTimer);
    if (this.finished) return;
    this.finished = true;
    const stats = this.cluster.stats;
    if (!this.connected) {
      // Abandoned by the proxy (the downstream went away): not a connect failure.
      if (this.closedLocally) return;
      stats.upstream_cx_connect_fail.inc();
      this.host.counters.cx_connect_fail++;
      if (this.timedOut) stats.upstream_cx_connect_timeout.inc();
      this.events.onConnectFailed(this.timedOut ? 'connect timeout' : describeConnectError(this.error), this.timedOut);
      return;
    }
    stats.upstream_cx_active.dec();
    this.host.activeConnections--;
    stats.upstream_cx_destroy.inc();
    if (this.closedLocally) stats.upstream_cx_destroy_local.inc();
    else stats.upstream_cx_destroy_remote.inc();
    stats.upstream_cx_length_ms.record(performance.now() - this.connectedAt);
    this.events.onClosed(this.closedLocally ? undefined : this.error);
  }
}

/** Opens the socket: plain TCP, or TLS when the cluster has a transport_socket (UpstreamTlsContext). */
function dial(host: Host, cluster: ClusterInfo): { socket: net.Socket; secure: boolean } {
  // allowHalfOpen: a FIN from the upstream ends only our read side, so the downstream's
  // remaining bytes can still be written (half-close, as Envoy's enableHalfClose(true)).
  const target = host.ip.startsWith('/') ? { path: host.ip, allowHalfOpen: true } : { host: host.ip, port: host.port, allowHalfOpen: true };
  const upstreamTls = cluster.upstreamTlsFor(host);
  if (!upstreamTls) return { socket: net.connect(target), secure: false };
  let options: tls.ConnectionOptions;
  try {
    options = upstreamTls.connectOptions();
  } catch (err) {
    // Its SDS secrets have not arrived: the attempt fails on the next tick, without dialing.
    const socket = new net.Socket();
    socket.destroy(err as Error);
    return { socket, secure: true };
  }
  // tls.connect honours allowHalfOpen though its option type leaves it out.
  const socket = tls.connect({ ...options, ...target } as tls.ConnectionOptions);
  upstreamTls.attach(socket);
  return { socket, secure: true };
}

/** Envoy's words for a failed connect (%UPSTREAM_TRANSPORT_FAILURE_REASON%). */
function describeConnectError(err: Error | undefined): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ECONNREFUSED') return 'delayed connect error: 111';
  if (code === 'EHOSTUNREACH') return 'delayed connect error: 113';
  if (code === 'ENETUNREACH') return 'delayed connect error: 101';
  if (code === 'ECONNRESET') return 'remote connection failure';
  if (code) return `${code}: ${err!.message}`;
  return err?.message ?? 'connection failure';
}
