// A local-mesh sidecar's outbound side (see model/local_addresses.ts): without iptables,
// the sidecar binds one listener per service port at this pod's own address for that
// service (127.(16+H).L.S), and the app is given that address as S_SERVICE_HOST. HTTP
// ports share Istio's per-port route config ("80"), one virtual host per service with
// Istio's domains plus the pod's view address; TCP ports forward with tcp_proxy.
import type { Service, ServicePort } from '../model/types.js';
import { serviceViewAddress } from '../model/local_addresses.js';
import { hostMatches } from '../model/hosts.js';
import { hasOutboundCluster } from './clusters.js';
import type { TranslateContext } from './context.js';
import { HTTP_INSPECTOR_TYPE, listenerName, socketAddress, TLS_INSPECTOR_TYPE, typed, type Json } from './envoy.js';
import { buildVirtualServiceRoutes, defaultServiceRoute, type VirtualService } from './http_routes.js';
import { firstTcpRoute, sniRoutes } from './l4_routes.js';
import { outboundClusterName } from './names.js';
import { httpConnectionManager, tcpProxy } from './network_filters.js';
import { isHttpProtocol } from './traffic_policy.js';

export interface OutboundResources {
  listeners: Json[];
  routes: Json[];
}

const carriesHttp = (p: ServicePort): boolean => isHttpProtocol(p.protocol) || p.protocol === 'UnsupportedProtocol';

/** The VirtualService (bound to "mesh") that claims each service, first one wins as in Istio. */
function virtualServiceByHost(ctx: TranslateContext, services: readonly Service[]): Map<string, VirtualService> {
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

export function buildLocalOutbound(ctx: TranslateContext, services: readonly Service[], podIndex: number): OutboundResources {
  const out: OutboundResources = { listeners: [], routes: [] };
  const vsByHost = virtualServiceByHost(ctx, services);
  const vhostsByPort = new Map<number, Json[]>();
  const domainsByPort = new Map<number, Set<string>>();
  for (const svc of services) {
    if (!hasOutboundCluster(ctx, svc)) continue;
    // Services without a local index (ServiceEntry hosts) get routes but no listener:
    // nothing in the local mesh hands their address to an app.
    const address = Number.isInteger(svc.localIndex) && svc.localIndex >= 1 ? serviceViewAddress(podIndex, svc.localIndex) : undefined;
    const vs = vsByHost.get(svc.hostname);
    for (const port of svc.ports) {
      const listener: Json = address ? { name: listenerName(address, port.port), address: socketAddress(address, port.port) } : {};
      const statPrefix = `outbound_${address}_${port.port}`;
      const http = () => httpConnectionManager(ctx, 'outbound', statPrefix, { rds: String(port.port) });
      const scope = { gateway: 'mesh', port: port.port };
      const vsList = vs ? [vs] : [];
      const tcpTarget = () => firstTcpRoute(ctx, vsList, scope)?.target ?? { cluster: outboundClusterName(port.port, undefined, svc.hostname) };
      if (carriesHttp(port)) {
        const used = domainsByPort.get(port.port) ?? new Set<string>();
        domainsByPort.set(port.port, used);
        const domains = serviceDomains(ctx, svc, address).filter((d) => !used.has(d));
        domains.forEach((d) => used.add(d));
        let routes = vs ? buildVirtualServiceRoutes(ctx, vs, scope) : [];
        // No applicable rule (e.g. all matched other sources): the service's plain route.
        if (routes.length === 0) routes = [defaultServiceRoute(ctx, outboundClusterName(port.port, undefined, svc.hostname), svc.hostname, port.port)];
        const vhosts = vhostsByPort.get(port.port) ?? [];
        vhosts.push({ name: `${svc.hostname}:${port.port}`, domains, routes, include_request_attempt_count: true });
        vhostsByPort.set(port.port, vhosts);
        if (port.protocol === 'UnsupportedProtocol') {
          listener.filter_chains = [{ filter_chain_match: { application_protocols: ['http/1.1', 'h2c'] }, filters: [http()] }, { filters: [tcpProxy(tcpTarget())] }];
          listener.listener_filters = [{ name: 'envoy.filters.listener.http_inspector', typed_config: typed(HTTP_INSPECTOR_TYPE) }];
        } else {
          listener.filter_chains = [{ filters: [http()] }];
        }
      } else if (address) {
        const sni = port.protocol === 'TLS' || port.protocol === 'HTTPS' ? sniRoutes(ctx, vsList, scope) : [];
        const chains: Json[] = sni.map((r) => ({ filter_chain_match: { server_names: r.serverNames }, filters: [tcpProxy(r.target)] }));
        chains.push({ filters: [tcpProxy(tcpTarget())] });
        listener.filter_chains = chains;
        if (sni.length) listener.listener_filters = [{ name: 'envoy.filters.listener.tls_inspector', typed_config: typed(TLS_INSPECTOR_TYPE) }];
      }
      listener.traffic_direction = 'OUTBOUND';
      if (address) out.listeners.push(listener);
    }
  }
  for (const [port, vhosts] of vhostsByPort) {
    vhosts.sort((a, b) => (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0));
    out.routes.push({ name: String(port), virtual_hosts: vhosts, validate_clusters: false, ignore_port_in_host_matching: true });
  }
  return out;
}
