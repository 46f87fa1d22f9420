// go-httpbin's handlers (github.com/mccutchen/go-httpbin v2), response shapes field for
// field: responses.go's structs serialise in declaration order, maps with sorted keys,
// indented by two spaces with a trailing newline, as its writeJSON does.
import { randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { BodyTooLarge, MAX_BODY_SIZE, parseBody, readBody } from './body.js';
import { formatGoDuration, parseHttpbinDuration } from './duration.js';
import { canonicalHeaderKey, goJSON, goRequestHeader, parseQuery, remoteIP, sortedRecord, type GoHeader, type Target, type Values } from './gohttp.js';
import { chooseStatus, writeStatus } from './status.js';

export const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';
export const MAX_DURATION_NS = 10e9;

export interface Ctx {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  target: Target;
  /** The last path segment's value for `/status/{code}`-style routes. */
  param: string;
}

export type Handler = (ctx: Ctx) => void | Promise<void>;

export function writeJSON(res: http.ServerResponse, status: number, value: unknown): void {
  const body = goJSON(value, '  ', false) + '\n';
  res.writeHead(status, { 'Content-Type': JSON_CONTENT_TYPE, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** go-httpbin's error body (its `errorRespnose` struct): {status_code, error, detail?}. */
export function writeError(res: http.ServerResponse, status: number, detail?: string): void {
  const value: Record<string, unknown> = { status_code: status, error: http.STATUS_CODES[status] ?? '' };
  if (detail) value.detail = detail;
  writeJSON(res, status, value);
}

/** getRequestHeaders: the request's headers plus Host and Transfer-Encoding, which Go strips. */
function requestHeaders(ctx: Ctx): GoHeader {
  const extra: Record<string, string> = { Host: ctx.target.host };
  const te = ctx.req.headers['transfer-encoding'];
  if (te) extra['Transfer-Encoding'] = te;
  return goRequestHeader(ctx.req, extra);
}

function firstHeader(req: http.IncomingMessage, name: string): string | undefined {
  if (req.headers[name] === undefined) return undefined;
  return req.headersDistinct[name]?.[0];
}

/** getClientIP: CDN client-IP headers, then the first X-Forwarded-For entry, then the peer. */
function clientIP(req: http.IncomingMessage): string {
  for (const name of ['fly-client-ip', 'cf-connecting-ip', 'fastly-client-ip', 'true-client-ip']) {
    const v = firstHeader(req, name);
    if (v) return v;
  }
  const xff = req.headers['x-forwarded-for'];
  if (typeof xff === 'string' && xff !== '') return xff.split(',', 1)[0].trim();
  return remoteIP(req);
}

/** getURL: the scheme a proxy in front reports, the Host, and the raw path and query. */
function requestURL(ctx: Ctx): string {
  const { req, target } = ctx;
  let scheme = firstHeader(req, 'x-forwarded-proto') || firstHeader(req, 'x-forwarded-protocol') || '';
  if (!scheme && firstHeader(req, 'x-forwarded-ssl') === 'on') scheme = 'https';
  if (!scheme) scheme = 'encrypted' in req.socket ? 'https' : 'http';
  return `${scheme}://${target.host}${target.rawPath}${target.hasQuery ? '?' + target.rawQuery : ''}`;
}

function args(ctx: Ctx): Values {
  return ctx.target.rawQuery === '' ? {} : parseQuery(ctx.target.rawQuery).values;
}

/** noBodyResponse: /get and HEAD /anything. */
export const get: Handler = (ctx) => {
  writeJSON(ctx.res, 200, {
    args: args(ctx),
    headers: requestHeaders(ctx),
    method: ctx.req.method,
    origin: clientIP(ctx.req),
    url: requestURL(ctx),
  });
};

/** bodyResponse: /post, /put, /patch, /delete, /anything, /delay. */
export const requestWithBody: Handler = async (ctx) => {
  const { req, res } = ctx;
  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY_SIZE);
  } catch (err) {
    if (err instanceof BodyTooLarge) res.setHeader('Connection', 'close');
    return writeError(res, 400, `error parsing request body: ${(err as Error).message}`);
  }
  let parsed;
  try {
    parsed = await parseBody(req.method ?? 'GET', req.headers['content-type'], body);
  } catch (err) {
    return writeError(res, 400, `error parsing request body: ${(err as Error).message}`);
  }
  writeJSON(res, 200, {
    args: args(ctx),
    headers: requestHeaders(ctx),
    method: req.method,
    origin: clientIP(req),
    url: requestURL(ctx),
    data: parsed.data,
    files: parsed.files,
    form: parsed.form,
    json: parsed.json,
  });
};

export const anything: Handler = (ctx) => (ctx.req.method === 'HEAD' ? get(ctx) : requestWithBody(ctx));

export const headers: Handler = (ctx) => writeJSON(ctx.res, 200, { headers: requestHeaders(ctx) });

export const ip: Handler = (ctx) => writeJSON(ctx.res, 200, { origin: clientIP(ctx.req) });

export const uuid: Handler = (ctx) => writeJSON(ctx.res, 200, { uuid: randomUUID() });

export const userAgent: Handler = (ctx) => writeJSON(ctx.res, 200, { 'user-agent': ctx.req.headers['user-agent'] ?? '' });

export const status: Handler = (ctx) => {
  const code = chooseStatus(ctx.param);
  if (code instanceof Error) return writeError(ctx.res, 400, code.message);
  writeStatus(ctx.res, code);
};

export const delay: Handler = (ctx) => {
  const ns = parseHttpbinDuration(ctx.param);
  let problem = ns instanceof Error ? ns.message : undefined;
  if (typeof ns === 'number' && ns > MAX_DURATION_NS) problem = `duration ${formatGoDuration(ns)} longer than ${formatGoDuration(MAX_DURATION_NS)}`;
  if (typeof ns === 'number' && ns < 0) problem = `duration ${formatGoDuration(ns)} shorter than 0s`;
  if (problem !== undefined || typeof ns !== 'number') return writeError(ctx.res, 400, `invalid duration: ${problem}`);
  return new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      ctx.res.off('close', onClose);
      ctx.res.setHeader('Server-Timing', `initial_delay;dur=${(ns / 1e6).toFixed(2)};desc="initial delay"`);
      resolve(requestWithBody(ctx));
    }, ns / 1e6);
    // the client gave up: nothing to answer, and no timer left holding the process open
    const onClose = () => {
      clearTimeout(timer);
      resolve();
    };
    ctx.res.once('close', onClose);
  });
};

