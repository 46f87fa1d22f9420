// envoy.config.route.v3.HeaderMatcher / QueryParameterMatcher, compiled once.
import type { envoy } from '../../../api/envoy-types.generated.js';
import { compileRegexMatcher, compileStringMatcher, type StringPredicate } from '../../common/matchers.js';
import type { HeaderMap } from '../header_map.js';

export type HeaderPredicate = (headers: HeaderMap) => boolean;

/**
 * Envoy's rules: several values of one header are joined with ","; a missing header
 * matches only `present_match: false` (or anything when inverted, except presence),
 * unless treat_missing_header_as_empty.
 */
export function compileHeaderMatcher(m: envoy.config.route.v3.HeaderMatcher, path: string): HeaderPredicate {
  const name = (m.name ?? '').toLowerCase();
  const invert = m.invert_match === true;
  const missingAsEmpty = m.treat_missing_header_as_empty === true;
  let isPresenceCheck = false;
  let presentWanted = true;
  let test: StringPredicate;
  if (m.exact_match !== undefined) {
    const want = m.exact_match;
    test = (v) => want === '' || v === want;
  } else if (m.safe_regex_match !== undefined) {
    const re = compileRegexMatcher(m.safe_regex_match, `${path}.safe_regex_match`);
    test = (v) => re.test(v);
  } else if (m.range_match !== undefined) {
    const start = m.range_match.start ?? 0;
    const end = m.range_match.end ?? 0;
    test = (v) => {
      if (!/^-?\d+$/.test(v)) return false;
      const n = Number(v);
      return n >= start && n < end;
    };
  } else if (m.present_match !== undefined) {
    isPresenceCheck = true;
    presentWanted = m.present_match;
    test = () => presentWanted;
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
  } else {
    isPresenceCheck = true; // only a name: "is the header present?"
    test = () => true;
  }
  return (headers) => {
    const values = headers.getAll(name);
    if (values.length === 0 && !missingAsEmpty) {
      if (invert) return !isPresenceCheck;
      return isPresenceCheck && !presentWanted;
    }
    const joined = values.length === 1 ? values[0]! : values.join(',');
    return test(joined) !== invert;
  };
}

export function compileHeaderMatchers(list: envoy.config.route.v3.HeaderMatcher[] | undefined, path: string): HeaderPredicate[] {
  return (list ?? []).map((m, i) => compileHeaderMatcher(m, `${path}[${i}]`));
}

export type QueryPredicate = (params: URLSearchParams) => boolean;

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
