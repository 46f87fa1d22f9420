// Route hash_policy → the 64-bit key RING_HASH and MAGLEV pick a host with. Policies
// are combined the way Envoy does (rotate-left-1 then XOR); once a hash exists, a
// `terminal` policy stops the evaluation.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { compileRe2Rewrite, type Re2Rewriter } from '../../common/regex.js';
import { hash64 } from '../../upstream/lb/hash.js';
import type { HeaderMap } from '../header_map.js';
import { parseRawQuery } from './header_matcher.js';

export interface CookieAttribute {
  name: string;
  value: string;
}

export interface HashInput {
  headers: HeaderMap;
  /** The downstream peer's IP (no port). */
  remoteAddress: string;
  /**
   * The cookie policy has a ttl and the request has no such cookie: the router makes one
   * (Set-Cookie on the response) and returns its value, which is then hashed.
   */
  addCookie?(name: string, path: string | undefined, ttlSeconds: number, attributes: CookieAttribute[]): string;
}

type Part = { terminal: boolean; compute(input: HashInput): bigint | undefined };

const MASK64 = (1n << 64n) - 1n;

export class HashPolicy {
  private constructor(private readonly parts: Part[]) {}

  static compile(list: envoy.config.route.v3.RouteAction.HashPolicy[] | undefined, path = 'hash_policy'): HashPolicy | undefined {
    if (!list?.length) return undefined;
    const parts = list.map((p, i) => compilePart(p, `${path}[${i}]`)).filter((p): p is Part => p !== undefined);
    return new HashPolicy(parts);
  }

  generateHash(input: HashInput): bigint | undefined {
    let result: bigint | undefined;
    for (const part of this.parts) {
      const h = part.compute(input);
      if (h !== undefined) result = result === undefined ? h : (((result << 1n) | (result >> 63n)) & MASK64) ^ h;
      if (part.terminal && result !== undefined) break;
    }
    return result;
  }
}

/** A policy Envoy would not create (source_ip: false) yields no part at all. */
function compilePart(p: envoy.config.route.v3.RouteAction.HashPolicy, path: string): Part | undefined {
  const terminal = p.terminal === true;
  if (p.header) {
    const name = (p.header.header_name ?? '').toLowerCase();
    let rewrite: Re2Rewriter | undefined;
    const rr = p.header.regex_rewrite;
    if (rr) {
      try {
        rewrite = compileRe2Rewrite(rr.pattern?.regex ?? '', rr.substitution ?? '');
      } catch (err) {
        throw ConfigError.single(`${path}.header.regex_rewrite`, `invalid regex rewrite: ${(err as Error).message}`, spanOf(rr));
      }
    }
    return {
      terminal,
      compute: ({ headers }) => {
        let values = headers.getAll(name);
        if (!values.length) return undefined;
        if (rewrite) values = values.map(rewrite);
        // Sorted, so the order the values arrive in does not move the key.
        return hash64(values.length === 1 ? values[0]! : [...values].sort().join(''));
      },
    };
  }
  if (p.cookie) {
    const cookieName = p.cookie.name ?? '';
    const ttl = p.cookie.ttl ? Number(p.cookie.ttl.seconds ?? 0) : undefined;
    const cookiePath = p.cookie.path || undefined;
    const attributes = (p.cookie.attributes ?? []).map((a) => ({ name: a.name ?? '', value: a.value ?? '' }));
    return {
      terminal,
      compute: (input) => {
        const value = readCookie(input.headers, cookieName);
        if (value) return hash64(value);
        if (ttl === undefined || !input.addCookie) return undefined;
        return hash64(input.addCookie(cookieName, cookiePath, ttl, attributes));
      },
    };
  }
  if (p.connection_properties) {
    if (p.connection_properties.source_ip !== true) return undefined;
    return { terminal, compute: ({ remoteAddress }) => (remoteAddress ? hash64(remoteAddress) : undefined) };
  }
  if (p.query_parameter) {
    const name = p.query_parameter.name ?? '';
    return {
      terminal,
      compute: ({ headers }) => {
        const v = parseRawQuery(headers.get(':path') ?? '').get(name);
        return v === null ? undefined : hash64(v);
      },
    };
  }
  if (p.filter_state) {
    // skein keeps no hashable filter state objects yet: the policy never produces a key.
    return { terminal, compute: () => undefined };
  }
  throw ConfigError.single(path, 'hash policy needs one of header, cookie, connection_properties, query_parameter, filter_state', spanOf(p));
}

/** Envoy's Utility::parseCookieValue: the first cookie named `name` ("" when absent). */
export function readCookie(headers: HeaderMap, name: string): string | undefined {
  for (const line of headers.getAll('cookie')) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      if (pair.slice(0, eq).trimStart() === name) {
        let v = pair.slice(eq + 1);
        if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
        return v;
      }
    }
  }
  return undefined;
}
