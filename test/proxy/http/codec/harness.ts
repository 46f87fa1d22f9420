// A real TCP server whose connections are served by the downstream HTTP/1 codec, with
// a tiny in-test "connection manager" (answers by path), and a raw-socket client that
// asserts on exact bytes.
import net from 'node:net';
import { createHttp1Codec, type Http1Codec, type Http1CodecOptions, type Http1ServerStream } from '../../../../src/proxy/http/codec/http1_server.js';
import { HeaderMap } from '../../../../src/proxy/http/header_map.js';

export interface Exchange {
  stream: Http1ServerStream;
  body: Buffer[];
  ended: boolean;
  trailers?: HeaderMap;
  resets: string[];
  writable: number;
  /** Runs once when the request body has ended. */
  onEnd?: () => void;
}

export type Handler = (ex: Exchange) => void;

export interface CodecServer {
  port: number;
  codec: Http1Codec;
  exchanges: Exchange[];
  errors: Array<{ kind: string; detail: string }>;
  idleTimeouts: number;
  /** Order of codec events, for pipelining assertions. */
  log: string[];
  close(): Promise<void>;
}

export function headers(status: number, extra: Record<string, string> = {}): HeaderMap {
  return HeaderMap.from({ ':status': String(status), ...extra });
}

export function bodyText(ex: Exchange): string {
  return Buffer.concat(ex.body).toString();
}

