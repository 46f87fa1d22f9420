// A sidecar's inbound side: for each port its workload serves behind a service (found
// by matching the service endpoints' addresses to the proxy's IPs), a listener on the
// pod IP and that target port, forwarding to `inbound|PORT||` — a static cluster at the
// address the application itself listens on (its private loopback in the local mesh).
import type { Service, ServicePort } from '../model/types.js';
import { inboundCluster } from './clusters.js';
import type { TranslateContext } from './context.js';
import { HTTP_INSPECTOR_TYPE, listenerName, socketAddress, typed, type Json } from './envoy.js';
import { inboundClusterName } from './names.js';
import { httpConnectionManager, tcpProxy } from './network_filters.js';
import { isHttpProtocol } from './traffic_policy.js';

interface InboundPort {
  address: string;
  targetPort: number;
  port: ServicePort;
  services: Service[];
}

function inboundPorts(ctx: TranslateContext): InboundPort[] {
  const ips = new Set(ctx.proxy.ipAddresses);
  const byTarget = new Map<number, InboundPort>();
  for (const svc of ctx.push.services()) {
    for (const port of svc.ports) {
      for (const ep of ctx.push.endpoints(svc.hostname, port.port)) {
        if (!ips.has(ep.address)) continue;
        const existing = byTarget.get(ep.port);
        if (existing) {
          if (!existing.services.includes(svc)) existing.services.push(svc);
        } else {
          byTarget.set(ep.port, { address: ep.address, targetPort: ep.port, port, services: [svc] });
        }
      }
    }
  }
  return [...byTarget.values()].sort((a, b) => a.targetPort - b.targetPort);
}

export interface InboundResources {
  listeners: Json[];
  clusters: Json[];
}

export function buildInbound(ctx: TranslateContext): InboundResources {
  const out: InboundResources = { listeners: [], clusters: [] };
  const app = ctx.proxy.appAddress ?? '127.0.0.1';
  for (const ip of inboundPorts(ctx)) {
    const cluster = inboundClusterName(ip.targetPort);
    out.clusters.push(inboundCluster(ctx, ip.targetPort, app, ip.services, ip.port));
    const svc = ip.services[0]!;
    const http = () =>
      httpConnectionManager(ctx, 'inbound', `inbound_0.0.0.0_${ip.targetPort}`, { routeConfig: inboundRouteConfig(cluster, svc, ip.port.port) });
    const tcp = () => tcpProxy({ cluster });
    const listener: Json = { name: listenerName(ip.address, ip.targetPort), address: socketAddress(ip.address, ip.targetPort) };
    if (isHttpProtocol(ip.port.protocol)) listener.filter_chains = [{ filters: [http()] }];
    else if (ip.port.protocol === 'UnsupportedProtocol') {
      // Istio's protocol sniffing: HTTP when the first bytes look like it, else TCP.
      listener.filter_chains = [{ filter_chain_match: { application_protocols: ['http/1.1', 'h2c'] }, filters: [http()] }, { filters: [tcp()] }];
      listener.listener_filters = [{ name: 'envoy.filters.listener.http_inspector', typed_config: typed(HTTP_INSPECTOR_TYPE) }];
    } else listener.filter_chains = [{ filters: [tcp()] }];
    listener.traffic_direction = 'INBOUND';
    out.listeners.push(listener);
  }
  return out;
}

/** Istio's inbound routes: everything to the app, no timeout, no retries. */
function inboundRouteConfig(cluster: string, svc: Service, servicePort: number): Json {
  return {
    name: cluster,
    virtual_hosts: [
      {
        name: `inbound|http|${servicePort}`,
        domains: ['*'],
        routes: [
          {
            name: 'default',
            match: { prefix: '/' },
            route: { cluster, timeout: '0s', max_stream_duration: { max_stream_duration: '0s', grpc_timeout_header_max: '0s' } },
            decorator: { operation: `${svc.hostname}:${servicePort}/*` },
          },
        ],
      },
    ],
    validate_clusters: false,
  };
}
