// Route hash_policy → the 64-bit key RING_HASH and MAGLEV pick a host with. Policies
// are combined the way Envoy does (rotate-left-1 then XOR); a `terminal` policy that
// produced a hash stops the evaluation.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { durationMs } from '../../../api/json/wkt.js';
import { compileRe2 } from '../../common/regex.js';
import { hash64 } from '../../upstream/lb/hash.js';
import type { HeaderMap } from '../header_map.js';

export interface HashInput {
  headers: HeaderMap;
  remoteAddress: string;
  /** Adds a Set-Cookie to the response (cookie policy with a ttl and no cookie yet). */
  addCookie?(name: string, value: string, path: string | undefined, ttlSeconds: number): void;
}

type Part = { terminal: boolean; compute(input: HashInput): bigint | undefined };

const MASK64 = (1n << 64n) - 1n;

export class HashPolicy {
  private constructor(private readonly parts: Part[]) {}

  static compile(list: envoy.config.route.v3.RouteAction.HashPolicy[] | undefined): HashPolicy | undefined {
    if (!list?.length) return undefined;
    return new HashPolicy(list.map(compilePart));
  }

  generateHash(input: HashInput): bigint | undefined {
    let result: bigint | undefined;
    for (const part of this.parts) {
      const h = part.compute(input);
      if (h === undefined) continue;
      result = result === undefined ? h : (((result << 1n) | (result >> 63n)) & MASK64) ^ h;
      if (part.terminal) break;
    }
    return result;
  }
}

function compilePart(p: envoy.config.route.v3.RouteAction.HashPolicy): Part {
  const terminal = p.terminal === true;
  if (p.header) {
    const name = (p.header.header_name ?? '').toLowerCase();
    const rewrite = p.header.regex_rewrite;
    const re = rewrite?.pattern ? compileRe2(rewrite.pattern.regex ?? '', false) : undefined;
    const sub = (rewrite?.substitution ?? '').replace(/\\(\d)/g, '$$$1');
    return {
      terminal,
      compute: ({ headers }) => {
        const values = headers.getAll(name);
        if (!values.length) return undefined;
        // Several values hash in sorted order so header order does not move the key.
        let key = values.length === 1 ? values[0]! : [...values].sort().join('');
        if (re) key = key.replace(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g'), sub);
        return hash64(key);
      },
    };
  }
  if (p.cookie) {
    const cookieName = p.cookie.name ?? '';
    const ttl = p.cookie.ttl ? durationMs(p.cookie.ttl, 0) / 1000 : undefined;
    const cookiePath = p.cookie.path;
    return {
      terminal,
      compute: (input) => {
        const value = readCookie(input.headers, cookieName);
        if (value !== undefined) return hash64(value);
        if (ttl === undefined || !input.addCookie) return undefined;
        // Envoy derives a new cookie from the peer address so the same client keeps hashing alike.
        const generated = hash64(`${input.remoteAddress}${cookiePath ?? ''}`).toString(16);
        input.addCookie(cookieName, generated, cookiePath, ttl);
        return hash64(generated);
      },
    };
  }
  if (p.connection_properties) {
    const on = p.connection_properties.source_ip === true;
    return { terminal, compute: ({ remoteAddress }) => (on && remoteAddress ? hash64(remoteAddress) : undefined) };
  }
  if (p.query_parameter) {
    const name = p.query_parameter.name ?? '';
    return {
      terminal,
      compute: ({ headers }) => {
        const path = headers.get(':path') ?? '';
        const q = path.indexOf('?');
        if (q < 0) return undefined;
        const v = new URLSearchParams(path.slice(q + 1)).get(name);
        return v === null ? undefined : hash64(v);
      },
    };
  }
  if (p.filter_state) {
    return { terminal, compute: () => undefined };
  }
  return { terminal, compute: () => undefined };
}

export function readCookie(headers: HeaderMap, name: string): string | undefined {
  for (const line of headers.getAll('cookie')) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq < 0) continue;
      if (pair.slice(0, eq).trim() === name) {
        let v = pair.slice(eq + 1).trim();
        if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
        return v;
      }
    }
  }
  return undefined;
}
