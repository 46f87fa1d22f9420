// Everything a local-mesh sidecar listens on, put together in the order that decides
// clashes: the proxy's own ports, then the inbound side (a Sidecar's ingress listeners,
// else one listener per served port) and the app sockets it forwards to, then the
// Sidecar's bound egress listeners; the per-service view-address listeners live on
// addresses nothing else may bind. Route configs are built last, one per HTTP port any
// listener names, from the egress listener that owns the port (sidecar_scope.ts).
import type { TranslateContext } from './context.js';
import type { Json } from './envoy.js';
import { ListenerAddresses, podIpOf } from './sidecar_addresses.js';
import { buildBoundEgress } from './sidecar_egress.js';
import { buildInbound, type InboundResources } from './sidecar_inbound.js';
import { buildSidecarIngress } from './sidecar_ingress.js';
import { buildViewListeners, carriesHttp, outboundRouteConfig } from './sidecar_outbound.js';
import { routeOwner, routeServices, type SidecarScope } from './sidecar_scope.js';

export interface LocalSidecarResources {
  listeners: Json[];
  routes: Json[];
  clusters: Json[];
}

export function buildLocalSidecar(ctx: TranslateContext, scope: SidecarScope, podIndex: number): LocalSidecarResources {
  const addresses = new ListenerAddresses(podIpOf(ctx));
  const inbound = buildInboundSide(ctx, scope, addresses);
  const egress = buildBoundEgress(ctx, scope, addresses);
  const view = buildViewListeners(ctx, scope.captured, podIndex);
  const ports = [...new Set([...view.httpPorts, ...egress.httpPorts])].sort((a, b) => a - b);
  warnShadowedServices(ctx, scope, view.httpPorts);
  return {
    listeners: [...inbound.listeners, ...egress.listeners, ...view.listeners],
    routes: ports.map((port) => outboundRouteConfig(ctx, port, routeServices(scope, port), podIndex)),
    clusters: inbound.clusters,
  };
}

function buildInboundSide(ctx: TranslateContext, scope: SidecarScope, addresses: ListenerAddresses): InboundResources {
  if (scope.sidecar?.spec.ingress?.some((e) => e)) return buildSidecarIngress(ctx, scope.sidecar, addresses);
  const inbound = buildInbound(ctx);
  inbound.listeners.forEach((l) => addresses.claimListener(l));
  // The app listens where the inbound clusters send; an egress listener there would clash with it.
  inbound.appSockets.forEach((a) => addresses.claimApp(a.address, a.port));
  return inbound;
}

/**
 * As in Istio, route config "PORT" holds the hosts of the egress listener with that
 * port, so a captured service on the same port (from the catch-all listener) has a
 * view-address listener but no route there. Say so rather than leave a silent 404.
 */
function warnShadowedServices(ctx: TranslateContext, scope: SidecarScope, viewPorts: ReadonlySet<number>): void {
  for (const port of viewPorts) {
    const owner = routeOwner(scope, port);
    if (!owner?.port) continue;
    const routed = new Set(routeServices(scope, port).map((s) => s.hostname));
    const shadowed = scope.captured.filter((s) => !routed.has(s.hostname) && s.ports.some((p) => p.port === port && carriesHttp(p)));
    if (shadowed.length === 0) continue;
    ctx.warn(
      scope.sidecar,
      `${owner.where}: route config "${port}" holds this listener's hosts (in Istio the egress listener with the most specific port decides the hosts on a port), so ${shadowed.map((s) => `${s.hostname}:${port}`).join(', ')} get no route there`,
    );
  }
}
