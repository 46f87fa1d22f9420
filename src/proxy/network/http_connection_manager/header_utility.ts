// What the connection manager does to every request and response, whatever the
// route: hop-by-hop headers, x-forwarded-*, x-request-id, trust of x-envoy-* headers,
// and the server / date headers — following Envoy's ConnectionManagerUtility rules.
import net from 'node:net';
import crypto from 'node:crypto';
import type { HeaderMap } from '../../http/header_map.js';
import type { ConnectionInfo } from '../../http/connection_info.js';
import type { HcmConfig } from './config.js';

const REQUEST_HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding'];
const RESPONSE_HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade'];

function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => (acc << 8) + Number(part), 0) >>> 0;
}

function inV4Cidr(ip: string, prefix: string, len: number): boolean {
  if (len === 0) return true;
  const mask = len >= 32 ? 0xffffffff : (~((1 << (32 - len)) - 1)) >>> 0;
  return (ipv4ToInt(ip) & mask) === (ipv4ToInt(prefix) & mask);
}

/** RFC 1918, loopback and IPv6 unique-local addresses: Envoy's default "internal" set. */
export function isInternalAddress(ip: string, cidrs?: Array<{ prefix: string; len: number }>): boolean {
  if (cidrs) {
    return cidrs.some((c) => net.isIPv4(ip) && net.isIPv4(c.prefix) && inV4Cidr(ip, c.prefix, c.len));
  }
  if (net.isIPv4(ip)) {
    return inV4Cidr(ip, '10.0.0.0', 8) || inV4Cidr(ip, '172.16.0.0', 12) || inV4Cidr(ip, '192.168.0.0', 16) || inV4Cidr(ip, '127.0.0.0', 8);
  }
  const lower = ip.toLowerCase();
  return lower === '::1' || lower.startsWith('fc') || lower.startsWith('fd');
}

// Clients repeat: remember the answer per address instead of parsing it per request.
const internalCache = new WeakMap<object, Map<string, boolean>>();

function isInternalCached(ip: string, config: HcmConfig): boolean {
  let cache = internalCache.get(config);
  if (!cache) internalCache.set(config, (cache = new Map()));
  let v = cache.get(ip);
  if (v === undefined) {
    if (cache.size > 10_000) cache.clear();
    v = isInternalAddress(ip, config.internalAddressCidrs);
    cache.set(ip, v);
  }
  return v;
}

export interface RequestMutationResult {
  /** Envoy's "edge request": from an untrusted (external) client. */
  edgeRequest: boolean;
  /** The client address after XFF trust rules (for logs, RBAC, hashing). */
  remoteAddress: string;
  internalRequest: boolean;
}

export function mutateRequestHeaders(headers: HeaderMap, connection: ConnectionInfo, config: HcmConfig, upgrade: boolean): RequestMutationResult {
  for (const h of REQUEST_HOP_BY_HOP) headers.remove(h);
  if (!upgrade) headers.remove('upgrade');
  const te = headers.get('te');
  if (te !== undefined && te.toLowerCase() !== 'trailers') headers.remove('te');

  let remoteAddress = connection.remoteAddress;
  let internalRequest: boolean;
  let edgeRequest = false;
  if (config.useRemoteAddress) {
    if (!config.skipXffAppend) headers.appendCopy('x-forwarded-for', remoteAddress);
    internalRequest = isInternalCached(remoteAddress, config);
    edgeRequest = !internalRequest;
    headers.set('x-forwarded-proto', connection.scheme);
  } else {
    const xff = headers.get('x-forwarded-for');
    if (xff) {
      const hops = xff.split(',').map((s) => s.trim()).filter(Boolean);
      const idx = hops.length - 1 - config.xffNumTrustedHops;
      if (idx >= 0 && net.isIP(hops[idx]!)) remoteAddress = hops[idx]!;
      internalRequest = hops.length === 1 && net.isIP(hops[0]!) !== 0 && isInternalCached(hops[0]!, config);
    } else {
      internalRequest = isInternalCached(remoteAddress, config);
    }
    headers.setIfAbsent('x-forwarded-proto', connection.scheme);
  }

  if (edgeRequest) {
    // Untrusted clients may not steer the proxy: drop every x-envoy-* header.
    headers.removeIf((name) => name.startsWith('x-envoy-'));
    headers.set('x-envoy-external-address', remoteAddress);
  }
  if (config.useRemoteAddress) {
    if (internalRequest) headers.set('x-envoy-internal', 'true');
    else headers.remove('x-envoy-internal');
  }
  if (config.via) headers.appendCopy('via', config.via);

  if (config.generateRequestId) {
    const existing = headers.get('x-request-id');
    if (!existing || (edgeRequest && !config.preserveExternalRequestId)) headers.set('x-request-id', crypto.randomUUID());
  }
  return { edgeRequest, remoteAddress, internalRequest };
}

let cachedDate = '';
let cachedDateSecond = 0;

/** The Date header value, formatted once per second. */
export function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== cachedDateSecond) {
    cachedDateSecond = second;
    cachedDate = new Date(second * 1000).toUTCString();
  }
  return cachedDate;
}

export function mutateResponseHeaders(headers: HeaderMap, requestHeaders: HeaderMap | undefined, config: HcmConfig, upgrade: boolean): void {
  for (const h of RESPONSE_HOP_BY_HOP) if (!(upgrade && (h === 'connection' || h === 'upgrade'))) headers.remove(h);
  headers.set('date', httpDate());
  if (config.serverHeaderTransformation === 'OVERWRITE') headers.set('server', config.serverName);
  else if (config.serverHeaderTransformation === 'APPEND_IF_ABSENT') headers.setIfAbsent('server', config.serverName);
  if (config.alwaysSetRequestIdInResponse) {
    const id = requestHeaders?.get('x-request-id');
    if (id) headers.set('x-request-id', id);
  }
  if (config.via) headers.appendCopy('via', config.via);
}