/** Answers by :path once the request has ended. */
export const byPath: Handler = (ex) => {
  const s = ex.stream;
  const path = s.requestHeaders.get(':path') ?? '/';
  const route = path.split('?')[0]!;
  const respond = (): void => {
    switch (route) {
      case '/cl':
        s.writeHeaders(headers(200, { 'content-length': '5' }), false);
        s.writeData(Buffer.from('hello'), true);
        return;
      case '/chunked':
        s.writeHeaders(headers(200), false);
        s.writeData(Buffer.from('ab'), false);
        s.writeData(Buffer.from('cd'), true);
        return;
      case '/empty':
        s.writeHeaders(headers(200), true);
        return;
      case '/204':
      case '/304':
        s.writeHeaders(headers(Number(route.slice(1))), false);
        s.writeData(Buffer.from('not sent'), true);
        return;
      case '/close':
        s.closeConnectionAfterResponse();
        s.writeHeaders(headers(200, { 'content-length': '2' }), false);
        s.writeData(Buffer.from('ok'), true);
        return;
      case '/hop':
        s.writeHeaders(headers(200, { connection: 'keep-alive', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', upgrade: 'h2c', 'proxy-connection': 'x', 'x-kept': '1', 'content-length': '2' }), false);
        s.writeData(Buffer.from('ok'), true);
        return;
      case '/inject':
        s.writeHeaders(headers(200, { 'x-bad': 'a\r\nset-cookie: evil=1', 'content-length': '0' }), true);
        return;
      case '/trailers':
        s.writeHeaders(headers(200), false);
        s.writeData(Buffer.from('ab'), false);
        s.writeTrailers(HeaderMap.from({ 'x-checksum': '42' }));
        return;
      case '/ws': {
        // A raw echo protocol after a 101, on the socket taken from the codec.
        const socket = s.takeSocketForUpgrade!();
        socket.write('HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\n');
        socket.on('data', (d: Buffer) => socket.write(d));
        socket.resume();
        return;
      }
      case '/echo': {
        const body = Buffer.concat(ex.body);
        s.writeHeaders(headers(200, { 'content-length': String(body.length) }), false);
        s.writeData(body, true);
        return;
      }
      case '/headers': {
        const out = JSON.stringify({
          headers: [...s.requestHeaders],
          protocol: s.protocol,
          headersOnly: s.headersOnlyRequest,
          bytes: s.requestHeadersBytes,
          trailers: ex.trailers ? [...ex.trailers] : undefined,
          body: bodyText(ex),
        });
        s.writeHeaders(headers(200, { 'content-length': String(Buffer.byteLength(out)) }), false);
        s.writeData(Buffer.from(out), true);
        return;
      }
      default: {
        // /slow/<ms>/<tag>: answer after a delay, body = tag
        const m = /^\/slow\/(\d+)\/(\w+)$/.exec(route);
        if (m) {
          setTimeout(() => {
            s.writeHeaders(headers(200, { 'content-length': String(m[2]!.length) }), false);
            s.writeData(Buffer.from(m[2]!), true);
          }, Number(m[1]));
          return;
        }
        s.writeHeaders(headers(404, { 'content-length': '0' }), true);
      }
    }
  };
  if (ex.ended) respond();
  else ex.onEnd = respond;
};

export async function startCodecServer(handler: Handler = byPath, options: Partial<Http1CodecOptions> = {}): Promise<CodecServer> {
  const exchanges: Exchange[] = [];
  const errors: CodecServer['errors'] = [];
  const log: string[] = [];
  const sockets = new Set<net.Socket>();
  let idleTimeouts = 0;
  const codec = createHttp1Codec(
    { maxRequestHeadersKb: 60, idleTimeoutMs: 0, headersTimeoutMs: 0, acceptHttp10: true, scheme: () => 'http', ...options },
    {
      onStream(_socket, stream) {
        const ex: Exchange = { stream, body: [], ended: stream.headersOnlyRequest, resets: [], writable: 0 };
        exchanges.push(ex);
        log.push(`stream ${stream.requestHeaders.get(':path')}`);
        const end = (): void => {
          ex.ended = true;
          const fn = ex.onEnd;
          ex.onEnd = undefined;
          fn?.();
        };
        stream.events = {
          onData(chunk, endStream) {
            if (chunk.length) ex.body.push(chunk);
            if (endStream) end();
          },
          onTrailers(trailers) {
            ex.trailers = trailers;
            end();
          },
          onReset(reason) {
            ex.resets.push(reason);
          },
          onWritable() {
            ex.writable++;
          },
        };
        stream.start();
        handler(ex);
      },
      onProtocolError(socket, kind, detail) {
        errors.push({ kind, detail });
        log.push(`error ${kind}`);
        // What the connection manager answers.
        if (kind === 'header_timeout') socket.end('HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        else if (kind === 'headers_too_large') socket.end('HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        else socket.end('HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      },
      onIdleTimeout() {
        idleTimeouts++;
      },
    },
  );
  const server = net.createServer({ noDelay: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    codec.serve(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    codec,
    exchanges,
    errors,
    log,
    get idleTimeouts() {
      return idleTimeouts;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export interface RawClient {
  socket: net.Socket;
  write(data: string | Buffer): void;
  /** Everything received so far (latin1). */
  text(): string;
  /** Resolves once the received bytes satisfy `check` (or rejects after 3 s). */
  until(check: (text: string) => boolean, what?: string): Promise<string>;
  /** Resolves with everything received when the server closes the connection. */
  closed: Promise<string>;
  destroy(): void;
}

export async function rawClient(port: number): Promise<RawClient> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const chunks: Buffer[] = [];
  const waiters: Array<() => void> = [];
  socket.on('data', (c: Buffer) => {
    chunks.push(c);
    for (const w of waiters.splice(0)) w();
  });
  socket.on('error', () => undefined);
  const text = (): string => Buffer.concat(chunks).toString('latin1');
  const closed = new Promise<string>((resolve) => socket.once('close', () => resolve(text())));
  return {
    socket,
    write: (data) => socket.write(data),
    text,
    until: (check, what = 'expected bytes') =>
      new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(text())}`)), 3000);
        const test = (): void => {
          if (check(text())) {
            clearTimeout(timer);
            resolve(text());
          } else waiters.push(test);
        };
        void closed.then(() => {
          if (!check(text())) {
            clearTimeout(timer);
            reject(new Error(`connection closed waiting for ${what}; got ${JSON.stringify(text())}`));
          }
        });
        test();
      }),
    closed,
    destroy: () => socket.destroy(),
  };
}

/** Counts complete occurrences of `needle`. */
export function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function eventually(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if (check()) return;
    await sleep(20);
  }
  throw new Error(`never happened: ${what}`);
}
