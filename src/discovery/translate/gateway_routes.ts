// A gateway's route configuration for a set of servers sharing it: one virtual host
// per host a VirtualService bound to the gateway claims within a server's hosts,
// named "<host>:<server port>" with just the host as its domain (the route config
// ignores ports), VirtualServices for one host merged in order; httpsRedirect hosts
// get a TLS-requiring virtual host even without a VirtualService; and when nothing is
// left, Istio's "blackhole:<port>" virtual host, whose empty route list makes every
// request a 404.
import type { GatewayServer } from '../../api/istio/types.js';
import { hostMatches } from '../model/hosts.js';
import type { TranslateContext } from './context.js';
import type { Json } from './envoy.js';
import type { ServerEntry } from './gateway.js';
import { buildVirtualServiceRoutes } from './http_routes.js';

interface ServerHost {
  /** Namespace the VirtualService must be in: "*" for any. */
  namespace: string;
  host: string;
}

function parseServerHosts(server: GatewayServer, gatewayNamespace: string): ServerHost[] {
  return (server.hosts ?? []).filter((h): h is string => typeof h === 'string').map((h) => {
    const slash = h.indexOf('/');
    if (slash < 0) return { namespace: '*', host: h };
    const ns = h.slice(0, slash);
    return { namespace: ns === '.' ? gatewayNamespace : ns, host: h.slice(slash + 1) };
  });
}

/** A server's hosts without their "ns/" part. */
export function serverHostNames(server: GatewayServer): string[] {
  return parseServerHosts(server, '').map((h) => h.host);
}

/** The host a virtual host is made for: the more specific of the two, if they overlap. */
function intersect(vsHost: string, serverHost: string): string | undefined {
  if (hostMatches(serverHost, vsHost)) return vsHost;
  if (hostMatches(vsHost, serverHost)) return serverHost;
  return undefined;
}

export function gatewayRouteConfig(ctx: TranslateContext, name: string, servers: ServerEntry[]): Json {
  const vhosts = new Map<string, Json>();
  for (const entry of servers) {
    const { gw, server } = entry;
    const port = server.port.number;
    const hosts = parseServerHosts(server, gw.metadata.namespace);
    const created: string[] = [];
    for (const vs of ctx.push.virtualServicesFor(entry.gwRef, ctx.proxy.namespace)) {
      if (!Array.isArray(vs.spec.http) || vs.spec.http.length === 0) continue;
      const claimed = new Set<string>();
      for (const raw of vs.spec.hosts ?? []) {
        if (typeof raw !== 'string') continue;
        const vsHost = ctx.resolveHost(raw, vs.metadata.namespace);
        for (const sh of hosts) {
          if (sh.namespace !== '*' && sh.namespace !== vs.metadata.namespace) continue;
          const h = intersect(vsHost, sh.host);
          if (h) claimed.add(h);
        }
      }
      if (claimed.size === 0) continue;
      const routes = buildVirtualServiceRoutes(ctx, vs, { gateway: entry.gwRef, port });
      if (routes.length === 0) continue;
      for (const host of claimed) {
        let vh = vhosts.get(host);
        if (!vh) {
          vh = { name: `${host}:${port}`, domains: [host], routes: [], include_request_attempt_count: true };
          vhosts.set(host, vh);
          created.push(host);
        }
        (vh.routes as Json[]).push(...routes);
      }
    }
    if (server.tls?.httpsRedirect) {
      for (const { host } of hosts) {
        if (!vhosts.has(host)) {
          vhosts.set(host, { name: `${host}:${port}`, domains: [host], include_request_attempt_count: true });
          created.push(host);
        }
      }
      for (const host of created) {
        const vh = vhosts.get(host)!;
        // require_tls sits after routes in Envoy's field order.
        const { include_request_attempt_count: count, ...rest } = vh;
        vhosts.set(host, { ...rest, require_tls: 'ALL', include_request_attempt_count: count });
      }
    }
  }
  let virtualHosts = [...vhosts.values()].sort((a, b) => (String(a.name) < String(b.name) ? -1 : String(a.name) > String(b.name) ? 1 : 0));
  if (virtualHosts.length === 0) virtualHosts = [{ name: `blackhole:${servers[0]!.server.port.number}`, domains: ['*'] }];
  return { name, virtual_hosts: virtualHosts, validate_clusters: false, ignore_port_in_host_matching: true };
}
