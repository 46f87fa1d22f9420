// The two HTTP peers the CLI talks to: the discovery server's debug port (istiod's
// 15014: /debug/syncz, /debug/config_dump?proxyID=) and a proxy's admin API (15000).
// Both are plain HTTP on loopback; what matters is that a failure says which
// address was tried and how to point the CLI somewhere else.
import http from 'node:http';
import https from 'node:https';
import { CtlError } from './errors.js';

export const DEFAULT_DISCOVERY_ADDRESS = '127.0.0.1:15014';
export const DISCOVERY_ADDRESS_ENV = 'SKEIN_DISCOVERY_ADDRESS';

/** How long one request may take before the CLI gives up and says so. */
const REQUEST_TIMEOUT_MS = 15_000;

/** --discovery-address, else $SKEIN_DISCOVERY_ADDRESS, else istiod's 127.0.0.1:15014. */
export function discoveryAddress(flag?: string): string {
  return flag || process.env[DISCOVERY_ADDRESS_ENV] || DEFAULT_DISCOVERY_ADDRESS;
}

/** "HOST:PORT" or "http://HOST:PORT[/]" → base URL without a trailing slash. */
export function baseUrl(address: string): string {
  const a = address.trim().replace(/\/+$/, '');
  return /^https?:\/\//.test(a) ? a : `http://${a}`;
}

export interface Peer {
  /** What the peer is, for messages: "the discovery server", "the admin API of webapp-1.ns". */
  what: string;
  address: string;
  /** What to do when it cannot be reached. */
  hint: string;
}

export interface HttpAnswer {
  status: number;
  text: string;
}

/**
 * One request with node:http rather than fetch: fetch refuses the WHATWG "bad ports"
 * (6000, 6665-6669, 10080, ...), and an admin or debug port may be any port.
 */
export function request(peer: Peer, pathAndQuery: string, method: 'GET' | 'POST' = 'GET'): Promise<HttpAnswer> {
  const url = new URL(`${baseUrl(peer.address)}${pathAndQuery}`);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const fail = (cause: string) => reject(new CtlError(`cannot reach ${peer.what} at ${peer.address} (${cause}): ${peer.hint}`));
    const req = client.request(url, { method, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => fail(err.message));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on('error', (err: NodeJS.ErrnoException) => fail(err.code && err.code !== 'ERR_UNHANDLED_ERROR' ? err.code : err.message));
    req.end();
  });
}

/** GET that must answer 200; anything else is an error naming the URL and the answer. */
export async function getOk(peer: Peer, pathAndQuery: string): Promise<string> {
  const a = await request(peer, pathAndQuery);
  if (a.status !== 200) {
    throw new CtlError(`${peer.what} at ${peer.address} answered ${a.status} to GET ${pathAndQuery}: ${a.text.trim().split('\n')[0] ?? ''}`);
  }
  return a.text;
}

export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new CtlError(`${what} is not JSON: ${(err as Error).message}`);
  }
}

export function discoveryPeer(address: string): Peer {
  return {
    what: 'the discovery server',
    address,
    hint: `start it (skein discovery, or skein mesh up), or point at it with --discovery-address HOST:PORT or ${DISCOVERY_ADDRESS_ENV}`,
  };
}

/** A proxy's admin API; `proxyName` when it was found through the discovery server (its POD_IP:15000). */
export function adminPeer(address: string, proxyName?: string): Peer {
  return {
    what: proxyName ? `the admin API of ${proxyName}` : 'the proxy admin API',
    address,
    hint: proxyName
      ? `is the proxy running with its admin API on its pod IP, port 15000? Use --admin-address HOST:PORT to name the admin address directly`
      : 'is the proxy running, and is that its admin address (admin.address in its bootstrap)?',
  };
}
