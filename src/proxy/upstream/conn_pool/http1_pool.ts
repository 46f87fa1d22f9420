// HTTP/1.1 keep-alive connections to one upstream host, on undici's Pool (llhttp
// parsing, pipelining off). skein adds what Envoy users expect on top: cluster and
// host connection stats, connect timeouts reported as connection failures, reset
// reasons in Envoy's words, and back-pressure both ways.
import net from 'node:net';
import { Pool, buildConnector, type Dispatcher } from 'undici';
import { HeaderMap } from '../../http/header_map.js';
import type { ClusterInfo } from '../cluster_info.js';
import type { Host } from '../host.js';
import type { ConnectionPool, ResetReason, UpstreamCallbacks, UpstreamRequest, UpstreamStream } from './types.js';

const CONNECT_FAILURE_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);

export interface TlsConnectOptions {
  /** Extra options for tls.connect (issue 3: upstream TLS); absent → plaintext. */
  tls?: Record<string, unknown>;
}

function latin1(b: Buffer | string): string {
  return typeof b === 'string' ? b : b.toString('latin1');
}

function headerMapFromRaw(raw: Array<Buffer | string>, status?: number): HeaderMap {
  const map = new HeaderMap();
  if (status !== undefined) map.add(':status', String(status));
  for (let i = 0; i < raw.length; i += 2) map.add(latin1(raw[i]!).toLowerCase(), latin1(raw[i + 1]!));
  return map;
}

export class Http1ConnectionPool implements ConnectionPool {
  private readonly pool: Pool;
  activeStreams = 0;
  private readonly connectedAt = new WeakMap<object, number>();

  constructor(
    private readonly host: Host,
    private readonly cluster: ClusterInfo,
    options: TlsConnectOptions = {},
  ) {
    const stats = cluster.stats;
    const baseConnect = buildConnector({ timeout: cluster.connectTimeoutMs, ...(options.tls ?? {}) } as buildConnector.BuildOptions);
    const origin = `${options.tls ? 'https' : 'http'}://${host.address}`;
    this.pool = new Pool(origin, {
      connections: cluster.limits.maxConnections,
      pipelining: 1,
      keepAliveTimeout: Math.min(cluster.idleTimeoutMs, 60_000),
      keepAliveMaxTimeout: cluster.idleTimeoutMs,
      headersTimeout: 0,
      bodyTimeout: 0,
      maxRequestsPerClient: cluster.maxRequestsPerConnection || undefined,
      strictContentLength: false,
      maxResponseSize: -1,
      maxHeaderSize: 96 * 1024,
      // Our own connector so connect attempts, failures and times are counted like Envoy.
      connect: (opts, callback) => {
        const started = performance.now();
        stats.upstream_cx_total.inc();
        stats.upstream_cx_http1_total.inc();
        host.counters.cx_total++;
        baseConnect({ ...opts, hostname: host.ip, port: String(host.port) }, (err, socket) => {
          if (err) {
            stats.upstream_cx_connect_fail.inc();
            host.counters.cx_connect_fail++;
            if ((err as NodeJS.ErrnoException).code === 'UND_ERR_CONNECT_TIMEOUT') stats.upstream_cx_connect_timeout.inc();
            callback(err, null);
            return;
          }
          stats.upstream_cx_connect_ms.record(performance.now() - started);
          if (socket instanceof net.Socket) socket.setNoDelay(true);
          this.connectedAt.set(socket!, performance.now());
          callback(null, socket!);
        });
      },
    });
    this.pool.on('connect', () => {
      stats.upstream_cx_active.inc();
      host.activeConnections++;
    });
    this.pool.on('disconnect', (_origin, _targets, err) => {
      stats.upstream_cx_active.dec();
      host.activeConnections--;
      stats.upstream_cx_destroy.inc();
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      if (code === 'UND_ERR_SOCKET' || code === 'ECONNRESET') stats.upstream_cx_destroy_remote.inc();
      else stats.upstream_cx_destroy_local.inc();
      if (code === 'UND_ERR_INFO' && /idle|keep-alive|keepalive/i.test(String((err as Error).message))) stats.upstream_cx_idle_timeout.inc();
    });
  }

