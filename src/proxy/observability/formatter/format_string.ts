// Envoy's substitution format strings ("[%START_TIME%] %REQ(:METHOD)% ..."). A template
// is parsed once into literal text and compiled command operators; rendering a request
// only walks that list. The same pieces feed json_format.ts.
import { compileOperator, type ValueGetter } from './operators.js';
import type { FormatContext, Formatter } from './types.js';

/** Envoy's format when an access log sets none (docs: "Default Format String"). */
export const ENVOY_DEFAULT_ACCESS_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" ' +
  '%RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION% ' +
  '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" ' +
  '"%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

export interface FormatStringOptions {
  /** Header values (request_headers_to_add ...): an absent value renders as "". */
  forHeaderValue?: boolean;
  /** SubstitutionFormatString.omit_empty_values: an absent value renders as "" instead of "-". */
  omitEmptyValues?: boolean;
}

export interface OperatorPiece {
  /** The operator as written, e.g. `%REQ(:PATH):10%`. */
  source: string;
  get: ValueGetter;
  maxLength?: number;
}

export type FormatPiece = string | OperatorPiece;

const isNameChar = (c: number) => (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95; // A-Z 0-9 _

/** Parses a template into pieces; throws an Error naming the bad operator. */
export function parseFormatString(template: string): FormatPiece[] {
  const quoted = JSON.stringify(template);
  const pieces: FormatPiece[] = [];
  let literal = '';
  let i = 0;
  while (i < template.length) {
    const pct = template.indexOf('%', i);
    if (pct < 0) {
      literal += template.slice(i);
      break;
    }
    literal += template.slice(i, pct);
    if (template[pct + 1] === '%') {
      literal += '%';
      i = pct + 2;
      continue;
    }
    let j = pct + 1;
    while (j < template.length && isNameChar(template.charCodeAt(j))) j++;
    const name = template.slice(pct + 1, j);
    if (!name) {
      throw new Error(
        `invalid command operator at position ${pct} in ${quoted}: "%" must start an operator such as %START_TIME% (write %% for a literal "%")`,
      );
    }
    let arg: string | undefined;
    if (template[j] === '(') {
      const close = template.indexOf(')', j);
      if (close < 0) throw new Error(`command operator %${name}(...% has no closing ")" in ${quoted}`);
      arg = template.slice(j + 1, close);
      j = close + 1;
    }
    let maxLength: number | undefined;
    if (template[j] === ':') {
      let k = j + 1;
      while (k < template.length && template.charCodeAt(k) >= 48 && template.charCodeAt(k) <= 57) k++;
      if (k === j + 1) throw new Error(`command operator %${name}% has ":" without a length in ${quoted}`);
      maxLength = Number(template.slice(j + 1, k));
      j = k;
    }
    if (template[j] !== '%') {
      throw new Error(`command operator %${name}${arg !== undefined ? `(${arg})` : ''}% is not closed by "%" (position ${j}) in ${quoted}`);
    }
    const source = template.slice(pct, j + 1);
    const fail = (why: string): never => {
      throw new Error(`command operator ${source} ${why}, in ${quoted}`);
    };
    const get = compileOperator(name, arg, fail);
    if (!get) throw new Error(`unknown command operator %${name}% in ${quoted}`);
    if (literal) pieces.push(literal);
    literal = '';
    pieces.push(maxLength === undefined ? { source, get } : { source, get, maxLength });
    i = j + 1;
  }
  if (literal) pieces.push(literal);
  return pieces;
}

/** Text of an operator's value, or undefined when absent; JSON values render as JSON. */
export function valueToText(v: unknown, maxLength?: number): string | undefined {
  let s: string;
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean') s = String(v);
  else s = JSON.stringify(v);
  return maxLength !== undefined && s.length > maxLength ? s.slice(0, maxLength) : s;
}

/** Renders pieces as one string, writing `missing` for absent values. */
export function renderPieces(pieces: readonly FormatPiece[], ctx: FormatContext, missing: string): string {
  let out = '';
  for (const p of pieces) {
    if (typeof p === 'string') out += p;
    else out += valueToText(p.get(ctx), p.maxLength) ?? missing;
  }
  return out;
}

export function compileFormatString(template: string, options: FormatStringOptions = {}): Formatter {
  const pieces = parseFormatString(template);
  const missing = options.forHeaderValue || options.omitEmptyValues ? '' : '-';
  if (pieces.length === 0) return { format: () => '' };
  if (pieces.length === 1 && typeof pieces[0] === 'string') {
    const constant = pieces[0];
    return { format: () => constant };
  }
  return { format: (ctx) => renderPieces(pieces, ctx, missing) };
}
