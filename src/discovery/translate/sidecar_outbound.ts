// A local-mesh sidecar's outbound side (see model/local_addresses.ts): without iptables,
// the sidecar binds one listener per service port at this pod's own address for that
// service (127.(16+H).L.S), and the app is given that address as S_SERVICE_HOST. HTTP
// ports share Istio's per-port route config ("80"), one virtual host per service with
// Istio's domains plus the pod's view address; TCP ports forward with tcp_proxy.
// The route configs and the TCP chains are shared with a Sidecar's bound egress
// listeners (sidecar_egress.ts).
import type { Service, ServicePort } from '../model/types.js';
import { serviceViewAddress } from '../model/local_addresses.js';
import { hostMatches } from '../model/hosts.js';
import { hasOutboundCluster } from './clusters.js';
import type { TranslateContext } from './context.js';
import { HTTP_INSPECTOR_TYPE, listenerName, socketAddress, TLS_INSPECTOR_TYPE, typed, type Json } from './envoy.js';
import { buildVirtualServiceRoutes, defaultServiceRoute, type VirtualService } from './http_routes.js';
import { firstTcpRoute, sniRoutes } from './l4_routes.js';
import { outboundClusterName } from './names.js';
import { httpConnectionManager, tcpProxy, type TcpTarget } from './network_filters.js';
import { isHttpProtocol } from './traffic_policy.js';

export const carriesHttp = (p: ServicePort): boolean => isHttpProtocol(p.protocol) || p.protocol === 'UnsupportedProtocol';

/** The VirtualService (bound to "mesh") that claims each service, first one wins as in Istio. */
export function virtualServiceByHost(ctx: TranslateContext, services: readonly Service[]): Map<string, VirtualService> {
  const out = new Map<string, VirtualService>();
  for (const vs of ctx.push.virtualServicesFor('mesh', ctx.proxy.namespace)) {
    for (const raw of vs.spec.hosts ?? []) {
      if (typeof raw !== 'string') continue;
      const host = ctx.resolveHost(raw, vs.metadata.namespace);
      for (const svc of services) {
        if (!hostMatches(host, svc.hostname)) continue;
        const first = out.get(svc.hostname);
        if (!first) out.set(svc.hostname, vs);
        else if (first !== vs && vs.spec.http?.length) {
          ctx.warn(vs, `host ${svc.hostname} is already claimed by VirtualService ${first.metadata.namespace}/${first.metadata.name}; ignored for it, as Istio does`);
        }
      }
    }
  }
  return out;
}

/** Istio's domains for a service (name, name.ns.svc, name.ns when in the proxy's namespace), plus its addresses. */
export function serviceDomains(ctx: TranslateContext, svc: Service, viewAddress: string | undefined): string[] {
  const out = [svc.hostname];
  const suffix = `.svc.${ctx.domainSuffix}`;
  if (svc.hostname.endsWith(suffix)) {
    const base = svc.hostname.slice(0, -suffix.length);
    const dot = base.lastIndexOf('.');
    if (dot > 0) {
      const name = base.slice(0, dot);
      const ns = base.slice(dot + 1);
      if (ns === ctx.proxy.namespace) out.push(name, `${base}.svc`, base);
      else out.push(base, `${base}.svc`);
    }
  }
  if (svc.address && svc.address !== viewAddress) out.push(svc.address);
  if (viewAddress) out.push(viewAddress);
  return out;
}

/** This pod's address for a service, or undefined for services without a local index (ServiceEntry hosts). */
export function viewAddressOf(svc: Service, podIndex: number): string | undefined {
  return Number.isInteger(svc.localIndex) && svc.localIndex >= 1 ? serviceViewAddress(podIndex, svc.localIndex) : undefined;
}

/** A listener's filter chains and the listener filters they need. */
export interface ListenerChains {
  filter_chains: Json[];
  listener_filters?: Json[];
}

/** The service's cluster for a TCP connection on `port`, or the destination of the first `tcp` rule that applies. */
export function tcpTargetFor(ctx: TranslateContext, svc: Service, port: number, vs: VirtualService | undefined): TcpTarget {
  return firstTcpRoute(ctx, vs ? [vs] : [], { gateway: 'mesh', port })?.target ?? { cluster: outboundClusterName(port, undefined, svc.hostname) };
}

