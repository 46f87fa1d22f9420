// Shared pieces of the TLS tests: config parsing through Envoy's schema, a TCP
// server whose accepted sockets go through a transport socket factory's wrap(),
// and a node:tls client that reports what it saw.
import net from 'node:net';
import tls from 'node:tls';
import fs from 'node:fs';
import type { envoy } from '../../../src/api/envoy-types.generated.js';
import { readMessageFromJson } from '../../../src/api/json/from-json.js';
import type { ConnectionInfo } from '../../../src/proxy/http/connection_info.js';
import type { TransportSocketFactory } from '../../../src/proxy/listener/transport_socket.js';
import { StatsStore } from '../../../src/proxy/stats/store.js';
import { DownstreamTlsSocketFactory } from '../../../src/proxy/tls/downstream.js';
import { SecretManager } from '../../../src/proxy/tls/secret_manager.js';
import { logRegistry } from '../../../src/common/logger.js';

// Rotation tests write files in steps; the warnings about half-written files are expected.
if (!process.env.SKEIN_TEST_LOGS) for (const c of ['secret', 'file', 'connection']) logRegistry.setLevel(c, 'off');

export type DownstreamTlsContext = envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext;

export function downstreamContext(json: unknown): DownstreamTlsContext {
  return readMessageFromJson<DownstreamTlsContext>('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', json).message;
}

export function cluster(json: unknown): envoy.config.cluster.v3.Cluster {
  return readMessageFromJson<envoy.config.cluster.v3.Cluster>('envoy.config.cluster.v3.Cluster', json).message;
}

export const file = (filename: string) => ({ filename });
export const inline = (path: string) => ({ inline_string: fs.readFileSync(path, 'utf8') });

export interface Downstream {
  factory: DownstreamTlsSocketFactory;
  store: StatsStore;
  secrets: SecretManager;
  counter(name: string): number;
}

export function makeDownstream(json: unknown, secrets = new SecretManager()): Downstream {
  const store = new StatsStore();
  const factory = new DownstreamTlsSocketFactory(downstreamContext(json), 'transport_socket.typed_config', {
    stats: store.scope('listener.test.ssl.'),
    secrets,
  });
  return { factory, store, secrets, counter: (name) => store.counters.get(`listener.test.ssl.${name}`)?.value ?? 0 };
}

export interface TlsServer {
  port: number;
  /** TLS facts of every connection wrap() accepted, in order. */
  accepted: Array<NonNullable<ConnectionInfo['tls']>>;
  /** Messages of every wrap() that failed. */
  refused: string[];
  close(): Promise<void>;
}

/**
 * Accepts TCP, runs wrap(), and answers each accepted connection with a small
 * HTTP/1.1 response naming the negotiated facts (so curl works against it too).
 */
export async function serveTls(factory: TransportSocketFactory): Promise<TlsServer> {
  const accepted: TlsServer['accepted'] = [];
  const refused: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    factory.wrap(socket).then(
      ({ stream, tls: facts }) => {
        accepted.push(facts!);
        const body = JSON.stringify(facts);
        stream.on('data', () => undefined);
        stream.end(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`);
      },
      (err: Error) => refused.push(err.message),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    refused,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ClientResult {
  ok: boolean;
  /** The response body the server wrote (JSON of its TLS facts), when it answered. */
  body?: string;
  error?: string;
  alpn?: string | false;
  protocol?: string | null;
  serverSerial?: string;
  serverSans?: string;
  sessionReused?: boolean;
  session?: Buffer;
}

/** Connects, waits for the whole answer (or the failure), and reports. */
export function connectTls(port: number, options: tls.ConnectionOptions): Promise<ClientResult> {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ...options });
    const result: ClientResult = { ok: false };
    let body = '';
    socket.on('secureConnect', () => {
      const cert = socket.getPeerX509Certificate();
      Object.assign(result, {
        alpn: socket.alpnProtocol,
        protocol: socket.getProtocol(),
        serverSerial: cert?.serialNumber.toLowerCase(),
        serverSans: cert?.subjectAltName,
        sessionReused: socket.isSessionReused(),
      });
      socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
    });
    socket.on('session', (s) => (result.session = s));
    socket.on('data', (d) => (body += d.toString()));
    socket.on('error', (err) => (result.error ??= (err as NodeJS.ErrnoException).code ?? err.message));
    socket.on('close', () => {
      const at = body.indexOf('\r\n\r\n');
      if (at >= 0) {
        result.ok = true;
        result.body = body.slice(at + 4);
      }
      resolve(result);
    });
  });
}

/** Polls `check` until it returns a value (file watches are asynchronous). */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 30));
  }
}
