// VirtualService `tcp` and `tls` rules: where a TCP connection (or a TLS connection, by
// its SNI) goes. The first rule whose match applies wins, in VirtualService order.
import type { L4MatchAttributes, RouteDestination, TLSRoute } from '../../api/istio/types.js';
import { hostMatches, resolveGatewayName } from '../model/hosts.js';
import { selectorMatches } from '../model/labels.js';
import type { TranslateContext } from './context.js';
import { destinationCluster, type RouteScope, type VirtualService } from './http_routes.js';
import type { TcpTarget } from './network_filters.js';

function l4MatchApplies(ctx: TranslateContext, m: L4MatchAttributes, owner: VirtualService, scope: RouteScope): boolean {
  if (m.gateways?.length) {
    if (!m.gateways.map((g) => resolveGatewayName(g, owner.metadata.namespace)).includes(scope.gateway)) return false;
  } else if (m.sourceLabels && !selectorMatches(m.sourceLabels, ctx.proxy.labels)) {
    return false;
  }
  if (m.port && m.port !== scope.port) return false;
  if (m.sourceNamespace && m.sourceNamespace !== ctx.proxy.namespace) return false;
  return true;
}

export function tcpTarget(ctx: TranslateContext, route: RouteDestination[] | undefined, owner: VirtualService, scope: RouteScope): TcpTarget | undefined {
  const dests = (Array.isArray(route) ? route : []).filter((d) => typeof d?.destination?.host === 'string');
  if (dests.length === 0) {
    ctx.warn(owner, 'tcp/tls rule has no route; skipped');
    return undefined;
  }
  if (dests.length === 1) return { cluster: destinationCluster(ctx, dests[0]!.destination, owner, scope.port) };
  const weighted = dests
    .filter((d) => (d.weight ?? 0) > 0)
    .map((d) => ({ name: destinationCluster(ctx, d.destination, owner, scope.port), weight: d.weight! }));
  if (weighted.length === 0) {
    ctx.warn(owner, 'tcp/tls rule has several destinations and none with a weight; skipped');
    return undefined;
  }
  return weighted.length === 1 ? { cluster: weighted[0]!.name } : { weighted };
}

/** The first `tcp` rule of these VirtualServices that applies in `scope`. */
export function firstTcpRoute(ctx: TranslateContext, services: readonly VirtualService[], scope: RouteScope): { target: TcpTarget; vs: VirtualService } | undefined {
  for (const vs of services) {
    for (const rule of Array.isArray(vs.spec.tcp) ? vs.spec.tcp : []) {
      if (!rule || typeof rule !== 'object') continue;
      if (Array.isArray(rule.match) && rule.match.length && !rule.match.some((m) => m && l4MatchApplies(ctx, m, vs, scope))) continue;
      const target = tcpTarget(ctx, rule.route, vs, scope);
      if (target) return { target, vs };
    }
  }
  return undefined;
}

export interface SniRoute {
  serverNames: string[];
  target: TcpTarget;
  vs: VirtualService;
}

/**
 * SNI routes from `tls` rules: each applying match's sniHosts (narrowed to the hosts
 * the listener serves, when given) → one filter chain. A name already routed is not
 * routed again (first rule wins).
 */
export function sniRoutes(ctx: TranslateContext, services: readonly VirtualService[], scope: RouteScope, allowedHosts?: readonly string[]): SniRoute[] {
  const out: SniRoute[] = [];
  const taken = new Set<string>();
  for (const vs of services) {
    for (const rule of (Array.isArray(vs.spec.tls) ? vs.spec.tls : []) as TLSRoute[]) {
      if (!rule || typeof rule !== 'object') continue;
      for (const m of Array.isArray(rule.match) ? rule.match : []) {
        if (!m || !l4MatchApplies(ctx, m, vs, scope)) continue;
        const names: string[] = [];
        for (const sni of Array.isArray(m.sniHosts) ? m.sniHosts : []) {
          if (typeof sni !== 'string') continue;
          const allowed = !allowedHosts || allowedHosts.some((h) => hostMatches(h, sni) || hostMatches(sni, h));
          if (!allowed) {
            ctx.warn(vs, `sniHost "${sni}" is not among the hosts the gateway server accepts; ignored`);
            continue;
          }
          if (!taken.has(sni)) names.push(sni);
        }
        if (names.length === 0) continue;
        const target = tcpTarget(ctx, rule.route, vs, scope);
        if (!target) continue;
        for (const n of names) taken.add(n);
        out.push({ serverNames: names, target, vs });
      }
    }
  }
  return out;
}
