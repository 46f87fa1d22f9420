// A sidecar's inbound side: for each port its workload serves behind a service (found
// by matching the service endpoints' addresses to the proxy's IPs), a listener on the
// pod IP and that target port, forwarding to `inbound|PORT||` — a static cluster at the
// address the application itself listens on (its private loopback in the local mesh).
// A Sidecar resource with `ingress` listeners replaces all of this (sidecar_ingress.ts),
// reusing the listener shape below.
import type { Protocol, Service, ServicePort } from '../model/types.js';
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
  /** Where the app listens (the clusters' endpoints): no other listener may take these. */
  appSockets: { address: string; port: number }[];
}

export function buildInbound(ctx: TranslateContext): InboundResources {
  const out: InboundResources = { listeners: [], clusters: [], appSockets: [] };
  const app = ctx.proxy.appAddress ?? '127.0.0.1';
  for (const ip of inboundPorts(ctx)) {
    const cluster = inboundClusterName(ip.targetPort);
    out.clusters.push(inboundCluster(ctx, ip.targetPort, app, ip.services, ip.port));
    out.appSockets.push({ address: app, port: ip.targetPort });
    const svc = ip.services[0]!;
    out.listeners.push(inboundListener(ctx, { address: ip.address, port: ip.targetPort, protocol: ip.port.protocol, cluster, hostname: svc.hostname, servicePort: ip.port.port }));
  }
  return out;
}

/** Services whose endpoints on this proxy listen on `targetPort` (Istio's service instances for the port). */
export function servicesServedOn(ctx: TranslateContext, targetPort: number): Service[] {
  return inboundPorts(ctx).find((p) => p.targetPort === targetPort)?.services ?? [];
}

export interface InboundListenerSpec {
  address: string;
  /** The port the listener binds (a target port, or a Sidecar ingress port). */
  port: number;
  protocol: Protocol;
  cluster: string;
  /** The service named in the route's decorator, and its port. */
  hostname: string;
  servicePort: number;
}

/**
 * Istio's inbound listener for one port: its connection manager with an inline route
 * config for HTTP, tcp_proxy for TCP, and for ports without a known protocol Istio's
 * protocol sniffing (HTTP when the first bytes look like it, else TCP).
 */
export function inboundListener(ctx: TranslateContext, spec: InboundListenerSpec): Json {
  const http = () =>
    httpConnectionManager(ctx, 'inbound', `inbound_0.0.0.0_${spec.port}`, { routeConfig: inboundRouteConfig(spec.cluster, spec.hostname, spec.servicePort) });
  const tcp = () => tcpProxy({ cluster: spec.cluster });
  const listener: Json = { name: listenerName(spec.address, spec.port), address: socketAddress(spec.address, spec.port) };
  if (isHttpProtocol(spec.protocol)) listener.filter_chains = [{ filters: [http()] }];
  else if (spec.protocol === 'UnsupportedProtocol') {
    listener.filter_chains = [{ filter_chain_match: { application_protocols: ['http/1.1', 'h2c'] }, filters: [http()] }, { filters: [tcp()] }];
    listener.listener_filters = [{ name: 'envoy.filters.listener.http_inspector', typed_config: typed(HTTP_INSPECTOR_TYPE) }];
  } else listener.filter_chains = [{ filters: [tcp()] }];
  listener.traffic_direction = 'INBOUND';
  return listener;
}

/** Istio's inbound routes: everything to the app, no timeout, no retries. */
function inboundRouteConfig(cluster: string, hostname: string, servicePort: number): Json {
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
            decorator: { operation: `${hostname}:${servicePort}/*` },
          },
        ],
      },
    ],
    validate_clusters: false,
  };
}
