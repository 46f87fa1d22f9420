// The downstream HTTP/1 codec's two header translations: a parsed request head
// (llhttp's flat raw list) into the HeaderMap the connection manager routes on, and
// a response HeaderMap into the exact status line and header block written to the
// wire, with the framing (Content-Length, chunked, read-until-close) decided here —
// framing and connection management are the codec's job, as in Envoy's codec_impl.
import { STATUS_CODES } from 'node:http';
import { HeaderMap } from '../../header_map.js';
import type { HttpProtocol } from '../types.js';
import type { ParsedHead } from './parser.js';

export interface RequestHead {
  readonly headers: HeaderMap;
  readonly protocol: HttpProtocol;
  readonly bytes: number;
  readonly headersOnly: boolean;
  readonly expectContinue: boolean;
  readonly isHead: boolean;
}

/** Builds `:method`, `:scheme`, `:path`, `:authority` (from Host, or an absolute-form target) and the rest, lower-cased. */
export function buildRequestHead(head: ParsedHead, scheme: 'http' | 'https'): RequestHead {
  const method = head.method ?? 'GET';
  let path = head.url ?? '/';
  let authority: string | undefined;
  if (path.charCodeAt(0) !== 47 /* '/' */) {
    const abs = splitAbsoluteForm(path);
    if (abs) {
      authority = abs.authority;
      path = abs.path;
    }
  }
  const headers = new HeaderMap();
  headers.add(':method', method);
  headers.add(':scheme', scheme);
  headers.add(':path', path);
  let bytes = method.length + path.length + 12; // "<method> <path> HTTP/1.1\r\n"
  let chunked = false;
  let contentLength: string | undefined;
  let expectContinue = false;
  const raw = head.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    bytes += name.length + value.length + 4;
    switch (name) {
      case 'host':
        // HTTP/1 carries the authority in Host; the first one wins, none is kept as a header.
        if (authority === undefined) authority = value;
        continue;
      case 'transfer-encoding':
        chunked = true;
        break;
      case 'content-length':
        if (contentLength === undefined) contentLength = value;
        break;
      case 'expect':
        if (value.length === 12 && value.toLowerCase() === '100-continue') expectContinue = true;
        break;
    }
    headers.add(name, value);
  }
  if (authority !== undefined) headers.add(':authority', authority);
  const http10 = head.versionMajor < 1 || (head.versionMajor === 1 && head.versionMinor === 0);
  return {
    headers,
    protocol: http10 ? 'HTTP/1.0' : 'HTTP/1.1',
    bytes,
    headersOnly: !chunked && (contentLength === undefined || Number(contentLength) === 0),
    expectContinue: expectContinue && !http10,
    isHead: method === 'HEAD',
  };
}

/**
 * `GET http://host:port/p?q HTTP/1.1` (proxy-style absolute form): the target carries the
 * authority. Split as written, like Envoy's Utility::Url (no normalisation here).
 */
export function splitAbsoluteForm(target: string): { authority: string; path: string } | undefined {
  const m = /^https?:\/\//i.exec(target);
  if (!m) return undefined;
  const start = m[0].length;
  let end = start;
  while (end < target.length) {
    const c = target.charCodeAt(end);
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break;
    end++;
  }
  let authority = target.slice(start, end);
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1);
  let path = target.slice(end);
  if (path === '' || path.charCodeAt(0) !== 47) path = `/${path}`;
  return { authority, path };
}

/** How the response body goes on the wire. */
export const Framing = {
  /** No body may follow (HEAD, 1xx, 204, 304, or a headers-only response). */
  None: 0,
  /** As many bytes as the Content-Length said. */
  Length: 1,
  Chunked: 2,
  /** HTTP/1.0 without Content-Length: the body ends when the connection closes. */
  UntilClose: 3,
} as const;
export type Framing = (typeof Framing)[keyof typeof Framing];

export interface ResponseContext {
  readonly http10: boolean;
  readonly isHead: boolean;
  /** This is the connection's last response (connection: close). */
  closeAfter: boolean;
  /** The response has no body (writeHeaders with endStream). */
  readonly endStream: boolean;
}

export interface ResponseHead {
  readonly head: string;
  readonly framing: Framing;
  readonly closeAfter: boolean;
}

// Framing and connection management belong to the codec: whatever the filters or the
// upstream left in these, they are not forwarded (RFC 9110 §7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
// CR, LF or NUL in a name or value would split the response (header injection).
const UNSAFE_VALUE = /[\r\n\0]/;
const UNSAFE_NAME = /[\r\n\0:\s]/;

const statusLines = new Map<number, string>();

function statusLine(status: number): string {
  let line = statusLines.get(status);
  if (line === undefined) {
    line = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
    if (statusLines.size < 512) statusLines.set(status, line);
  }
  return line;
}

/**
 * The status line and header block (ending in the blank line), or undefined when a
 * header cannot be written safely. Envoy's rules: Content-Length wins; without it a
 * headers-only response gets `content-length: 0`, a streamed one chunked encoding
 * (HTTP/1.1) or read-until-close (HTTP/1.0); 1xx/204/304 and HEAD never carry a body.
 */
export function serializeResponseHead(headers: HeaderMap, ctx: ResponseContext): ResponseHead | undefined {
  const status = Number(headers.get(':status') ?? 200);
  if (!Number.isInteger(status) || status < 100 || status > 999) return undefined;
  let out = statusLine(status);
  let sawLength = false;
  let bad = false;
  headers.forEach((name, value) => {
    if (name.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(name)) return;
    if (name === 'content-length') sawLength = true;
    if (UNSAFE_VALUE.test(value) || name.length === 0 || UNSAFE_NAME.test(name)) bad = true;
    out += `${name}: ${value}\r\n`;
  });
  if (bad) return undefined;
  let framing: Framing;
  let closeAfter = ctx.closeAfter;
  if (status < 200 || status === 204 || status === 304) framing = Framing.None;
  else if (sawLength) framing = ctx.isHead ? Framing.None : Framing.Length;
  else if (ctx.endStream) {
    if (!ctx.isHead) out += 'content-length: 0\r\n';
    framing = Framing.None;
  } else if (ctx.http10) {
    // HTTP/1.0 has no chunked encoding: the close of the connection ends the body.
    framing = ctx.isHead ? Framing.None : Framing.UntilClose;
    if (!ctx.isHead) closeAfter = true;
  } else {
    // A HEAD response gets the informational header but never a chunked body (as Envoy).
    out += 'transfer-encoding: chunked\r\n';
    framing = ctx.isHead ? Framing.None : Framing.Chunked;
  }
  if (closeAfter) out += 'connection: close\r\n';
  else if (ctx.http10) out += 'connection: keep-alive\r\n';
  return { head: `${out}\r\n`, framing, closeAfter };
}

/** The last chunk with trailers (chunked responses with trailers enabled). */
export function serializeTrailers(trailers: HeaderMap): string | undefined {
  let out = '0\r\n';
  let bad = false;
  trailers.forEach((name, value) => {
    if (name.charCodeAt(0) === 58) return;
    if (UNSAFE_VALUE.test(value) || name.length === 0 || UNSAFE_NAME.test(name)) bad = true;
    out += `${name}: ${value}\r\n`;
  });
  return bad ? undefined : `${out}\r\n`;
}
