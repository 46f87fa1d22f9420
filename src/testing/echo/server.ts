// `skein echo`: the Kubernetes Gateway API conformance backend (echo-basic). Conformance
// checks read its JSON, so the shape is echo-basic's RequestAssertions exactly: path, host,
// method, proto, headers (Go's map: canonical names, Host removed), namespace, ingress,
// service, pod, sni — indented by one space, HTML-escaped, no trailing newline.
import type http from 'node:http';
import https from 'node:https';
import fs from 'node:fs';
import { parseGoDuration } from '../httpbin/duration.js';
import {
  cleanPath, decodePath, goJSON, goRequestHeader, parseQuery, requestTarget, sendCleanPathRedirect,
} from '../httpbin/gohttp.js';
import { createHttpServer, listen, type RunningServer } from '../httpbin/listen.js';

export interface EchoOptions {
  port: number;
  host?: string;
  /** Defaults to $NAMESPACE, as the conformance Deployments set it. */
  namespace?: string;
  /** Defaults to $POD_NAME. */
  pod?: string;
  /** Defaults to $SERVICE_NAME. */
  service?: string;
  /** Defaults to $INGRESS_NAME. */
  ingress?: string;
  /** Serve HTTPS with this certificate chain and key (PEM files): a TLS backend for passthrough demos. */
  tlsCert?: string;
  tlsKey?: string;
}

interface EchoContext {
  namespace: string;
  ingress: string;
  service: string;
  pod: string;
}

/** echo-basic's processError: `{"message": "..."}` as compact JSON. */
function sendError(res: http.ServerResponse, status: number, message: string): void {
  const body = goJSON({ message }, '', true);
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/**
 * X-Echo-Set-Header: `Name:Value,Other:Value` pairs copied onto the response. A repeated name
 * is joined with ","; names Go cannot write (empty, spaces) are dropped as Go drops them.
 */
function echoResponseHeaders(req: http.IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  const lines = req.headers['x-echo-set-header'] === undefined ? undefined : req.headersDistinct['x-echo-set-header'];
  for (const line of lines ?? []) {
    for (const pair of line.split(',')) {
      const trimmed = pair.trim();
      const colon = trimmed.indexOf(':');
      const name = colon < 0 ? trimmed : trimmed.slice(0, colon);
      const value = colon < 0 ? '' : trimmed.slice(colon + 1);
      const prev = out.get(name);
      out.set(name, prev === undefined ? value.trim() : `${prev},${value.trim()}`);
    }
  }
  return out;
}

function echo(req: http.IncomingMessage, res: http.ServerResponse, ctx: EchoContext): void {
  const target = requestTarget(req);
  const assertions = {
    path: req.url ?? '/',
    host: target.host,
    method: req.method ?? 'GET',
    proto: `HTTP/${req.httpVersion}`,
    headers: goRequestHeader(req),
    namespace: ctx.namespace,
    ingress: ctx.ingress,
    service: ctx.service,
    pod: ctx.pod,
    sni: '',
  };
  const body = goJSON(assertions, ' ', true);
  for (const [name, value] of echoResponseHeaders(req)) {
    try {
      res.setHeader(name, value);
    } catch {
      // an invalid name or value: Go's server drops it when writing
    }
  }
  res.setHeader('Content-Type', 'application/json');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.writeHead(200);
  res.end(body);
}

/** `?delay=1s` (a Go duration) holds the reply; a bad value is echo-basic's 500. */
function withDelay(req: http.IncomingMessage, res: http.ServerResponse, rawQuery: string, then: () => void): void {
  const raw = rawQuery.includes('delay') ? parseQuery(rawQuery).values.delay?.[0] ?? '' : '';
  if (raw === '') return then();
  const ns = parseGoDuration(raw);
  if (ns instanceof Error) return sendError(res, 500, ns.message);
  const timer = setTimeout(() => {
    res.off('close', onClose);
    then();
  }, Math.max(0, ns / 1e6));
  const onClose = () => clearTimeout(timer);
  res.once('close', onClose);
}

/** statusHandler: `/status/NNN` exactly (no query), anything else under /status/ is a 400. */
function status(req: http.IncomingMessage, res: http.ServerResponse): void {
  const m = /^\/status\/(\d\d\d)$/.exec(req.url ?? '');
  let code = m ? Number(m[1]) : 400;
  if (code < 100) {
    // Go panics on such a code and its server drops the connection
    res.destroy();
    return;
  }
  if (code < 200) code = 200; // Go would send the 1xx as informational, then a 200
  res.writeHead(code, code === 204 || code === 304 ? {} : { 'Content-Length': 0 });
  res.end();
}

export function echoHandler(options: Omit<EchoOptions, 'port' | 'host'> = {}): http.RequestListener {
  const ctx: EchoContext = {
    namespace: options.namespace ?? process.env.NAMESPACE ?? '',
    ingress: options.ingress ?? process.env.INGRESS_NAME ?? '',
    service: options.service ?? process.env.SERVICE_NAME ?? '',
    pod: options.pod ?? process.env.POD_NAME ?? '',
  };
  return (req, res) => {
    const target = requestTarget(req);
    // echo-basic's preserveSlashes collapses "//" before its ServeMux cleans the path
    const path = decodePath(target.rawPath).replaceAll('//', '/');
    const clean = cleanPath(path);
    if (clean !== path && req.method !== 'CONNECT') {
      return sendCleanPathRedirect(res, req, clean + (target.hasQuery ? '?' + target.rawQuery : ''));
    }
    if (path === '/health') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 2 });
      return void res.end('OK');
    }
    if (path.startsWith('/status/')) return status(req, res);
    withDelay(req, res, target.rawQuery, () => echo(req, res, ctx));
  };
}

export function startEcho(options: EchoOptions): Promise<RunningServer> {
  if (options.tlsCert && options.tlsKey) {
    const server = https.createServer({ cert: fs.readFileSync(options.tlsCert), key: fs.readFileSync(options.tlsKey) }, echoHandler(options));
    return listen(server as unknown as http.Server, options.port, options.host);
  }
  return listen(createHttpServer(echoHandler(options)), options.port, options.host);
}
