// A bound listener: accepts connections, runs listener filters, picks a filter chain,
// sets up the transport socket and hands the connection to the network filters.
// Its config can be replaced without rebinding: new connections use the newest
// generation; older generations drain their connections.
import net from 'node:net';
import { logger } from '../../common/logger.js';
import { normalizeIp, type ConnectionInfo } from '../http/connection_info.js';
import { StreamInfo } from '../http/stream_info.js';
import type { DownstreamConnection } from '../network/network_filter.js';
import { declareStats, type StatsOf } from '../stats/declare.js';
import type { StatsStore } from '../stats/store.js';
import { durationMs } from '../../api/json/wkt.js';
import { selectFilterChain, type ConnectionFacts } from './filter_chain_match.js';
import { stopPeeking } from './filters/peek.js';
import { listenerStatPrefix, type CompiledFilterChain, type ListenerGeneration } from './listener_config.js';

const log = logger('conn_handler');

export const LISTENER_STATS = declareStats({
  counters: [
    'downstream_cx_destroy', 'downstream_cx_overflow', 'downstream_cx_overload_reject', 'downstream_cx_total',
    'downstream_cx_transport_socket_connect_timeout', 'downstream_global_cx_overflow', 'downstream_listener_filter_error',
    'downstream_listener_filter_remote_close', 'downstream_pre_cx_timeout', 'extension_config_missing',
    'network_extension_config_missing', 'no_filter_chain_match',
  ],
  gauges: ['downstream_cx_active', 'downstream_pre_cx_active'],
  histograms: ['downstream_cx_length_ms'],
});

export type ListenerStats = StatsOf<typeof LISTENER_STATS>;

let nextConnectionId = 1;

class Connection implements DownstreamConnection {
  private readonly closeHandlers: Array<() => void> = [];
  readonly streamInfo: StreamInfo;

  constructor(
    readonly socket: import('node:stream').Duplex,
    readonly info: ConnectionInfo,
  ) {
    this.streamInfo = new StreamInfo(`${info.localAddress}:${info.localPort}`, `${info.remoteAddress}:${info.remotePort}`);
    socket.once('close', () => {
      for (const fn of this.closeHandlers) fn();
    });
  }

  close(now = false): void {
    if (now) this.socket.destroy();
    else this.socket.end();
  }

  onClose(fn: () => void): void {
    this.closeHandlers.push(fn);
  }
}

export class ActiveListener {
  readonly name: string;
  readonly statPrefix: string;
  readonly stats: ListenerStats;
  private server?: net.Server;
  private readonly sockets = new Map<net.Socket, ListenerGeneration>();
  private current: ListenerGeneration;
  boundAddress?: { address: string; port: number };

  constructor(
    generation: ListenerGeneration,
    stats: StatsStore,
    private readonly bindToPort = true,
    /** --pod-ip: where a wildcard (0.0.0.0 / ::) listener really binds. */
    private readonly wildcardBindAddress?: string,
  ) {
    this.current = generation;
    this.name = generation.config.name ?? '';
    this.statPrefix = listenerStatPrefix(generation.config);
    this.stats = LISTENER_STATS.create(stats.scope(`listener.${this.statPrefix}.`));
  }

  get generation(): ListenerGeneration {
    return this.current;
  }

  get config() {
    return this.current.config;
  }

