// Shared pieces for the listener filter tests: real ClientHellos captured from node:tls,
// a builder for synthetic ones (to hit exact fields), re-recording a ClientHello into
// several TLS records, and accepted socket pairs.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { repoRoot } from '../../../helpers/paths.js';

const fixtures = path.join(repoRoot, 'test', 'proxy', 'listener', 'filters', 'fixtures');
export const TEST_CERT = fs.readFileSync(path.join(fixtures, 'test-cert.pem'));
export const TEST_KEY = fs.readFileSync(path.join(fixtures, 'test-key.pem'));

/**
 * Connects a node:tls client to a plain TCP server and returns the first TLS record it
 * sends (its ClientHello: node's fit in one record). The length is read from the record
 * header here, independently of the parser under test.
 */
export async function captureClientHello(options: tls.ConnectionOptions): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      server.once('connection', (socket) => {
        let data = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          data = Buffer.concat([data, chunk]);
          if (data.length >= 5 && data.length >= 5 + data.readUInt16BE(3)) {
            resolve(data.subarray(0, 5 + data.readUInt16BE(3)));
            socket.destroy();
          }
        });
      });
      const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
      client.on('error', () => {});
      setTimeout(() => reject(new Error('no ClientHello captured')), 5000).unref();
    });
  } finally {
    server.close();
  }
}

/** Splits a ClientHello's handshake bytes into records of the given payload sizes (last takes the rest). */
export function reRecord(hello: Buffer, sizes: number[]): Buffer {
  const version = hello.subarray(1, 3);
  const payload = hello.subarray(5, 5 + hello.readUInt16BE(3));
  const out: Buffer[] = [];
  let offset = 0;
  for (const size of [...sizes, Infinity]) {
    if (offset >= payload.length) break;
    const part = payload.subarray(offset, Math.min(payload.length, offset + size));
    const header = Buffer.from([22, version[0]!, version[1]!, part.length >> 8, part.length & 0xff]);
    out.push(header, part);
    offset += part.length;
  }
  return Buffer.concat(out);
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const vec8 = (b: Buffer) => Buffer.concat([Buffer.from([b.length]), b]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);

export function extension(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), vec16(data)]);
}

export function sniExtension(...names: string[]): Buffer {
  return extension(0, vec16(Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([0]), vec16(Buffer.from(n, 'latin1'))])))));
}

export function alpnExtension(...protocols: string[]): Buffer {
  return extension(16, vec16(Buffer.concat(protocols.map((p) => vec8(Buffer.from(p, 'latin1'))))));
}

/** A synthetic ClientHello record: legacy_version 0x0303 unless given. */
export function buildClientHello(opts: { ciphers?: number[]; extensions?: Buffer[]; version?: number; noExtensionsBlock?: boolean }): Buffer {
  const body = Buffer.concat([
    u16(opts.version ?? 0x0303),
    Buffer.alloc(32, 7),
    vec8(Buffer.alloc(32, 1)),
    vec16(Buffer.concat((opts.ciphers ?? [0x1301, 0x1302]).map(u16))),
    vec8(Buffer.from([0])),
    opts.noExtensionsBlock ? Buffer.alloc(0) : vec16(Buffer.concat(opts.extensions ?? [])),
  ]);
  const message = Buffer.concat([Buffer.from([1, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([22, 3, 1]), u16(message.length), message]);
}

/** A connected pair: the server's accepted socket and the client's socket. */
export async function socketPair(): Promise<{ accepted: net.Socket; client: net.Socket; close: () => void }> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const acceptedP = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const accepted = await acceptedP;
  server.close();
  return {
    accepted,
    client,
    close: () => {
      accepted.destroy();
      client.destroy();
    },
  };
}

/** Everything a socket delivers until its peer ends. */
export function readAll(socket: net.Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve(Buffer.concat(chunks)));
    socket.once('error', reject);
  });
}

/** Writes `data` in pieces with a pause between them, so the server sees separate reads. */
export async function writeInPieces(socket: net.Socket, data: Buffer, cuts: number[], end = true): Promise<void> {
  let offset = 0;
  for (const cut of [...cuts, data.length]) {
    if (cut <= offset) continue;
    socket.write(data.subarray(offset, cut));
    offset = cut;
    await new Promise((r) => setTimeout(r, 15));
  }
  if (end) socket.end();
}