  newStream(request: UpstreamRequest, callbacks: UpstreamCallbacks): UpstreamStream {
    const cluster = this.cluster;
    const host = this.host;
    let abort: ((reason?: Error) => void) | undefined;
    let resumeFn: (() => void) | undefined;
    let cancelled = false;
    let sawHeaders = false;
    let attached = false;
    let done = false;
    this.activeStreams++;
    host.activeRequests++;
    cluster.stats.upstream_rq_active.inc();
    const finish = () => {
      if (done) return;
      done = true;
      this.activeStreams--;
      host.activeRequests--;
      cluster.stats.upstream_rq_active.dec();
    };
    const handler = {
      onConnect: (abortFn: (reason?: Error) => void) => {
        abort = abortFn;
        if (cancelled) {
          abortFn();
          return;
        }
        if (!attached) {
          attached = true;
          cluster.stats.upstream_rq_total.inc();
          host.counters.rq_total++;
          callbacks.onPoolReady?.({});
        }
      },
      onHeaders: (status: number, raw: Array<Buffer | string>, resume: () => void) => {
        if (cancelled) return true;
        if (status < 200 && status !== 101) return true; // 100-continue etc. are not forwarded
        sawHeaders = true;
        resumeFn = resume;
        return callbacks.onHeaders(status, headerMapFromRaw(raw, status));
      },
      onData: (chunk: Buffer) => {
        if (cancelled) return true;
        return callbacks.onData(chunk);
      },
      onComplete: (trailers: Array<Buffer | string> | null) => {
        finish();
        if (cancelled) return;
        callbacks.onComplete(trailers && trailers.length ? headerMapFromRaw(trailers) : undefined);
      },
      onError: (err: Error) => {
        finish();
        if (cancelled) return;
        const code = (err as NodeJS.ErrnoException).code ?? '';
        let reason: ResetReason;
        if (!attached || CONNECT_FAILURE_CODES.has(code)) reason = 'connection_failure';
        else if (code === 'UND_ERR_ABORTED') reason = 'local_reset';
        else if (code === 'HPE_INVALID_CONSTANT' || code.startsWith('HPE_') || code === 'UND_ERR_INFO') reason = 'protocol_error';
        else reason = 'connection_termination';
        if (reason === 'protocol_error') cluster.stats.upstream_cx_protocol_error.inc();
        if (sawHeaders) cluster.stats.upstream_rq_rx_reset.inc();
        callbacks.onReset(reason, describeError(err));
      },
      onUpgrade: (status: number, raw: Array<Buffer | string>, socket: import('node:stream').Duplex) => {
        finish();
        if (cancelled) {
          socket.destroy();
          return;
        }
        callbacks.onUpgrade?.(status, headerMapFromRaw(raw, status), socket);
      },
    };
    const headers = request.headers.toHttp1Flat();
    this.pool.dispatch(
      {
        path: request.path,
        method: request.method,
        headers,
        body: request.body,
        upgrade: request.upgrade ?? null,
        idempotent: false,
        blocking: true,
      } as Dispatcher.DispatchOptions,
      handler as unknown as Dispatcher.DispatchHandler,
    );
    return {
      cancel: () => {
        if (cancelled || done) return;
        cancelled = true;
        cluster.stats.upstream_rq_tx_reset.inc();
        finish();
        abort?.(Object.assign(new Error('request cancelled by proxy'), { code: 'UND_ERR_ABORTED' }));
      },
      resume: () => resumeFn?.(),
    };
  }

  async drain(): Promise<void> {
    await this.pool.close();
  }

  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}

function describeError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'delayed connect error: 111';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return 'connect timeout';
  return code ? `${code}: ${err.message}` : err.message;
}