  /** Binds the socket. Rejects with the OS error (EADDRINUSE, EACCES) if it cannot. */
  async bind(): Promise<void> {
    if (!this.bindToPort) return;
    const sock = this.current.config.address?.socket_address;
    if (!sock) throw new Error(`listener ${this.name}: only socket_address listeners are supported`);
    const server = net.createServer({ noDelay: true, keepAlive: false });
    server.on('connection', (socket) => this.onConnection(socket));
    server.on('error', (err) => log.error(`listener ${this.name}: ${err.message}`));
    const configured = sock.address ?? '0.0.0.0';
    const wildcard = configured === '0.0.0.0' || configured === '::';
    const host = wildcard && this.wildcardBindAddress ? this.wildcardBindAddress : configured;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once('error', onError);
      server.listen({ host, port: sock.port_value ?? 0, backlog: 1024, exclusive: false, ipv6Only: sock.ipv4_compat === false && host === '::' }, () => {
        server.off('error', onError);
        resolve();
      });
    });
    const addr = server.address() as net.AddressInfo;
    this.boundAddress = { address: addr.address, port: addr.port };
    this.server = server;
  }

  /**
   * Replaces the config: new connections get `generation`; existing ones drain on
   * their old generation (HTTP/1 `connection: close` after the current response,
   * HTTP/2 GOAWAY) and whatever is still open after `drainMs` is closed.
   */
  update(generation: ListenerGeneration, drainMs = 0): void {
    const old = this.current;
    this.current = generation;
    old.startDraining(false);
    old.close();
    const closeOld = () => {
      for (const [socket, g] of this.sockets) if (g === old) socket.destroy();
    };
    if (drainMs <= 0) closeOld();
    else setTimeout(closeOld, drainMs).unref();
  }

  /** Accepts a socket handed over by another owner (e.g. the original-destination hop). */
  onConnection(socket: net.Socket): void {
    const generation = this.current;
    this.stats.downstream_cx_total.inc();
    this.stats.downstream_cx_active.inc();
    this.sockets.set(socket, generation);
    const started = performance.now();
    socket.once('close', () => {
      this.sockets.delete(socket);
      this.stats.downstream_cx_active.dec();
      this.stats.downstream_cx_destroy.inc();
      this.stats.downstream_cx_length_ms.record(performance.now() - started);
    });
    socket.on('error', (err) => log.debug(`connection error: ${err.message}`));
    void this.setUpConnection(socket, generation);
  }

  private async setUpConnection(socket: net.Socket, generation: ListenerGeneration): Promise<void> {
    const facts: ConnectionFacts = {
      localIp: normalizeIp(socket.localAddress),
      localPort: socket.localPort ?? 0,
      remoteIp: normalizeIp(socket.remoteAddress),
      remotePort: socket.remotePort ?? 0,
    };
    try {
      if (generation.listenerFilters.length && !(await this.runListenerFilters(socket, generation, facts))) {
        socket.destroy();
        return;
      }
      const chain = selectFilterChain(generation.chains, facts) ?? generation.defaultChain;
      if (!chain) {
        this.stats.no_filter_chain_match.inc();
        log.debug(`closing connection from ${facts.remoteIp}:${facts.remotePort}: no matching filter chain found`);
        socket.destroy();
        return;
      }
      await this.runChain(socket, chain, facts);
    } catch (err) {
      log.debug(`connection setup failed: ${(err as Error).message}`);
      socket.destroy();
    }
  }

  /**
   * Runs the listener filters in order under listener_filters_timeout (15 s by default, 0
   * = none). On timeout Envoy counts downstream_pre_cx_timeout and either closes the
   * connection or, with continue_on_listener_filters_timeout, skips the remaining filters
   * and matches a chain with what is known; a filter peeking at that moment hands its
   * bytes back to the socket first (stopPeeking), so nothing read is lost.
   */
  private async runListenerFilters(socket: net.Socket, generation: ListenerGeneration, facts: ConnectionFacts): Promise<boolean> {
    const config = generation.config;
    const timeoutMs = durationMs(config.listener_filters_timeout, 15_000);
    const continueOnTimeout = config.continue_on_listener_filters_timeout ?? false;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      if (timeoutMs <= 0) return;
      timer = setTimeout(() => {
        this.stats.downstream_pre_cx_timeout.inc();
        log.debug(`listener filter times out after ${timeoutMs} ms`);
        if (continueOnTimeout) stopPeeking(socket);
        else socket.destroy();
        resolve('timeout');
      }, timeoutMs);
    });
    this.stats.downstream_pre_cx_active.inc();
    try {
      for (const make of generation.listenerFilters) {
        const result = await Promise.race([make().onAccept(socket, facts), timedOut]);
        if (result === 'timeout') return continueOnTimeout && !socket.destroyed;
        if (!result) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
      this.stats.downstream_pre_cx_active.dec();
    }
  }

  private async runChain(socket: net.Socket, chain: CompiledFilterChain, facts: ConnectionFacts): Promise<void> {
    const secured = await chain.transport.wrap(socket);
    const info: ConnectionInfo = {
      id: nextConnectionId++,
      localAddress: facts.localIp,
      localPort: facts.localPort,
      remoteAddress: facts.remoteIp,
      remotePort: facts.remotePort,
      tls: secured.tls,
      scheme: chain.transport.secure ? 'https' : 'http',
    };
    const connection = new Connection(secured.stream, info);
    const filters = chain.filters.map((make) => make());
    for (const f of filters) {
      if (f.onNewConnection && !f.onNewConnection(connection)) return;
    }
    const terminal = filters[filters.length - 1];
    terminal?.handleConnection?.(connection);
  }

  connectionCount(): number {
    return this.sockets.size;
  }

  /**
   * Stop accepting; existing connections continue and drain. `closeIdleNow` (server
   * shutdown, /drain_listeners) also closes idle HTTP/1 connections at once; a
   * listener being replaced or removed leaves them to the end of its drain time,
   * since closing a keep-alive connection races with the client's next request.
   */
  stopListening(closeIdleNow = true): void {
    const server = this.server;
    this.server = undefined;
    this.current.startDraining(closeIdleNow);
    // server.close() stops accepting at once; its callback would wait for every
    // open connection, which is what draining handles separately.
    server?.close();
  }

  /** The listener is gone for good: stop accepting, drain, close what is left after `drainMs`. */
  retire(drainMs: number): void {
    this.stopListening(false);
    this.current.close();
    if (this.sockets.size === 0) return;
    if (drainMs <= 0) this.closeConnections();
    else setTimeout(() => this.closeConnections(), drainMs).unref();
  }

  /** Stops accepting and releases the config now (shutdown). */
  close(): void {
    this.stopListening();
    this.current.close();
  }

  /** Close every connection now (end of drain). */
  closeConnections(): void {
    for (const socket of this.sockets.keys()) socket.destroy();
  }
}
