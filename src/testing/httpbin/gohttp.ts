// Go net/http behaviour the test services reproduce, because the real services they stand in
// for (go-httpbin, the Gateway API echo-basic backend) are Go programs and users compare our
// output with theirs: canonical header keys, url.Values parsing, encoding/json output, the
// ServeMux's clean-path redirect, and the plain-text error replies.
import type http from 'node:http';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** textproto.CanonicalMIMEHeaderKey: `x-request-id` → `X-Request-Id`; invalid keys unchanged. */
export function canonicalHeaderKey(key: string): string {
  if (!TOKEN.test(key)) return key;
  let out = '';
  let upper = true;
  for (let i = 0; i < key.length; i++) {
    const c = key[i];
    out += upper ? c.toUpperCase() : c.toLowerCase();
    upper = c === '-';
  }
  return out;
}

// Node decodes header bytes as latin1; Go keeps the bytes and its JSON encoder turns invalid
// UTF-8 into U+FFFD. Re-decoding as UTF-8 gives the same text for anything non-ASCII.
const NON_ASCII = /[\u0080-\uffff]/;
export function headerText(v: string): string {
  return NON_ASCII.test(v) ? Buffer.from(v, 'latin1').toString('utf8') : v;
}

export type GoHeader = Record<string, string[]>;

/**
 * The request's header map as Go's server builds it: canonical names, one array entry per
 * header line, Host and Transfer-Encoding removed (Go moves them into Request fields).
 * Keys are inserted sorted, since encoding/json sorts map keys.
 */
export function goRequestHeader(req: http.IncomingMessage, extra?: Record<string, string>): GoHeader {
  const raw = req.rawHeaders;
  const map = new Map<string, string[]>();
  if (extra) for (const [k, v] of Object.entries(extra)) map.set(k, [v]);
  for (let i = 0; i < raw.length; i += 2) {
    const name = canonicalHeaderKey(raw[i]);
    if (name === 'Host' || name === 'Transfer-Encoding') continue; // Go moves these out of the map
    const list = map.get(name);
    if (list) list.push(headerText(raw[i + 1]));
    else map.set(name, [headerText(raw[i + 1])]);
  }
  return sortedRecord(map);
}

export function sortedRecord<T>(map: Map<string, T>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of [...map.keys()].sort()) out[k] = map.get(k) as T;
  return out;
}

/** The parts of the request target Go exposes as r.Host, r.URL.Path (raw) and r.URL.RawQuery. */
export interface Target {
  host: string;
  rawPath: string;
  rawQuery: string;
  hasQuery: boolean;
}

export function requestTarget(req: http.IncomingMessage): Target {
  let url = req.url ?? '/';
  let host = req.headers.host ?? '';
  // absolute-form (a request sent as to a proxy): Go takes the host from the URL
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/([^/?#]*)/.exec(url);
  if (abs) {
    host = abs[1];
    url = url.slice(abs[0].length) || '/';
  }
  const q = url.indexOf('?');
  if (q < 0) return { host, rawPath: url, rawQuery: '', hasQuery: false };
  return { host, rawPath: url.slice(0, q), rawQuery: url.slice(q + 1), hasQuery: true };
}

/** url.QueryUnescape: `+` is a space, `%XX` a byte; a bad escape is an error (null). */
export function queryUnescape(s: string): string | null {
  if (!s.includes('%')) return s.includes('+') ? s.replace(/\+/g, ' ') : s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const hex = s.slice(i + 1, i + 3);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return null;
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (c === 0x2b) {
      bytes.push(0x20);
    } else if (c < 0x80) {
      bytes.push(c);
    } else {
      const cp = s.codePointAt(i) as number;
      bytes.push(...Buffer.from(String.fromCodePoint(cp), 'utf8'));
      if (cp > 0xffff) i++;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export type Values = Record<string, string[]>;

/**
 * url.ParseQuery. Returns the values (keys sorted for encoding/json) and the first error,
 * as Go does: r.URL.Query() ignores the error, ParseForm reports it.
 */
export function parseQuery(query: string): { values: Values; error?: string } {
  const map = new Map<string, string[]>();
  let error: string | undefined;
  for (const part of query.split('&')) {
    if (part === '') continue;
    if (part.includes(';')) {
      error ??= 'invalid semicolon separator in query';
      continue;
    }
    const eq = part.indexOf('=');
    const key = queryUnescape(eq < 0 ? part : part.slice(0, eq));
    const value = queryUnescape(eq < 0 ? '' : part.slice(eq + 1));
    if (key === null || value === null) {
      error ??= `invalid URL escape in ${JSON.stringify(part)}`;
      continue;
    }
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  }
  return { values: sortedRecord(map), error };
}

const GO_ESCAPES = /[\u2028\u2029]/g;
const GO_HTML_ESCAPES = /[<>&\u2028\u2029]/g;
const escapeChar = (c: string) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');

/**
 * encoding/json output: JSON.stringify already matches Go's indentation and escapes;
 * Go also escapes U+2028/U+2029, and `<`, `>`, `&` unless SetEscapeHTML(false).
 */
export function goJSON(value: unknown, indent: string, escapeHTML: boolean): string {
  const text = JSON.stringify(value, null, indent);
  const re = escapeHTML ? GO_HTML_ESCAPES : GO_ESCAPES;
  re.lastIndex = 0;
  return re.test(text) ? text.replace(re, escapeChar) : text;
}

/** path.Clean plus the trailing slash ServeMux keeps; used for its 301 redirect. */
export function cleanPath(p: string): string {
  if (p === '') return '/';
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') parts.pop();
    else parts.push(seg);
  }
  let out = '/' + parts.join('/');
  if (p.endsWith('/') && out !== '/') out += '/';
  return out;
}

export function decodePath(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** http.Error: a plain-text body with a trailing newline and nosniff. */
export function sendGoError(res: http.ServerResponse, status: number, text: string): void {
  const body = text + '\n';
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

export function sendNotFound(res: http.ServerResponse): void {
  sendGoError(res, 404, '404 page not found');
}

/** ServeMux's 405, with the Allow header it computes from the matching patterns. */
export function sendMethodNotAllowed(res: http.ServerResponse, allow: string[]): void {
  res.setHeader('Allow', allow.join(', '));
  sendGoError(res, 405, 'Method Not Allowed');
}

/** ServeMux's redirect to the cleaned path (http.Redirect with 301). */
export function sendCleanPathRedirect(res: http.ServerResponse, req: http.IncomingMessage, location: string): void {
  res.setHeader('Location', location);
  if (req.method === 'GET' || req.method === 'HEAD') {
    const body = `<a href="${location.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;')}">Moved Permanently</a>.\n\n`;
    res.writeHead(301, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  } else {
    res.writeHead(301, { 'Content-Length': 0 });
    res.end();
  }
}

/** The client address Go reports: no port, IPv4-mapped IPv6 shown as IPv4. */
export function remoteIP(req: http.IncomingMessage): string {
  const addr = req.socket.remoteAddress ?? '';
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}
