// Envoy's string matchers (envoy.type.matcher.v3.StringMatcher and its relatives),
// compiled once at config time into plain predicates.
import type { envoy } from '../../api/envoy-types.generated.js';
import { ConfigError } from '../../api/json/issues.js';
import { spanOf } from '../../api/json/spans.js';
import { compileRe2 } from './regex.js';

export type StringPredicate = (value: string) => boolean;

export function compileRegexMatcher(m: envoy.type.matcher.v3.RegexMatcher | undefined, path: string): RegExp {
  const pattern = m?.regex ?? '';
  try {
    return compileRe2(pattern, true);
  } catch (err) {
    throw ConfigError.single(path, `invalid regex ${JSON.stringify(pattern)}: ${(err as Error).message}`, spanOf(m));
  }
}

export function compileStringMatcher(m: envoy.type.matcher.v3.StringMatcher, path: string): StringPredicate {
  const ignoreCase = m.ignore_case === true;
  const norm = ignoreCase ? (s: string) => s.toLowerCase() : (s: string) => s;
  if (m.exact !== undefined) {
    const want = norm(m.exact);
    return (v) => norm(v) === want;
  }
  if (m.prefix !== undefined) {
    const want = norm(m.prefix);
    return (v) => norm(v).startsWith(want);
  }
  if (m.suffix !== undefined) {
    const want = norm(m.suffix);
    return (v) => norm(v).endsWith(want);
  }
  if (m.contains !== undefined) {
    const want = norm(m.contains);
    return (v) => norm(v).includes(want);
  }
  if (m.safe_regex !== undefined) {
    if (ignoreCase) throw ConfigError.single(`${path}.ignore_case`, 'ignore_case has no effect for safe_regex', spanOf(m));
    const re = compileRegexMatcher(m.safe_regex, `${path}.safe_regex`);
    return (v) => re.test(v);
  }
  throw ConfigError.single(path, 'string matcher needs one of exact, prefix, suffix, contains, safe_regex', spanOf(m));
}

export function compileStringMatchers(list: envoy.type.matcher.v3.StringMatcher[] | undefined, path: string): StringPredicate[] {
  return (list ?? []).map((m, i) => compileStringMatcher(m, `${path}[${i}]`));
}
