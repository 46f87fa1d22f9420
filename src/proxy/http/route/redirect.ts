// route.redirect compiled, and the Location header Envoy builds for a redirect or a
// 3xx/201 direct response (Http::Utility::newUri). The route's prefix_rewrite /
// regex_rewrite is applied to :path before this runs (Route.rewriteRedirectPath).
import type { envoy } from '../../../api/envoy-types.generated.js';
import { ConfigError } from '../../../api/json/issues.js';
import { spanOf } from '../../../api/json/spans.js';
import { compileRe2Rewrite, type Re2Rewriter } from '../../common/regex.js';
import type { HeaderMap } from '../header_map.js';

export interface RedirectAction {
  /** scheme_redirect, or "https" for https_redirect. */
  scheme?: string;
  /** host_redirect: replaces the whole host (and any port) of the request. */
  host?: string;
  port?: number;
  path?: string;
  /** path_redirect carries its own query: it wins over the request's and strip_query. */
  pathHasQuery: boolean;
  prefixRewrite?: string;
  regexRewrite?: Re2Rewriter;
  status: number;
  stripQuery: boolean;
  /** The virtual host's require_tls redirect: https://<host as sent><path>. */
  sslRedirect?: boolean;
}

const REDIRECT_CODES: Record<string, number> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

export function compileRedirect(r: envoy.config.route.v3.RedirectAction, path: string): RedirectAction {
  let regexRewrite: Re2Rewriter | undefined;
  if (r.regex_rewrite) {
    if (!r.regex_rewrite.pattern?.regex) throw ConfigError.single(`${path}.regex_rewrite.pattern`, 'regex is required', spanOf(r));
    try {
      regexRewrite = compileRe2Rewrite(r.regex_rewrite.pattern.regex, r.regex_rewrite.substitution ?? '');
    } catch (err) {
      throw ConfigError.single(`${path}.regex_rewrite`, `invalid regex rewrite: ${(err as Error).message}`, spanOf(r));
    }
  }
  return {
    scheme: r.scheme_redirect ? r.scheme_redirect : r.https_redirect ? 'https' : undefined,
    host: r.host_redirect || undefined,
    port: r.port_redirect || undefined,
    path: r.path_redirect || undefined,
    pathHasQuery: (r.path_redirect ?? '').includes('?'),
    prefixRewrite: r.prefix_rewrite || undefined,
    regexRewrite,
    status: REDIRECT_CODES[r.response_code ?? 'MOVED_PERMANENTLY'] ?? 301,
    stripQuery: r.strip_query === true,
  };
}

/** The request's scheme: a valid x-forwarded-proto (what Envoy's :scheme holds for HTTP/1), else :scheme. */
function requestScheme(headers: HeaderMap): string {
  const xfp = headers.get('x-forwarded-proto')?.toLowerCase();
  if (xfp === 'http' || xfp === 'https') return xfp;
  return headers.get(':scheme') ?? 'http';
}

/**
 * The request's host for the Location header. Its port is dropped when a port_redirect
 * replaces it, or when the scheme changes and the port was the old scheme's default
 * (http://h:80 → https://h). A default port is otherwise kept as sent.
 */
function processRequestHost(headers: HeaderMap, newScheme: string, newPort: string): string {
  const host = headers.get(':authority') ?? '';
  if (!host) return host;
  let end: number;
  if (host.startsWith('[')) {
    end = host.lastIndexOf(']:');
    if (end >= 0) end += 1;
  } else end = host.lastIndexOf(':');
  if (end < 0) return host;
  const port = host.slice(end);
  const proto = (headers.get('x-forwarded-proto') ?? '').toLowerCase();
  let remove = newPort !== '';
  if (newScheme !== proto) remove ||= (proto === 'https' && port === ':443') || (proto === 'http' && port === ':80');
  return remove ? host.slice(0, end) : host;
}

/** Location for `redirect` (or, without one, for a 3xx/201 direct response). */
export function newUri(redirect: RedirectAction | undefined, headers: HeaderMap): string {
  const path = headers.get(':path') ?? '/';
  if (redirect?.sslRedirect) return `https://${headers.get(':authority') ?? ''}${path}`;
  const scheme = redirect?.scheme ?? requestScheme(headers);
  const port = redirect?.port !== undefined ? `:${redirect.port}` : '';
  const host = redirect?.host ?? processRequestHost(headers, scheme, port);
  let finalPath = path;
  if (redirect?.path !== undefined) {
    finalPath = redirect.path;
    if (!redirect.pathHasQuery) {
      const q = path.indexOf('?');
      if (q >= 0) finalPath += path.slice(q);
    }
  }
  if (!finalPath.startsWith('/')) finalPath = `/${finalPath}`;
  if (redirect && !redirect.pathHasQuery && redirect.stripQuery) {
    const q = finalPath.indexOf('?');
    if (q >= 0) finalPath = finalPath.slice(0, q);
  }
  return `${scheme}://${host}${port}${finalPath}`;
}

/** "host:port" → [host, port]; IPv6 literals keep their brackets. */
export function splitHostPort(authority: string): [string, string | undefined] {
  if (authority.startsWith('[')) {
    const end = authority.indexOf(']');
    const rest = authority.slice(end + 1);
    return [authority.slice(0, end + 1), rest.startsWith(':') ? rest.slice(1) : undefined];
  }
  const colon = authority.lastIndexOf(':');
  if (colon < 0 || authority.indexOf(':') !== colon) return [authority, undefined];
  return [authority.slice(0, colon), authority.slice(colon + 1)];
}