/** A TCP-ish listener's chains for one service: `tls` rules by SNI first (TLS / HTTPS ports), then tcp_proxy. */
export function l4Chains(ctx: TranslateContext, svc: Service, port: ServicePort, vs: VirtualService | undefined): ListenerChains {
  const scope = { gateway: 'mesh', port: port.port };
  const sni = port.protocol === 'TLS' || port.protocol === 'HTTPS' ? sniRoutes(ctx, vs ? [vs] : [], scope) : [];
  const chains: Json[] = sni.map((r) => ({ filter_chain_match: { server_names: r.serverNames }, filters: [tcpProxy(r.target)] }));
  chains.push({ filters: [tcpProxy(tcpTargetFor(ctx, svc, port.port, vs))] });
  const out: ListenerChains = { filter_chains: chains };
  if (sni.length) out.listener_filters = [{ name: 'envoy.filters.listener.tls_inspector', typed_config: typed(TLS_INSPECTOR_TYPE) }];
  return out;
}

/** HTTP with RDS `<port>`; for ports of unknown protocol Istio's sniffing, falling back to `tcp`. */
export function httpChains(ctx: TranslateContext, statPrefix: string, port: ServicePort, tcp: () => TcpTarget): ListenerChains {
  const http = httpConnectionManager(ctx, 'outbound', statPrefix, { rds: String(port.port) });
  if (port.protocol !== 'UnsupportedProtocol') return { filter_chains: [{ filters: [http] }] };
  return {
    filter_chains: [{ filter_chain_match: { application_protocols: ['http/1.1', 'h2c'] }, filters: [http] }, { filters: [tcpProxy(tcp())] }],
    listener_filters: [{ name: 'envoy.filters.listener.http_inspector', typed_config: typed(HTTP_INSPECTOR_TYPE) }],
  };
}

export interface ViewListeners {
  listeners: Json[];
  /** Ports whose route config ("PORT") these services need. */
  httpPorts: Set<number>;
}

/** One listener per service port at this pod's view address of the service. */
export function buildViewListeners(ctx: TranslateContext, services: readonly Service[], podIndex: number): ViewListeners {
  const out: ViewListeners = { listeners: [], httpPorts: new Set() };
  const vsByHost = virtualServiceByHost(ctx, services);
  for (const svc of services) {
    if (!hasOutboundCluster(ctx, svc)) continue;
    svc.ports.filter(carriesHttp).forEach((p) => out.httpPorts.add(p.port));
    // Services without a local index (ServiceEntry hosts) get routes but no listener:
    // nothing in the local mesh hands their address to an app.
    const address = viewAddressOf(svc, podIndex);
    if (!address) continue;
    const vs = vsByHost.get(svc.hostname);
    for (const port of svc.ports) {
      const statPrefix = `outbound_${address}_${port.port}`;
      const chains = carriesHttp(port) ? httpChains(ctx, statPrefix, port, () => tcpTargetFor(ctx, svc, port.port, vs)) : l4Chains(ctx, svc, port, vs);
      out.listeners.push({ name: listenerName(address, port.port), address: socketAddress(address, port.port), ...chains, traffic_direction: 'OUTBOUND' });
    }
  }
  return out;
}

/**
 * Route configuration "PORT": a virtual host per HTTP service with that port, named
 * `<hostname>:<port>`, routes from the first VirtualService bound to `mesh` that claims
 * the host, else Istio's default route. Domains already taken by an earlier service
 * are left out, as Istio dedupes them.
 */
export function outboundRouteConfig(ctx: TranslateContext, port: number, services: readonly Service[], podIndex: number): Json {
  const vsByHost = virtualServiceByHost(ctx, services);
  const used = new Set<string>();
  const vhosts: Json[] = [];
  for (const svc of services) {
    const own = svc.ports.find((p) => p.port === port);
    if (!own || !carriesHttp(own) || !hasOutboundCluster(ctx, svc)) continue;
    const domains = serviceDomains(ctx, svc, viewAddressOf(svc, podIndex)).filter((d) => !used.has(d));
    domains.forEach((d) => used.add(d));
    const vs = vsByHost.get(svc.hostname);
    let routes = vs ? buildVirtualServiceRoutes(ctx, vs, { gateway: 'mesh', port }) : [];
    // No applicable rule (e.g. all matched other sources): the service's plain route.
    if (routes.length === 0) routes = [defaultServiceRoute(ctx, outboundClusterName(port, undefined, svc.hostname), svc.hostname, port)];
    vhosts.push({ name: `${svc.hostname}:${port}`, domains, routes, include_request_attempt_count: true });
  }
  vhosts.sort((a, b) => (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0));
  return { name: String(port), virtual_hosts: vhosts, validate_clusters: false, ignore_port_in_host_matching: true };
}
