// The request half of skein's HTTP/1.1 client codec: the head as Envoy's HTTP/1
// codec writes it. Parsing responses stays llhttp's (Http1Parser); serializing a
// request is a request line plus headers, so it is written here, where the framing
// decisions (content-length vs chunked) belong to the connection that sends it.
import type { Readable } from 'node:stream';
import type { UpstreamRequest } from '../types.js';

/** How the body goes on the wire after the head. */
export type BodyFraming = 'none' | 'buffer' | 'length' | 'chunked';

export interface EncodedHead {
  /** Latin-1 head text ending in the blank line. */
  head: string;
  framing: BodyFraming;
}

/** A header value or target that would split the message (CR, LF or NUL). */
const UNSAFE = /[\r\n\0]/;

/**
 * Methods whose requests normally carry no body (RFC 9110 §9.3): with no body they
 * get no `content-length: 0` either, as Envoy's codec does.
 */
const BODILESS = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

export class InvalidRequestError extends Error {}

/**
 * Encodes the head. `host` comes first (from `:authority`), pseudo-headers are
 * dropped, no `connection` header is added (keep-alive is implicit in HTTP/1.1) and
 * any `transfer-encoding` given is replaced by the framing chosen here.
 */
export function encodeRequestHead(request: UpstreamRequest): EncodedHead {
  const { method, path, body } = request;
  if (UNSAFE.test(path) || path.includes(' ')) throw new InvalidRequestError('invalid request target');
  const flat = request.headers.toHttp1Flat();
  let head = `${method} ${path} HTTP/1.1\r\n`;
  let hasLength = false;
  let hasUpgrade = false;
  let hasConnection = false;
  for (let i = 0; i < flat.length; i += 2) {
    const name = flat[i]!;
    const value = flat[i + 1]!;
    if (name.length === 17 && name === 'transfer-encoding') continue;
    if (name === 'content-length') hasLength = true;
    else if (name === 'upgrade') hasUpgrade = true;
    else if (name === 'connection') hasConnection = true;
    if (UNSAFE.test(value) || UNSAFE.test(name)) throw new InvalidRequestError(`invalid header ${JSON.stringify(name)}`);
    head += `${name}: ${value}\r\n`;
  }
  if (request.upgrade) {
    if (!hasUpgrade) head += `upgrade: ${request.upgrade}\r\n`;
    if (!hasConnection) head += 'connection: upgrade\r\n';
  }
  let framing: BodyFraming;
  if (body === null || (Buffer.isBuffer(body) && body.length === 0)) {
    framing = 'none';
    if (!hasLength && !BODILESS.has(method)) head += 'content-length: 0\r\n';
  } else if (Buffer.isBuffer(body)) {
    framing = 'buffer';
    if (!hasLength) head += `content-length: ${body.length}\r\n`;
  } else if (hasLength) {
    framing = 'length';
  } else {
    framing = 'chunked';
    head += 'transfer-encoding: chunked\r\n';
  }
  return { head: head + '\r\n', framing };
}

/** A request body stream (as opposed to a Buffer or nothing). */
export function isStreamBody(body: UpstreamRequest['body']): body is Readable {
  return body !== null && !Buffer.isBuffer(body);
}

/** The chunk-size line of one chunk of a chunked body. */
export function chunkHeader(length: number): string {
  return `${length.toString(16)}\r\n`;
}

export const LAST_CHUNK = '0\r\n\r\n';
