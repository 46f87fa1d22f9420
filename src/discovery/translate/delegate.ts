// VirtualService delegation: a root rule with `delegate` hands its requests to the
// rules of another VirtualService (one with no hosts of its own). The delegate's rules
// take the place of the root rule, each match narrowed by the root rule's matches —
// a delegate may refine what the root matched but not widen it, so a pair whose uri
// (or header, method, ...) contradicts the root's is dropped, as Istio does. Only one
// level of delegation is followed, like Istio.
import type { HTTPMatchRequest, HTTPRoute, StringMatch } from '../../api/istio/types.js';
import type { TranslateContext } from './context.js';
import type { VirtualService } from './http_routes.js';

export interface ExpandedRule {
  rule: HTTPRoute;
  /** The VirtualService the rule was written in (host short names resolve in its namespace). */
  owner: VirtualService;
  /** The VirtualService the route is reported under (route metadata, decorator). */
  root: VirtualService;
}

export function expandDelegates(ctx: TranslateContext, vs: VirtualService): ExpandedRule[] {
  const out: ExpandedRule[] = [];
  for (const rule of Array.isArray(vs.spec.http) ? vs.spec.http : []) {
    if (!rule || typeof rule !== 'object') continue;
    if (!rule.delegate) {
      out.push({ rule, owner: vs, root: vs });
      continue;
    }
    const ns = rule.delegate.namespace || vs.metadata.namespace;
    const target = ctx.push.virtualServices().find((v) => v.metadata.name === rule.delegate!.name && v.metadata.namespace === ns);
    if (!target) {
      ctx.warn(vs, `delegate VirtualService ${ns}/${rule.delegate.name} does not exist; the rule is skipped`);
      continue;
    }
    if (target.spec.hosts?.length) {
      ctx.warn(target, `is used as a delegate by ${vs.metadata.namespace}/${vs.metadata.name} but sets hosts; a delegate must not, so it is skipped`);
      continue;
    }
    for (const child of Array.isArray(target.spec.http) ? target.spec.http : []) {
      if (!child || typeof child !== 'object') continue;
      if (child.delegate) {
        ctx.warn(target, 'a delegate VirtualService cannot delegate again; the rule is skipped');
        continue;
      }
      const matches = mergeMatchLists(rule.match, child.match);
      if (matches === null) continue;
      out.push({ rule: { ...child, match: matches }, owner: target, root: vs });
    }
  }
  return out;
}

/** Every (root, child) pair merged; undefined means "match everything"; null when every pair conflicts. */
function mergeMatchLists(root: HTTPMatchRequest[] | undefined, child: HTTPMatchRequest[] | undefined): HTTPMatchRequest[] | undefined | null {
  if (!root?.length) return child?.length ? child : undefined;
  if (!child?.length) return root;
  const out: HTTPMatchRequest[] = [];
  for (const r of root) for (const c of child) {
    const m = mergeMatch(r, c);
    if (m) out.push(m);
  }
  return out.length ? out : null;
}

function sameStringMatch(a: StringMatch, b: StringMatch): boolean {
  return a.exact === b.exact && a.prefix === b.prefix && a.regex === b.regex;
}

/** The child's uri must stay inside the root's (a prefix it extends, or an exact path under it). */
function uriWithin(root: StringMatch, child: StringMatch): boolean {
  if (sameStringMatch(root, child)) return true;
  if (root.prefix !== undefined) {
    if (child.prefix !== undefined) return child.prefix.startsWith(root.prefix);
    if (child.exact !== undefined) return child.exact.startsWith(root.prefix);
  }
  return false;
}

function mergeMaps(a: Record<string, StringMatch> | undefined, b: Record<string, StringMatch> | undefined): Record<string, StringMatch> | undefined | null {
  if (!a) return b;
  if (!b) return a;
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) {
    if (out[k] && !sameStringMatch(out[k]!, v)) return null;
    out[k] = v;
  }
  return out;
}

function mergeMatch(root: HTTPMatchRequest, child: HTTPMatchRequest): HTTPMatchRequest | null {
  const out: HTTPMatchRequest = { ...root, ...stripUndefined(child) };
  if (root.uri && child.uri && !uriWithin(root.uri, child.uri)) return null;
  for (const key of ['method', 'authority', 'scheme'] as const) {
    if (root[key] && child[key] && !sameStringMatch(root[key]!, child[key]!)) return null;
  }
  if (root.port && child.port && root.port !== child.port) return null;
  for (const key of ['headers', 'withoutHeaders', 'queryParams'] as const) {
    const merged = mergeMaps(root[key], child[key]);
    if (merged === null) return null;
    if (merged) out[key] = merged;
  }
  if (root.name && child.name) out.name = `${root.name}-${child.name}`;
  return out;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
