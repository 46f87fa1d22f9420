// HTTP/2 downstream codec on node:http2 (nghttp2). One Http2Server per connection
// manager config takes sockets the listener already accepted (plaintext h2c, or TLS
// with ALPN h2) and turns each stream into a ServerStream, so the connection manager
// runs the same filter chain for HTTP/1.1 and HTTP/2. Flow control is nghttp2's:
// write() returning false pauses the upstream until 'drain'.
import type * as http2 from 'node:http2';
import type { Duplex } from 'node:stream';
import type { envoy } from '../../../api/envoy-types.generated.js';
import { unwrap } from '../../../api/json/wkt.js';
import { logger } from '../../../common/logger.js';
import { lazyRequire } from '../../common/lazy_require.js';
import { declareStats, type StatsOf } from '../../stats/declare.js';
import type { StatsScope } from '../../stats/store.js';
import { HeaderMap } from '../header_map.js';
import type { HttpProtocol, ServerStream, ServerStreamEvents } from './types.js';

const log = logger('http2');
// node:http2 loads when the first codec is built (a listener that sees HTTP/2), not
// at start-up: see lazy_require.ts. The wire constants are RFC 9113's, so they need
// no module: END_STREAM is flag 0x1 (§6.1); NO_ERROR 0x0, INTERNAL_ERROR 0x2 (§7).
const loadHttp2 = lazyRequire<typeof http2>('node:http2');
const NGHTTP2_FLAG_END_STREAM = 0x1;
const NGHTTP2_NO_ERROR = 0x0;
const NGHTTP2_INTERNAL_ERROR = 0x2;
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

/** http2.* codec stats (Envoy's names), per connection manager. */
export const HTTP2_CODEC_STATS = declareStats({
  counters: ['goaway_sent', 'header_overflow', 'rx_messaging_error', 'rx_reset', 'trailers', 'tx_reset'],
  gauges: ['streams_active'],
  histograms: [],
});

export type Http2CodecStats = StatsOf<typeof HTTP2_CODEC_STATS>;

export interface Http2CodecOptions {
  protocolOptions?: envoy.config.core.v3.Http2ProtocolOptions;
  maxRequestHeadersKb: number;
  stats: StatsScope;
}

export interface Http2CodecCallbacks {
  /** `connection` is the session: the key the connection manager tracks state by. */
  onStream(connection: object, stream: ServerStream): void;
}

export class Http2Codec {
  private readonly server: http2.Http2Server;
  private lastSession?: http2.ServerHttp2Session;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  readonly stats: Http2CodecStats;
  private readonly connectionWindow?: number;

  constructor(options: Http2CodecOptions, callbacks: Http2CodecCallbacks) {
    const p = options.protocolOptions ?? {};
    this.stats = HTTP2_CODEC_STATS.create(options.stats);
    this.connectionWindow = p.initial_connection_window_size?.value;
    this.server = loadHttp2().createServer({
      settings: {
        maxConcurrentStreams: unwrap(p.max_concurrent_streams, 2_147_483_647),
        initialWindowSize: unwrap(p.initial_stream_window_size, 268_435_456),
        headerTableSize: unwrap(p.hpack_table_size, 4096),
        maxHeaderListSize: options.maxRequestHeadersKb * 1024,
        enablePush: false,
      },
      // Headers beyond Envoy's default count are refused by the connection manager
      // itself (431), not silently dropped here.
      maxHeaderListPairs: 100_000,
    });
    this.server.on('session', (session) => {
      this.lastSession = session;
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', (err) => log.debug(`downstream session error: ${err.message}`));
      if (this.connectionWindow) session.on('connect', () => session.setLocalWindowSize(this.connectionWindow!));
    });
    this.server.on('stream', (stream: http2.ServerHttp2Stream, _headers: http2.IncomingHttpHeaders, flags: number, rawHeaders: string[]) => {
      const session = stream.session;
      if (!session) return;
      this.stats.streams_active.inc();
      stream.once('close', () => {
        this.stats.streams_active.dec();
        if (stream.rstCode && stream.rstCode !== NGHTTP2_NO_ERROR && !(stream as { sentRst?: boolean }).sentRst) this.stats.rx_reset.inc();
      });
      callbacks.onStream(session, new Http2ServerStream(stream, rawHeaders as unknown as string[], (flags & NGHTTP2_FLAG_END_STREAM) !== 0, this.stats));
    });
  }

  /** Takes a connection; returns its session (the connection manager's key for it). */
  serve(socket: Duplex): object | undefined {
    this.lastSession = undefined;
    this.server.emit('connection', socket);
    return this.lastSession;
  }

  /** Draining: GOAWAY to every connection; in-flight streams finish. */
  closeIdle(): void {
    for (const s of this.sessions) this.goaway(s);
  }

  goaway(session: http2.ServerHttp2Session): void {
    if (session.closed || session.destroyed) return;
    this.stats.goaway_sent.inc();
    // An explicit GOAWAY first: close() alone may tear an idle session down without one.
    session.goaway(NGHTTP2_NO_ERROR);
    session.close();
  }
}

