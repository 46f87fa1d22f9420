// envoy.config.route.v3.HeaderMatcher / QueryParameterMatcher, compiled once.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { compileRegexMatcher, compileStringMatcher, type StringPredicate } from '../../common/matchers.js';
import type { HeaderMap } from '../header_map.js';

export type HeaderPredicate = (headers: HeaderMap) => boolean;

/** absl::SimpleAtoi for int64: optional surrounding whitespace and sign, decimal digits only. */
export function parseInt64(text: string): bigint | undefined {
  const m = /^\s*([+-]?\d+)\s*$/.exec(text);
  if (!m) return undefined;
  const n = BigInt(m[1]!);
  return n >= -(1n << 63n) && n < 1n << 63n ? n : undefined;
}

/**
 * Envoy's rules (HeaderUtility::matchHeaders): several values of one header are joined
 * with ","; a missing header never matches a value matcher, inverted or not, unless
 * treat_missing_header_as_empty makes it "". A presence matcher (present_match, or a
 * matcher with only a name) compares presence: inverting it matches the opposite.
 */
export function compileHeaderMatcher(m: envoy.config.route.v3.HeaderMatcher, path: string): HeaderPredicate {
  const name = (m.name ?? '').toLowerCase();
  const invert = m.invert_match === true;
  const missingAsEmpty = m.treat_missing_header_as_empty === true;
  let test: StringPredicate | undefined;
  let presentWanted = true;
  if (m.exact_match !== undefined) {
    const want = m.exact_match;
    // An empty exact_match matches any value (a legacy "is present" spelling).
    test = (v) => want === '' || v === want;
  } else if (m.safe_regex_match !== undefined) {
    const re = compileRegexMatcher(m.safe_regex_match, `${path}.safe_regex_match`);
    test = (v) => re.test(v);
  } else if (m.range_match !== undefined) {
    const start = BigInt(m.range_match.start ?? 0);
    const end = BigInt(m.range_match.end ?? 0);
    test = (v) => {
      const n = parseInt64(v);
      return n !== undefined && n >= start && n < end;
    };
  } else if (m.present_match !== undefined) {
    presentWanted = m.present_match;
  } else if (m.prefix_match !== undefined) {
    const want = m.prefix_match;
    test = (v) => v.startsWith(want);
  } else if (m.suffix_match !== undefined) {
    const want = m.suffix_match;
    test = (v) => v.endsWith(want);
  } else if (m.contains_match !== undefined) {
    const want = m.contains_match;
    test = (v) => v.includes(want);
  } else if (m.string_match !== undefined) {
    test = compileStringMatcher(m.string_match, `${path}.string_match`);
  }
  if (!test) {
    // present_match, or only a name: "is the header present?"
    return (headers) => (headers.has(name) === presentWanted) !== invert;
  }
  const valueTest = test;
  return (headers) => {
    const values = headers.getAll(name);
    if (values.length === 0 && !missingAsEmpty) return false;
    const joined = values.length === 0 ? '' : values.length === 1 ? values[0]! : values.join(',');
    return valueTest(joined) !== invert;
  };
}

export function compileHeaderMatchers(list: envoy.config.route.v3.HeaderMatcher[] | undefined, path: string): HeaderPredicate[] {
  return (list ?? []).map((m, i) => compileHeaderMatcher(m, `${path}[${i}]`));
}

export type QueryPredicate = (params: URLSearchParams) => boolean;

/**
 * The query string of a :path as Envoy parses it for matching (QueryParamsMulti::
 * parseQueryString): split on "&" and the first "=", values NOT percent-decoded,
 * a name without "=" has the value "".
 */
export function parseRawQuery(pathWithQuery: string): URLSearchParams {
  const params = new URLSearchParams();
  const q = pathWithQuery.indexOf('?');
  if (q < 0) return params;
  let start = q + 1;
  while (start < pathWithQuery.length) {
    let end = pathWithQuery.indexOf('&', start);
    if (end < 0) end = pathWithQuery.length;
    const eq = pathWithQuery.indexOf('=', start);
    if (eq >= 0 && eq < end) params.append(pathWithQuery.slice(start, eq), pathWithQuery.slice(eq + 1, end));
    else params.append(pathWithQuery.slice(start, end), '');
    start = end + 1;
  }
  return params;
}

/** Only the first value of a repeated parameter is matched, as in Envoy. */
export function compileQueryMatcher(m: envoy.config.route.v3.QueryParameterMatcher, path: string): QueryPredicate {
  const name = m.name ?? '';
  if (m.present_match !== undefined) {
    const want = m.present_match;
    return (q) => q.has(name) === want;
  }
  if (m.string_match) {
    const test = compileStringMatcher(m.string_match, `${path}.string_match`);
    return (q) => {
      const v = q.get(name);
      return v !== null && test(v);
    };
  }
  return (q) => q.has(name);
}