const SAFE_CONTENT_TYPES = new Set(['text/plain', 'application/json', 'application/octet-string']);
const escapeHTML = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&#34;');
// Framing headers would break the connection rather than show a header, so they are not set.
const UNSETTABLE = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade']);

/** Query params become response headers and are echoed (HTML-escaped for risky types). */
export const responseHeaders: Handler = (ctx) => {
  const { res } = ctx;
  const values = args(ctx);
  let contentType = values['Content-Type']?.[0] ?? '';
  if (contentType === '') {
    contentType = JSON_CONTENT_TYPE;
    values['Content-Type'] = [contentType];
  }
  for (const [key, list] of Object.entries(values)) {
    if (UNSETTABLE.has(key.toLowerCase())) continue;
    for (const v of list) {
      try {
        res.appendHeader(canonicalHeaderKey(key), v);
      } catch {
        // Go drops header fields it cannot write; so do we
      }
    }
  }
  const mediaType = contentType.split(';', 1)[0].trim().toLowerCase();
  let out: Values = sortedRecord(new Map(Object.entries(values)));
  if (!SAFE_CONTENT_TYPES.has(mediaType)) {
    const escaped = new Map<string, string[]>();
    for (const [k, list] of Object.entries(out)) escaped.set(escapeHTML(k), list.map(escapeHTML));
    out = sortedRecord(escaped);
  }
  const body = goJSON(out, '  ', false) + '\n';
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.writeHead(200);
  res.end(body);
};

/** A seeded generator for /bytes?seed=N: same seed, same bytes (not Go's math/rand stream). */
function seededBytes(seed: bigint, n: number): Buffer {
  let state = Number(BigInt.asUintN(32, seed ^ (seed >> 32n))) >>> 0;
  const out = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    // mulberry32
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 0xff;
  }
  return out;
}

export const bytes: Handler = (ctx) => {
  const { res } = ctx;
  if (!/^[+-]?\d+$/.test(ctx.param)) {
    return writeError(res, 400, `invalid byte count: strconv.Atoi: parsing ${JSON.stringify(ctx.param)}: invalid syntax`);
  }
  const n = Number(ctx.param);
  const rawSeed = ctx.target.rawQuery ? parseQuery(ctx.target.rawQuery).values.seed?.[0] ?? '' : '';
  if (rawSeed !== '' && !/^[+-]?\d+$/.test(rawSeed)) {
    return writeError(res, 400, `invalid seed: strconv.ParseInt: parsing ${JSON.stringify(rawSeed)}: invalid syntax`);
  }
  if (n < 0) return writeError(res, 400, `invalid byte count: ${n} must be greater than 0`);
  if (n === 0) {
    res.writeHead(200, { 'Content-Length': 0 });
    return void res.end();
  }
  if (n > MAX_BODY_SIZE) return writeError(res, 400, `invalid byte count: ${n} not in range [1, ${MAX_BODY_SIZE}]`);
  const data = rawSeed === '' ? randomBytes(n) : seededBytes(BigInt(rawSeed), n);
  res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': n });
  res.end(data);
};

const INDEX_ENDPOINTS: Array<[string, string]> = [
  ['/anything', 'Returns anything passed in request data (any method).'],
  ['/bytes/{n}', 'Generates n random bytes of binary data (?seed= makes them repeatable).'],
  ['/delay/{duration}', 'Delays responding for min(duration, 10s); seconds or a Go duration such as 500ms.'],
  ['/delete', 'The request\u2019s DELETE parameters.'],
  ['/get', 'The request\u2019s query parameters.'],
  ['/headers', 'The request\u2019s headers.'],
  ['/ip', 'The request\u2019s IP address.'],
  ['/patch', 'The request\u2019s PATCH parameters.'],
  ['/post', 'The request\u2019s POST parameters.'],
  ['/put', 'The request\u2019s PUT parameters.'],
  ['/response-headers', 'Returns the given response headers (?Name=value).'],
  ['/status/{codes}', 'Returns the given status code, or a weighted random one: 200:0.9,500:0.1.'],
  ['/user-agent', 'The request\u2019s User-Agent header.'],
  ['/uuid', 'A UUID4.'],
];

const INDEX_HTML = `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>go-httpbin (skein)</title></head>
<body>
<h1>httpbin</h1>
<p>A go-httpbin compatible HTTP request &amp; response service, built into skein.</p>
<ul>
${INDEX_ENDPOINTS.map(([p, d]) => `<li><code>${p}</code> ${d}</li>`).join('\n')}
</ul>
</body>
</html>
`;

export const index: Handler = (ctx) => {
  ctx.res.writeHead(200, {
    'Content-Security-Policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' camo.githubusercontent.com",
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(INDEX_HTML),
  });
  ctx.res.end(INDEX_HTML);
};