function headerMapFromRaw(raw: string[]): { headers: HeaderMap; bytes: number } {
  const headers = new HeaderMap();
  let bytes = 0;
  let host: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const value = raw[i + 1]!;
    bytes += name.length + value.length;
    if (name === 'host') host ??= value;
    else headers.add(name, value);
  }
  // HTTP/2 carries the authority in :authority; a Host header stands in when it is absent.
  if (host !== undefined && !headers.has(':authority')) headers.add(':authority', host);
  return { headers, bytes };
}

function toResponseHeaders(headers: HeaderMap): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ':status': Number(headers.get(':status') ?? 200) };
  headers.forEach((name, value) => {
    if (name.charCodeAt(0) === 58 || CONNECTION_HEADERS.has(name)) return;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
  });
  return out;
}

function toTrailers(trailers: HeaderMap): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = {};
  trailers.forEach((name, value) => {
    if (name.charCodeAt(0) === 58 || CONNECTION_HEADERS.has(name)) return;
    const prev = out[name];
    out[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [String(prev), value];
  });
  return out;
}

export class Http2ServerStream implements ServerStream {
  readonly protocol: HttpProtocol = 'HTTP/2';
  readonly requestHeaders: HeaderMap;
  readonly requestHeadersBytes: number;
  events?: ServerStreamEvents;
  private trailers?: http2.OutgoingHttpHeaders;
  private finished = false;
  private closeAfter = false;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    rawHeaders: string[],
    readonly headersOnlyRequest: boolean,
    private readonly stats: Http2CodecStats,
  ) {
    const { headers, bytes } = headerMapFromRaw(rawHeaders);
    this.requestHeaders = headers;
    this.requestHeadersBytes = bytes;
    // nghttp2 sends the final (possibly empty) DATA or trailers when asked.
    stream.on('wantTrailers', () => {
      if (this.trailers && Object.keys(this.trailers).length) this.stats.trailers.inc();
      stream.sendTrailers(this.trailers ?? {});
    });
  }

  get headersWritten(): boolean {
    return this.stream.headersSent;
  }

  start(): void {
    const events = this.events!;
    const stream = this.stream;
    let sawTrailers = false;
    if (!this.headersOnlyRequest) {
      stream.on('data', (chunk: Buffer) => events.onData(chunk, false));
      stream.on('trailers', (headers, _flags) => {
        sawTrailers = true;
        const map = new HeaderMap();
        for (const [k, v] of Object.entries(headers)) {
          if (v === undefined) continue;
          for (const item of Array.isArray(v) ? v : [v]) map.add(k, String(item));
        }
        events.onTrailers(map);
      });
      stream.on('end', () => {
        if (!sawTrailers) events.onData(Buffer.alloc(0), true);
      });
    } else {
      stream.resume();
    }
    stream.on('drain', () => events.onWritable());
    stream.on('close', () => {
      if (!this.finished) events.onReset(stream.rstCode === NGHTTP2_NO_ERROR ? 'connection_termination' : 'remote_reset');
      else if (this.closeAfter) this.goawayLater();
    });
    stream.on('error', (err) => log.debug(`stream error: ${err.message}`));
  }

  pauseReading(): void {
    this.stream.pause();
  }

  resumeReading(): void {
    this.stream.resume();
  }

  writeHeaders(headers: HeaderMap, endStream: boolean): void {
    if (this.stream.headersSent || this.stream.destroyed || this.stream.closed) return;
    try {
      this.stream.respond(toResponseHeaders(headers), { endStream, waitForTrailers: !endStream });
    } catch (err) {
      log.debug(`cannot send response headers: ${(err as Error).message}`);
      this.reset();
      return;
    }
    if (endStream) this.finished = true;
  }

  writeData(chunk: Buffer, endStream: boolean): boolean {
    if (this.finished || this.stream.destroyed) return true;
    if (endStream) {
      this.finished = true;
      this.stream.end(chunk.length ? chunk : undefined);
      return true;
    }
    if (!chunk.length) return true;
    return this.stream.write(chunk);
  }

  writeTrailers(trailers: HeaderMap): void {
    if (this.finished || this.stream.destroyed) return;
    this.finished = true;
    this.trailers = toTrailers(trailers);
    this.stream.end();
  }

  reset(): void {
    this.finished = true;
    if (!this.stream.destroyed && !this.stream.closed) {
      this.stats.tx_reset.inc();
      (this.stream as { sentRst?: boolean }).sentRst = true;
      this.stream.close(NGHTTP2_INTERNAL_ERROR);
    }
  }

  /** HTTP/2 keeps the connection; "close after this response" becomes a graceful GOAWAY. */
  closeConnectionAfterResponse(): void {
    this.closeAfter = true;
  }

  private goawayLater(): void {
    const session = this.stream.session;
    if (session && !session.closed && !session.destroyed) {
      this.stats.goaway_sent.inc();
      session.goaway(NGHTTP2_NO_ERROR);
      session.close();
    }
  }
}
