// VirtualService HTTPMatchRequest → Envoy RouteMatch. Istio's shape: the path is a
// prefix "/" unless `uri` says otherwise; every explicit match carries case_sensitive;
// headers (plus :authority, :method and :scheme from authority/method/scheme) and query
// parameters are sorted by name so the output does not depend on YAML key order.
import type { HTTPMatchRequest, StringMatch } from '../../api/istio/types.js';
import type { Json } from './envoy.js';

/** A StringMatch as Envoy's StringMatcher, or undefined when it sets nothing. */
export function stringMatcher(m: StringMatch | undefined): Json | undefined {
  if (!m) return undefined;
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { safe_regex: { regex: m.regex } };
  return undefined;
}

function headerMatcher(name: string, m: StringMatch | undefined, invert: boolean): Json {
  const out: Json = { name };
  const sm = stringMatcher(m);
  // An empty StringMatch ({}), or an empty prefix, asks only whether the header is there.
  if (!sm || (m?.prefix === '' && m.exact === undefined && m.regex === undefined)) out.present_match = true;
  else out.string_match = sm;
  if (invert) out.invert_match = true;
  return out;
}

const byHeaderName = (a: Json, b: Json): number => {
  const x = String(a.name);
  const y = String(b.name);
  return x < y ? -1 : x > y ? 1 : 0;
};

export function translateRouteMatch(match: HTTPMatchRequest | undefined): Json {
  if (!match) return { prefix: '/' };
  const out: Json = {};
  const uri = match.uri;
  if (uri?.exact !== undefined) out.path = uri.exact;
  else if (uri?.prefix !== undefined) out.prefix = uri.prefix;
  else if (uri?.regex !== undefined) out.safe_regex = { regex: uri.regex };
  else out.prefix = '/';
  out.case_sensitive = match.ignoreUriCase !== true;

  const headers: Json[] = [];
  for (const [name, m] of Object.entries(match.headers ?? {})) headers.push(headerMatcher(name.toLowerCase(), m, false));
  for (const [name, m] of Object.entries(match.withoutHeaders ?? {})) headers.push(headerMatcher(name.toLowerCase(), m, true));
  if (match.authority) headers.push(headerMatcher(':authority', match.authority, false));
  if (match.method) headers.push(headerMatcher(':method', match.method, false));
  if (match.scheme) headers.push(headerMatcher(':scheme', match.scheme, false));
  if (headers.length) out.headers = headers.sort(byHeaderName);

  const query: Json[] = [];
  for (const [name, m] of Object.entries(match.queryParams ?? {})) {
    const sm = stringMatcher(m);
    query.push(sm && !(m.exact === '' || m.prefix === '') ? { name, string_match: sm } : { name, present_match: true });
  }
  if (query.length) out.query_parameters = query.sort(byHeaderName);
  return out;
}

/** Istio's catch-all: a match that adds nothing to "prefix /" ends a VirtualService's rule list. */
export function isCatchAllMatch(match: HTTPMatchRequest | undefined): boolean {
  if (!match) return true;
  // As Istio: only an explicit prefix "/" (or regex "*") counts; a match without uri does not.
  const uriCatchAll = match.uri?.prefix === '/' || match.uri?.regex === '*';
  return (
    uriCatchAll &&
    !match.headers &&
    !match.withoutHeaders &&
    !match.queryParams &&
    !match.method &&
    !match.authority &&
    !match.scheme &&
    !match.port &&
    !match.sourceLabels &&
    !match.sourceNamespace &&
    !match.gateways
  );
}

/** The path part of a decorator operation: "/*" for prefix "/", "/api*" for prefix "/api", the path or regex otherwise. */
export function operationPath(match: Json): string {
  if (typeof match.prefix === 'string') return `${match.prefix}*`;
  if (typeof match.path === 'string') return match.path;
  const re = match.safe_regex as { regex?: string } | undefined;
  if (re?.regex !== undefined) return re.regex;
  return '/*';
}
